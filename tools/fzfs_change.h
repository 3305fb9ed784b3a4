// The fzfs commands that change datasets: create, destroy, rename, set, inherit. Each
// checks its arguments as zfs does, then asks the pool's daemon (wire.h), which makes
// the change and the unmounts and mounts around it.
#pragma once

#include <string>
#include <vector>

namespace fzfs {

// zfs create [-p] [-o PROP=VAL]... NAME
int fzfs_create(bool parents, const std::vector<std::string>& props, const std::string& name);
// zfs destroy [-r] NAME
int fzfs_destroy(bool recursive, const std::string& name);
// zfs rename OLD NEW
int fzfs_rename(const std::string& from, const std::string& to);
// zfs set PROP=VAL... NAME...
int fzfs_set(const std::vector<std::string>& args);
// zfs inherit [-r] PROP NAME...
int fzfs_inherit(bool recursive, const std::vector<std::string>& args);

}  // namespace fzfs
