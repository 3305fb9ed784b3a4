// readonly=on on a dataset of a read-write pool: the file system itself stays writable
// in the engine (the pool is), so the daemon makes the mount read-only in the kernel,
// which then answers EROFS to every write before it reaches FUSE, as a ZFS mount with
// readonly=on does.
#pragma once

#include <string>

#include "engine/util/status.h"

namespace fzfs {

// Turns the mount at PATH read-only (a bind remount, which changes only this mount's
// flags). Needs CAP_SYS_ADMIN, which the pool daemon has as root.
Status make_mount_readonly(const std::string& path);

}  // namespace fzfs
