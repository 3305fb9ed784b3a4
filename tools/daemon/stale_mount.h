// Mounts left behind by a daemon that died (SIGKILL, crash): the kernel keeps them,
// answering ENOTCONN, and cached attributes can even hide that. Before mounting a
// dataset again, its old mount is detached.
#pragma once

#include <string>

namespace fzfs {

// Lazily unmounts every fuse.fzfs mount at `path` whose source is `fsname`. Only
// call this while no live daemon can own such a mount (this daemon holds the pool).
void clear_stale_mounts(const std::string& fsname, const std::string& path);

}  // namespace fzfs
