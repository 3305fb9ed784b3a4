// Observing a mounted file system tree the way the manifests were made (lstat, readdir,
// readlink, SHA-256 of contents) and comparing it with a manifest's expectation.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "tests/manifest.h"

namespace fzfs::test {

struct ScanOptions {
  // Relative paths of directories where other datasets are mounted: left out, as the
  // manifests leave them out of a live dataset's listing (a snapshot shows them as
  // plain empty directories, and they are walked there).
  std::set<std::string> mountpoints;
};

struct ScanResult {
  FileTree tree;
  std::vector<std::string> errors;  // I/O errors met while walking ("read a/b: EIO")
};

// Walks ROOT (not including ROOT itself; ".zfs" at the top is skipped).
ScanResult scan_tree(const std::string& root, const ScanOptions& opts);

// Human-readable differences, empty when equal. At most `limit` lines plus a summary.
std::vector<std::string> compare_trees(const FileTree& expected, const FileTree& actual,
                                       size_t limit = 30);

// Joins differences into one assertion message.
std::string join_lines(const std::vector<std::string>& lines);

}  // namespace fzfs::test
