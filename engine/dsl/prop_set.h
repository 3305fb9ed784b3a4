// Changing dataset properties (zfs set / zfs inherit) in the MOS, so that dsl_props.h
// and other ZFS implementations read back exactly what was set.
//
//   dsl_dir.props_zapobj (ZAP):  "compression" -> u64 10        index props: their number
//                                "mountpoint"  -> "/data\0"      strings: bytes + NUL
//                                "recordsize"  -> u64 131072     numbers
//                                "com.x:tag"   -> "value\0"      user properties
//                                "quota"       -> u64 (v22+; also dsl_dir.dd_quota)
//                                "P$inherit"   -> u64 0          v22+: inherit explicitly,
//                                                                 over a received value
//   dsl_dir.dd_quota / dd_reserved: the effective quota and reservation (all versions);
//   a reservation charges max(used, reserved) to the parent as "child reserved" space.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "engine/dmu/writable_objset.h"
#include "engine/dsl/dsl_pool.h"
#include "engine/dsl/prop_value.h"
#include "engine/zap/zap_writer.h"

namespace fzfs {

// A validated property value as the props ZAP stores it.
struct PropSetting {
  std::string name;
  std::optional<uint64_t> number;  // index and numeric properties
  std::string str;                 // string and user properties (when !number)
  ZapValue zap_value() const;      // one u64, or the string's bytes with a NUL
};

// What zfs knows of a property name.
enum class PropKind { kUser, kSettable, kCreateOnly, kReadonly, kUnknown };
PropKind property_kind(const std::string& name);
bool property_inheritable(const std::string& name);

// zfs set's checks and normalization of PROP=VALUE for a pool of `pool_version`
// (lz4: the pool has feature lz4_compress). The error text is zfs's reason (the caller
// prefixes "cannot set property for 'DS': "): EINVAL for a bad value, ENOTSUP when the
// pool version is too old for the value.
Result<PropSetting> parse_property(const std::string& name, const std::string& value, uint64_t pool_version,
                                   bool lz4 = false);

// Sets a property locally on a dsl_dir. quota/reservation also update dd_quota /
// dd_reserved after zfs's space checks (ENOSPC with zfs's reason); `pool_avail` is the
// space the pool can still give datasets (the reservation check needs it).
Status set_dir_property(WritableObjset& mos, uint64_t version, uint64_t dir_obj, const PropSetting& p,
                        uint64_t pool_avail);
// Removes the local value (zfs inherit); the caller has checked property_inheritable.
Status inherit_dir_property(WritableObjset& mos, uint64_t version, uint64_t dir_obj, const std::string& name);

// The quota check of the write path: EDQUOT when `bytes` more in the dataset's dsl_dir
// would pass the quota of that dir or of an ancestor (reservations absorb growth before
// it reaches the parent). `bytes` includes what is written but not yet synced.
Status check_quota(const WritableObjset& mos, uint64_t ds_obj, uint64_t bytes);

// Pool properties set with zpool set (the MOS's "pool_props" ZAP: autoreplace,
// delegation, listsnapshots, autoexpand, failmode), as `zpool get` shows them (source
// "local", or "default" for a stored default); empty when the pool has none. For
// PoolImpl::properties(), which today shows the defaults only.
std::map<std::string, PropValue> stored_pool_properties(const DslPool& dp);

// "1.5G", "128K", "512": zfs's size syntax (zfs_nicestrtonum); nullopt when malformed.
std::optional<uint64_t> parse_size_value(const std::string& s);

}  // namespace fzfs
