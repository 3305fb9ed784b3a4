// The libfuse low-level operation table for a read-only fzfs mount. The session's
// userdata is the FuseFs to serve.
#pragma once

#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 14)
#include <fuse_lowlevel.h>

namespace fzfs::fuse {

const fuse_lowlevel_ops& read_only_ops();

}  // namespace fzfs::fuse
