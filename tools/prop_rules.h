// What zfs lets a user do with a native dataset property: statistics are read-only,
// and a few settable properties (quotas, canmount, version, ...) belong to one dataset
// and are never inherited. `zfs inherit` checks these before touching the pool.
#pragma once

#include <string>

namespace fzfs {

// Statistics, and properties fixed at creation (utf8only, normalization, ...).
bool zfs_prop_is_readonly(const std::string& prop);
// Settable and passed down to descendants (user properties "module:name" are).
bool zfs_prop_is_inheritable(const std::string& prop);
// Quotas and reservations are cleared with `zfs set PROP=none`, which zfs suggests.
bool zfs_prop_clears_with_none(const std::string& prop);

}  // namespace fzfs
