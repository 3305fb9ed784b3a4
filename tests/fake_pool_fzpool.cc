// fzpool over the fake pool: the same command, importing FakePool::make_standard("fk").
#include <sys/stat.h>

#include "tests/fake_pool.h"
#include "tools/fzpool_main.h"

namespace {

using fzfs::ImportCandidate;
using fzfs::testing::FakePool;

constexpr const char* kName = "fk";

bool any_dir_exists(const std::vector<std::string>& dirs) {
  struct stat st;
  for (const auto& d : dirs)
    if (stat(d.c_str(), &st) == 0) return true;
  return false;
}

fzfs::Result<std::vector<ImportCandidate>> discover(const std::vector<std::string>& dirs) {
  std::vector<ImportCandidate> found;
  if (!any_dir_exists(dirs)) return found;
  auto pool = FakePool::make_standard(kName);
  ImportCandidate c;
  c.name = kName;
  c.guid = pool->guid();
  c.version = pool->version();
  c.state = "ONLINE";
  c.config = pool->status();
  found.push_back(std::move(c));
  return found;
}

fzfs::Result<std::unique_ptr<fzfs::Pool>> import(const fzfs::ImportOptions& opts) {
  auto pool = FakePool::make_standard(kName);
  if (!any_dir_exists(opts.search_dirs) ||
      (opts.pool != kName && opts.pool != std::to_string(pool->guid())))
    return fzfs::make_error(ENOENT, "no such pool available");
  return std::unique_ptr<fzfs::Pool>(std::move(pool));
}

}  // namespace

int main(int argc, char** argv) { return fzfs::fzpool_main(argc, argv, {discover, import}); }
