// Walking a pool through the engine facade the way the manifests were made: every
// dataset and snapshot, lstat-like attributes, sha256 of contents, symlink targets,
// xattrs, recording every failed call. Bounded, so corrupt metadata cannot make the
// walk itself endless. Shared by the engine-level conformance and damage suites.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/pool/pool.h"
#include "tests/manifest.h"

namespace fzfs::test {

// Everything one walk of a pool met: the trees it saw and every failed call.
struct WalkReport {
  std::map<std::string, FileTree> trees;  // by dataset name
  std::vector<std::string> errors;        // "op path: message"
  size_t empty_messages = 0;              // Errors without a message: always a bug
  size_t calls = 0;

  void fail(const std::string& what, const Error& e);
};

// Walks one file system into `tree`. `skip` holds relative paths left out (child
// datasets' mountpoints). At most 64 MiB of each file is read.
void walk_filesystem(Filesystem& fsys, WalkReport& report, FileTree& tree, std::set<std::string> skip = {});

// Lists the pool's datasets and properties and walks every file system and snapshot.
// A live dataset's listing leaves out its direct children's mountpoints, as the
// manifests do.
WalkReport walk_pool(Pool& pool);

// The manifest's datasets that have file listings, compared with a walk.
std::vector<std::string> manifest_differences(const PoolManifest& m, const WalkReport& r);

}  // namespace fzfs::test
