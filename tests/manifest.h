// What another ZFS implementation reported for a pool of the conformance corpus
// (/work/shared/conformance/README.md describes the JSON): the datasets and, for
// filesystems and their snapshots, every file with its metadata and content hash.
//
//   { "pool": "tank", "version": 23, "status": "<zpool status text>",
//     "datasets": [ { "name": "tank/a@s", "type": "snapshot", "props": {...},
//                     "files": { "dir/f": { "mode": "0o100644", "uid": 0, "gid": 0,
//                                           "nlink": 1, "mtime": 1700000000,
//                                           "size": 5, "sha256": "..." },
//                                "lnk":   { "mode": "0o120777", ..., "target": "f" } } } ] }
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fzfs::test {

// One path as lstat/readlink/sha256 describe it; the same shape serves the manifest's
// expectation and what the test observes in a mounted tree.
struct FileEntry {
  uint32_t mode = 0;  // st_mode: type and permission bits
  uint32_t uid = 0, gid = 0;
  uint64_t nlink = 0;
  int64_t mtime = 0;                  // whole seconds
  std::optional<uint64_t> size;       // regular files
  std::optional<std::string> sha256;  // regular files, lower-case hex
  std::optional<std::string> target;  // symlinks
};

using FileTree = std::map<std::string, FileEntry>;  // path relative to the dataset root

struct DatasetManifest {
  std::string name;  // "pool/fs" or "pool/fs@snap"
  std::string type;  // "filesystem", "snapshot", "volume"
  std::map<std::string, std::string> props;
  std::optional<FileTree> files;  // absent for volumes

  bool is_snapshot() const { return name.find('@') != std::string::npos; }
  std::string prop(const std::string& key) const;  // "" when absent
};

struct PoolManifest {
  std::string pool;
  uint64_t version = 0;
  std::string status;  // `zpool status` as the writer printed it
  std::vector<DatasetManifest> datasets;

  // Device file names (basenames) the status text's config section names, in order,
  // including "was NAME" of unavailable devices and spares.
  std::vector<std::string> device_names() const;
  const DatasetManifest* find(const std::string& name) const;
};

// Reads a manifest, zstd-compressed (".zst") or plain JSON. Throws std::runtime_error.
PoolManifest load_manifest(const std::string& path);

// Whole-file zstd decompression into memory (for small files such as manifests).
std::string read_zstd_file(const std::string& path);

// Hex SHA-256 of a file's contents, read with read(2). Throws on I/O errors, naming them.
std::string sha256_file(const std::string& path);

}  // namespace fzfs::test
