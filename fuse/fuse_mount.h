// One FUSE mount of one FuseFs: mounts, serves requests on its own threads
// (fuse_session_loop_mt) and unmounts. Every filesystem dataset is its own mount.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "engine/util/status.h"
#include "fuse/fuse_fs.h"

struct fuse_session;

namespace fzfs::fuse {

// A writable file system mounts read-write, anything else "ro". Always on:
// default_permissions (the kernel checks modes against st_uid/st_gid/st_mode, which the
// POSIX EACCES/EPERM rules need) and 1 MiB reads and writes.
struct MountOptions {
  std::string fsname;        // "fzfs:POOL/DS"
  bool allow_other = false;  // only honoured when running as root
  // Kernel write-back caching of file data: fewer, larger writes, but the kernel then
  // owns size and mtime of open files. Off unless asked for (the pool daemon asks on
  // read-write mounts; it is ignored on read-only ones).
  bool writeback_cache = false;
};

class FuseMount {
 public:
  static Result<std::unique_ptr<FuseMount>> start(std::unique_ptr<FuseFs> fs,
                                                  const std::string& mountpoint,
                                                  const MountOptions& opts);
  ~FuseMount();  // unmounts if still mounted

  const std::string& mountpoint() const { return mountpoint_; }
  // False once the session ended, e.g. after an external `umount`.
  bool serving() const { return serving_.load(); }
  // Unmounts (lazily if force, else EBUSY while in use) and waits for the workers.
  Status unmount(bool force = false);

 private:
  FuseMount(std::unique_ptr<FuseFs> fs, std::string mountpoint)
      : fs_(std::move(fs)), mountpoint_(std::move(mountpoint)) {}
  void serve();

  std::unique_ptr<FuseFs> fs_;
  std::string mountpoint_;
  fuse_session* session_ = nullptr;
  std::thread loop_;
  std::atomic<bool> serving_{false};
};

}  // namespace fzfs::fuse
