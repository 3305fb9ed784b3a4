// OpenZFS's own zdb as a second oracle. It runs entirely in userspace (libzpool), reads
// pool versions up to 5000, and with -bcc verifies every block's checksum and that the
// space maps account for exactly the blocks it found: no leak, no double allocation.
// zfs-fuse stops at version 23; this covers our SA znodes and versions 24-28.
//
// Debian ships it in zfsutils-linux (contrib), which conflicts with zfs-fuse, so
// scripts/install-deps.sh unpacks that package and its libraries into /opt/fzfs-openzfs
// instead of installing them, and leaves a wrapper there (FZFS_OPENZFS_ZDB overrides).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "tests/process.h"

namespace fzfs::test {

class OpenZfsZdb {
 public:
  // "" when the unpacked zdb is there, else a sentence saying what is missing.
  static std::string unavailable();

  // zdb ARGS (SCRATCH holds the captured output).
  static CommandResult run(const std::vector<std::string>& args, const std::string& scratch,
                           std::chrono::seconds timeout = std::chrono::seconds(300));

  // `zdb -e -p DIR -bcc POOL` on an exported pool: ok() only when zdb exits 0 and says
  // "No leaks"; otherwise describe() says why.
  static CommandResult check_blocks(const std::string& dir, const std::string& pool, const std::string& scratch);

  // The path of every file system object of DATASET as zdb resolves it from the
  // parent pointers (`zdb -ddddd`), and the objects it could not place (ok() false then).
  struct Paths {
    CommandResult result;
    std::vector<std::string> paths;
    std::vector<std::string> problems;  // "path not found", "Failed to get handle", ...
  };
  static Paths object_paths(const std::string& dir, const std::string& dataset, const std::string& scratch);
};

}  // namespace fzfs::test
