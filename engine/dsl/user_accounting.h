// User and group space accounting of a file system (pool version 15 on): two ZAPs whose
// dnodes sit in the objset_phys itself (objects -1 and -2), each mapping an id written
// in lower-case hex ("3e8" for uid 1000) to the bytes charged to it. Every object whose
// dnode carries flag USERUSED_ACCOUNTED charges its owner (a znode's uid and gid) 512
// bytes for the dnode plus the bytes its blocks use. The DMU computes the changes of a
// txg (WritableObjset::sync); this applies them, as ZFS's zap_increment does: an id whose
// total drops to zero leaves the ZAP.
//
//   objset_phys  0: meta-dnode   1024: user-used dnode   1536: group-used dnode
//   user-used ZAP:  "0" -> 41472   "3e8" -> 1089024 ...    (type USERGROUP_USED, 39)
#pragma once

#include "engine/dmu/object_sync.h"
#include "engine/dmu/writable_objset.h"

namespace fzfs {

// Adds `deltas` to the objset's user- and group-used ZAPs, creating them (micro ZAPs)
// when the objset has none yet. Suits SyncContext::account.
Status apply_usage_deltas(WritableObjset& os, const UsageDeltas& deltas);

}  // namespace fzfs
