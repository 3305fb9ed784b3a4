// The file-system interface the FUSE layer serves. A ZPL file system (a filesystem dataset or a snapshot of one), by object number.
// Object numbers are the ZFS znode object numbers; the root is root_object().
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/util/status.h"

namespace fzfs {

struct Timespec {
  int64_t sec = 0;
  int64_t nsec = 0;
};

struct Attr {
  uint64_t ino = 0;  // object number
  uint32_t mode = 0; // st_mode: type bits and permissions
  uint32_t uid = 0, gid = 0;
  uint64_t nlink = 0;
  uint64_t size = 0;
  uint64_t blocks = 0;   // 512-byte units actually allocated
  uint64_t rdev = 0;     // Linux dev_t for device nodes
  uint64_t gen = 0;
  uint32_t blksize = 0;  // preferred I/O size (the file's block size)
  Timespec atime, mtime, ctime, crtime;
};

struct DirEntry {
  std::string name;
  uint64_t ino = 0;
  uint32_t type = 0;    // DT_* value (DT_REG, DT_DIR, ...)
  uint64_t cookie = 0;  // resume position: pass to readdir to continue after this entry
};

struct FsStat {
  uint64_t bsize = 0, blocks = 0, bfree = 0, bavail = 0, files = 0, ffree = 0;
  uint64_t fsid = 0;
  uint32_t namemax = 255;
};

// Which attributes a setattr changes (FUSE's to_set bits, by name).
struct SetAttr {
  std::optional<uint32_t> mode;   // permission bits (the type bits are ignored)
  std::optional<uint32_t> uid, gid;
  std::optional<uint64_t> size;   // truncate or extend
  std::optional<Timespec> atime, mtime;
  bool atime_now = false, mtime_now = false;
  std::optional<Timespec> ctime;  // rarely set explicitly
};

// Who makes a new file: its owner and group (the caller applies umask and setgid rules).
struct Creds {
  uint32_t uid = 0, gid = 0;
};

// Writes fail with EROFS on a read-only file system (snapshots, read-only imports).
class Filesystem {
 public:
  virtual ~Filesystem() = default;
  virtual const std::string& dataset_name() const = 0;
  virtual bool readonly() const = 0;
  virtual uint64_t root_object() const = 0;

  virtual Result<Attr> getattr(uint64_t obj) = 0;
  // ENOENT if absent, ENOTDIR if dir is not a directory.
  virtual Result<uint64_t> lookup(uint64_t dir, std::string_view name) = 0;
  // Calls emit for entries after `cookie` (0 = from the start, "." and ".." first) until
  // emit returns false or the directory ends.
  virtual Status readdir(uint64_t dir, uint64_t cookie,
                         const std::function<bool(const DirEntry&)>& emit) = 0;
  // Reads up to out.size() bytes at offset; returns bytes read (0 at or past EOF).
  virtual Result<size_t> read(uint64_t obj, uint64_t offset, std::span<uint8_t> out) = 0;
  virtual Result<std::string> readlink(uint64_t obj) = 0;
  virtual Result<std::vector<std::string>> listxattr(uint64_t obj) = 0;  // ENODATA-free
  virtual Result<std::vector<uint8_t>> getxattr(uint64_t obj, std::string_view name) = 0;
  virtual Result<FsStat> statfs() = 0;

  // ---- changes (ZFS semantics; errno values as POSIX asks) -----------------------------
  // A regular file, FIFO, socket or device node (`mode` carries the type bits; rdev is a
  // Linux dev_t for devices). EEXIST if the name is taken.
  virtual Result<Attr> create(uint64_t dir, std::string_view name, uint32_t mode, uint64_t rdev, const Creds& c) {
    return ro();
  }
  virtual Result<Attr> mkdir(uint64_t dir, std::string_view name, uint32_t mode, const Creds& c) { return ro(); }
  virtual Result<Attr> symlink(uint64_t dir, std::string_view name, std::string_view target, const Creds& c) {
    return ro();
  }
  // A new name for `obj` (not a directory: EPERM).
  virtual Result<Attr> link(uint64_t obj, uint64_t dir, std::string_view name) { return ro(); }
  virtual Status unlink(uint64_t dir, std::string_view name) { return ro(); }
  virtual Status rmdir(uint64_t dir, std::string_view name) { return ro(); }
  // flags: RENAME_NOREPLACE / RENAME_EXCHANGE (linux/fs.h values) or 0.
  virtual Status rename(uint64_t dir, std::string_view name, uint64_t newdir, std::string_view newname,
                        unsigned flags) {
    return ro();
  }
  virtual Result<Attr> setattr(uint64_t obj, const SetAttr& a) { return ro(); }
  // Writes all of data at offset (the file grows as needed); returns bytes written.
  virtual Result<size_t> write(uint64_t obj, uint64_t offset, std::span<const uint8_t> data) { return ro(); }
  // flags: XATTR_CREATE / XATTR_REPLACE or 0.
  virtual Status setxattr(uint64_t obj, std::string_view name, std::span<const uint8_t> value, int flags) {
    return ro();
  }
  virtual Status removexattr(uint64_t obj, std::string_view name) { return ro(); }
  // Returns once every change made so far to this file system is on stable storage.
  virtual Status fsync(uint64_t obj, bool datasync) { return Status::Ok(); }
  // The kernel holds no more references to obj: an unlinked file's space can be freed.
  virtual void forget(uint64_t obj) {}

 protected:
  static Error ro() { return make_error(EROFS, "read-only file system"); }
};

}  // namespace fzfs
