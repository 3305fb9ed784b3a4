#include "tests/openzfs_zdb.h"

#include <unistd.h>

#include <cstdlib>

namespace fzfs::test {
namespace {

std::string zdb_path() {
  if (const char* p = std::getenv("FZFS_OPENZFS_ZDB"); p && *p) return p;
  return "/opt/fzfs-openzfs/zdb";
}

}  // namespace

std::string OpenZfsZdb::unavailable() {
  const std::string p = zdb_path();
  if (access(p.c_str(), X_OK) != 0)
    return "OpenZFS zdb not found at " + p + " (scripts/install-deps.sh unpacks it there)";
  return "";
}

CommandResult OpenZfsZdb::run(const std::vector<std::string>& args, const std::string& scratch,
                              std::chrono::seconds timeout) {
  std::vector<std::string> argv{zdb_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandOptions opts;
  opts.scratch_dir = scratch;
  opts.timeout = timeout;
  return run_command(argv, opts);
}

CommandResult OpenZfsZdb::check_blocks(const std::string& dir, const std::string& pool, const std::string& scratch) {
  CommandResult r = run({"-e", "-p", dir, "-bcc", pool}, scratch);
  if (r.ok() && r.out.find("No leaks") == std::string::npos) {
    r.exit_code = 1;
    r.err += "\nOpenZfsZdb::check_blocks: zdb did not report \"No leaks\"";
  }
  return r;
}

OpenZfsZdb::Paths OpenZfsZdb::object_paths(const std::string& dir, const std::string& dataset,
                                           const std::string& scratch) {
  Paths p;
  p.result = run({"-e", "-p", dir, "-ddddd", dataset}, scratch);
  for (const std::string& line : lines_of(p.result.out)) {
    if (line.find("Failed to get handle") != std::string::npos) p.problems.push_back(line);
    const std::string key = "\tpath\t";
    if (line.rfind(key, 0) != 0) continue;
    std::string path = line.substr(key.size());
    if (path.empty() || path[0] != '/') p.problems.push_back(line);  // "path not found, possibly leaked"
    else p.paths.push_back(path);
  }
  if (p.result.ok() && !p.problems.empty()) {
    p.result.exit_code = 1;
    p.result.err += "\nOpenZfsZdb::object_paths: objects zdb could not place";
  }
  return p;
}

}  // namespace fzfs::test
