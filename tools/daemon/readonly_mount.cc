#include "tools/daemon/readonly_mount.h"

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

namespace fzfs {

Status make_mount_readonly(const std::string& path) {
  // A bind remount replaces the mount's flags: carry over the ones it has (nosuid,
  // nodev, ... share their values with statvfs's ST_ flags on Linux).
  struct statvfs st {};
  if (statvfs(path.c_str(), &st) != 0)
    return make_error(errno, "cannot make {} read-only: {}", path, strerror(errno));
  const unsigned long kept = st.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME |
                                          ST_NODIRATIME | ST_RELATIME);
  if (mount(nullptr, path.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | kept, nullptr) != 0)
    return make_error(errno, "cannot make {} read-only: {}", path, strerror(errno));
  return Status::Ok();
}

}  // namespace fzfs
