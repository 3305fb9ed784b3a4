// How a property appears as a `zfs list` / `zpool list` column: its header, whether
// it is right-aligned, and its width before content. These follow the property tables
// of ZFS: numbers are right-aligned and at least five wide ("20.4M"), enumerated
// properties are as wide as their longest value, strings grow with their content.
#pragma once

#include <string>

#include "tools/table.h"

namespace fzfs {

// Canonical property name for an abbreviation ("avail" -> "available"); unchanged if
// none applies.
std::string zfs_prop_name(const std::string& name);
std::string zpool_prop_name(const std::string& name);

Column zfs_column(const std::string& prop);
Column zpool_column(const std::string& prop);

}  // namespace fzfs
