#include "engine/zio/cache_size.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

namespace fzfs {
namespace {

// The cgroup v2 limit of this process, 0 when there is none (or no cgroup v2).
uint64_t cgroup_memory_limit() {
  std::ifstream f("/sys/fs/cgroup/memory.max");
  std::string v;
  if (!(f >> v) || v == "max") return 0;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  return (end && *end == '\0') ? n : 0;
}

}  // namespace

size_t default_block_cache_bytes() {
  constexpr uint64_t kMin = 64ULL << 20, kMax = 4ULL << 30;
  if (const char* env = std::getenv("FZFS_ARC_MAX")) {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(env, &end, 10);
    if (end != env && *end == '\0' && n > 0) return static_cast<size_t>(n);
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  uint64_t mem = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
  if (uint64_t limit = cgroup_memory_limit(); limit && (mem == 0 || limit < mem)) mem = limit;
  return static_cast<size_t>(std::clamp<uint64_t>(mem / 8, kMin, kMax));
}

}  // namespace fzfs
