// The objects of a new, empty ZPL file system (what `zfs create` and `zpool create` put in
// a fresh objset), for ZPL versions 1-5:
//
//   ZPL <= 4 (pool v1-23, old znodes)        ZPL 5 (pool v24-28, system attributes)
//   1 master node  (MASTER_NODE ZAP)         1 master node
//   2 unlinked set (UNLINKED_SET ZAP)        2 SA master node: REGISTRY -> 5, LAYOUTS -> 6
//   3 root directory (ZAP + znode bonus)     3 unlinked set
//   4 SHARES directory (as zfs-fuse makes)   4 root directory (ZAP + SA bonus, layout 2)
//                                            5 SA registry: attribute name -> number/len/bswap
//                                            6 SA layouts: "2" -> u16 array of attributes
//
//   master node: normalization, utf8only, casesensitivity, VERSION, [SA_ATTRS],
//                DELETE_QUEUE, ROOT, [SHARES]     (each one u64)
#pragma once

#include <cstdint>

#include "engine/dmu/writable_objset.h"
#include "engine/zpl/filesystem.h"

namespace fzfs {

inline constexpr uint64_t kZplVersionFuid = 3;
inline constexpr uint64_t kZplVersionSa = 5;

// The ZPL version a pool version gets by default (`-o version=` may only lower it).
uint64_t zpl_version_for_pool(uint64_t spa_version);

struct ZplCreateParams {
  uint64_t zpl_version = 5;
  uint64_t txg = 4;        // the znodes' generation
  Timespec now;            // every time of the root directory
  uint64_t uid = 0, gid = 0;
  uint64_t normalization = 0, utf8only = 0, casesensitivity = 0;
  bool shares_dir = true;  // ZPL <= 4 only: the SHARES directory zfs-fuse creates
};

// Creates the objects above in an empty objset of type ZFS.
Status create_zpl(WritableObjset& os, const ZplCreateParams& p);

}  // namespace fzfs
