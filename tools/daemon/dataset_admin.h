// The changes `zfs create/destroy/rename/set/inherit` and `zpool set` make, as the pool
// daemon carries them out: the Pool call, and around it the unmounts before and the
// mounts after that zfs does (a renamed file system moves, a new mountpoint remounts,
// readonly=on remounts read-only). The socket server handles one request at a time,
// so these never overlap.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tools/daemon/pool_service.h"

namespace fzfs {

// What a change left to report besides success: mounts that failed afterwards, each
// "cannot mount 'DS': why".
using Warnings = std::vector<std::string>;

// zfs create [-p] [-o PROP=VAL]... NAME, then mounts it if canmount/mountpoint say so.
Result<Warnings> admin_create(PoolService& svc, const std::string& name,
                              const std::map<std::string, std::string>& props, bool parents);
// zfs destroy [-r] NAME: unmounts NAME (and descendants) first.
Result<Warnings> admin_destroy(PoolService& svc, const std::string& name, bool recursive);
// zfs rename FROM TO: what was mounted below FROM is mounted again below TO.
Result<Warnings> admin_rename(PoolService& svc, const std::string& from, const std::string& to);
// zfs set PROP=VAL... NAME, in the order given; mount-related properties remount.
Result<Warnings> admin_set(PoolService& svc, const std::string& name,
                           const std::vector<std::pair<std::string, std::string>>& props);
// zfs inherit [-r] PROP NAME.
Result<Warnings> admin_inherit(PoolService& svc, const std::string& name, const std::string& prop,
                               bool recursive);
// zpool set PROP=VAL POOL.
Status admin_pool_set(PoolService& svc, const std::string& prop, const std::string& value);

}  // namespace fzfs
