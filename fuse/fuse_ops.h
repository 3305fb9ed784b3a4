// The libfuse low-level operation table for an fzfs mount. The session's userdata is the
// FuseFs to serve; it decides per node whether changes are allowed (EROFS otherwise).
#pragma once

#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 14)
#include <fuse_lowlevel.h>

namespace fzfs::fuse {

const fuse_lowlevel_ops& lowlevel_ops();

}  // namespace fzfs::fuse
