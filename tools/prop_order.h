// The order `zfs get all` and `zpool get all` list properties in: native properties
// in ZFS's own table order, then anything else alphabetically (feature@ and user
// properties last).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/pool/pool.h"

namespace fzfs {

std::vector<std::string> zfs_get_order(const std::map<std::string, PropValue>& props);
std::vector<std::string> zpool_get_order(const std::map<std::string, PropValue>& props);

// Whether NAME is a property zfs knows (or a user property, which has a colon).
bool is_zfs_property(const std::string& name);

}  // namespace fzfs
