// The zfs-fuse oracle's bookkeeping: a test writes a tree through a real mount with a
// TreeWriter, which keeps a Model of what the tree must then contain (computed by the
// test, not read back); a ModelKeeper does that bookkeeping alone, for writers that
// change the tree some other way (through the engine). observe() records what a mounted tree shows (lstat, readlink,
// SHA-256), so that the same tree seen through zfs-fuse before export and through fzfs
// after import can be compared field by field, and each against the Model.
//
//   TreeWriter w(mount, model);  w.file("a/b", bytes, 0644);  w.chown("a/b", 1234, 5678);
//   Observation seen = observe(mount);
//   compare_model(model, seen)  /  compare_observations(oracle_seen, fzfs_seen)
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fzfs::test {

// What the test knows one path must look like. Fields left unset are not known to the
// test (a directory's mtime after entries were added, ...) and only compared between
// the oracle's view and fzfs's view.
struct Expected {
  uint32_t mode = 0;  // st_mode: type and permission bits
  uint32_t uid = 0, gid = 0;
  std::optional<int64_t> mtime;   // whole seconds, when the test set it
  std::optional<uint64_t> nlink;  // non-directories
  uint64_t size = 0;              // regular files and symlinks
  std::string content;            // regular files that are not sparse
  // Sparse files: data at these offsets, holes (zeros) everywhere else up to `size`.
  std::vector<std::pair<uint64_t, std::string>> extents;
  bool sparse = false;
  unsigned rdev_major = 0, rdev_minor = 0;
  std::string target;  // symlinks
};
using Model = std::map<std::string, Expected>;  // relative path ("" is the root)

// What lstat & co. show for one path.
struct Observed {
  uint32_t mode = 0, uid = 0, gid = 0;
  uint64_t nlink = 0, size = 0;
  unsigned rdev_major = 0, rdev_minor = 0;
  int64_t mtime_ns = 0, ctime_ns = 0;
  std::string target;
  std::string sha256;  // regular files up to kHashLimit bytes, else "unhashed"
};
using Observation = std::map<std::string, Observed>;

struct ObserveResult {
  Observation tree;
  std::vector<std::string> errors;
};

// Files larger than this are sparse ones: checked by check_sparse, not hashed.
constexpr uint64_t kHashLimit = 64ull << 20;

// Walks ROOT (included as ""); a top-level ".zfs" is left out.
ObserveResult observe(const std::string& root);

std::vector<std::string> compare_model(const Model& want, const Observation& got, size_t limit = 30);
std::vector<std::string> compare_observations(const Observation& oracle, const Observation& got,
                                              size_t limit = 30);
// Reads the data extents and probes holes around and between them; differences.
std::vector<std::string> check_sparse(const std::string& path, const Expected& want);

std::string sha256_hex(const std::string& bytes);
// Deterministic contents: pseudo-random bytes, or text that compresses well.
std::string random_bytes(const std::string& seed, size_t n);
std::string text_bytes(const std::string& seed, size_t n);

// Keeps a Model in step with changes its owner has just made to the real tree: what a
// change does to the entry, to the other names of a hard-linked inode, to the entries
// below a moved directory, and to the parent's mtime (unknown after any change in it).
class ModelKeeper {
 public:
  explicit ModelKeeper(Model& model) : model_(model) {}

  Expected& at(const std::string& rel) { return model_.at(rel); }
  // A new entry REL (replacing any old one) of type and permissions MODE.
  Expected& add(const std::string& rel, uint32_t mode, uint32_t uid, uint32_t gid);
  void hardlink(const std::string& existing, const std::string& rel);
  void chmod(const std::string& rel, uint32_t perm);
  void chown(const std::string& rel, uint32_t uid, uint32_t gid);
  void set_mtime(const std::string& rel, int64_t mtime);
  void write_at(const std::string& rel, uint64_t offset, const std::string& bytes);
  void truncate(const std::string& rel, uint64_t size);
  void remove(const std::string& rel);
  void rename(const std::string& from, const std::string& to);

 private:
  void touch_parent(const std::string& rel);
  // Drops rel from the model; its other names (hard links) lose a link.
  void remove_model(const std::string& rel);

  Model& model_;
  std::map<std::string, int> link_group_;  // names of multiply-linked inodes, by inode
  int next_group_ = 0;
};

// Changes a tree under a mount point and keeps the Model in step. Throws
// std::runtime_error naming the path when a system call fails.
class TreeWriter {
 public:
  TreeWriter(std::string root, Model& model);

  void dir(const std::string& rel, uint32_t perm);
  void file(const std::string& rel, const std::string& content, uint32_t perm);
  void sparse(const std::string& rel, const std::vector<std::pair<uint64_t, std::string>>& extents,
              uint64_t size, uint32_t perm);
  void symlink(const std::string& rel, const std::string& target);
  void hardlink(const std::string& existing, const std::string& rel);
  void fifo(const std::string& rel, uint32_t perm);
  void device(const std::string& rel, bool block, unsigned major, unsigned minor, uint32_t perm);
  void chmod(const std::string& rel, uint32_t perm);
  void chown(const std::string& rel, uint32_t uid, uint32_t gid);
  void set_mtime(const std::string& rel, int64_t atime, int64_t mtime);
  void write_at(const std::string& rel, uint64_t offset, const std::string& bytes);
  void truncate(const std::string& rel, uint64_t size);
  void remove(const std::string& rel);
  void rename(const std::string& from, const std::string& to);

 private:
  std::string path(const std::string& rel) const { return rel.empty() ? root_ : root_ + "/" + rel; }
  Expected& add(const std::string& rel, uint32_t mode);  // owned by this process
  [[noreturn]] void fail(const char* what, const std::string& rel) const;
  // Writes all of bytes at offset (retrying short writes), then closes fd.
  void write_and_close(int fd, const std::string& bytes, uint64_t offset, const std::string& rel) const;

  std::string root_;
  ModelKeeper keep_;
};

}  // namespace fzfs::test
