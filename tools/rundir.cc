#include "tools/rundir.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace fzfs {

std::string runtime_dir() {
  const char* env = std::getenv("FZFS_RUNDIR");
  return env && *env ? env : "/run/fzfs";
}

std::string socket_path(const std::string& pool) { return runtime_dir() + "/" + pool + ".sock"; }
std::string pidfile_path(const std::string& pool) { return runtime_dir() + "/" + pool + ".pid"; }
std::string logfile_path(const std::string& pool) { return runtime_dir() + "/" + pool + ".log"; }

std::vector<std::string> pools_with_sockets() {
  std::vector<std::string> pools;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(runtime_dir(), ec)) {
    const auto& p = e.path();
    if (p.extension() == ".sock" && e.is_socket(ec)) pools.push_back(p.stem().string());
  }
  std::sort(pools.begin(), pools.end());
  return pools;
}

}  // namespace fzfs
