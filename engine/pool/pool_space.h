// The pool's allocated space as its space maps record it. Each top-level vdev's config
// names a metaslab array object in the MOS: one u64 per metaslab, the object number of
// its space map (0 = never used). Metaslab i of a vdev covers bytes
// [i << metaslab_shift, (i + 1) << metaslab_shift) of the vdev's DVA space, and its
// space map counts in units of 1 << ashift from the metaslab's start.
//
//   MOS config vdev_tree.children[v] { metaslab_array, metaslab_shift, ashift, asize }
//        metaslab_array ──► [ sm obj of ms 0, sm obj of ms 1, ... ]
//        sm obj (SPACE_MAP, bonus space_map_phys) ──► ALLOC/FREE log (spa/space_map.h)
//
// Pools with com.delphix:log_spacemap also keep recent changes in log space maps: the
// object directory's "com.delphix:log_spacemap_zap" maps a txg (hexadecimal name) to a space
// map of that txg's allocations and frees across all vdevs (two-word entries with vdev
// ids, 512-byte units, offsets from the vdev's start). Each metaslab records the txg of
// its last flush in its vdev's top ZAP ("com.delphix:ms_unflushed_phys_txgs": one u64
// per metaslab); log entries of that txg or later apply on top of its own map, in txg
// order, and older ones are already in it.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/dsl/dsl_pool.h"
#include "engine/spa/space_map.h"
#include "engine/util/range_set.h"

namespace fzfs {

struct MetaslabSpace {
  uint64_t index = 0;
  uint64_t object = 0;  // its space map object (0 = none)
  SpaceMapPhys phys;
  uint64_t unflushed_txg = 0;  // log entries from this txg on apply to it
  uint64_t replayed = 0;       // bytes allocated after replaying its map and the logs
  uint64_t entries = 0;
  RangeSet allocated;
};

struct VdevSpace {
  uint64_t id = 0;
  uint64_t ashift = 9;
  uint64_t metaslab_shift = 0;
  uint64_t metaslab_array = 0;
  RangeSet allocated;  // union over its metaslabs, in vdev DVA offsets
  std::vector<MetaslabSpace> metaslabs;
};

struct PoolSpace {
  std::vector<VdevSpace> vdevs;  // indexed by top-level vdev id
  uint64_t smp_alloc_total = 0;  // sum of the maps' own allocated counts
  uint64_t replayed_total = 0;   // sum of what replaying them yields
  uint64_t log_space_maps = 0;   // log space maps replayed
  uint64_t log_entries = 0;      // their entries that applied (not yet flushed)
};

// Replays every metaslab's space map, then the log space maps. Errors name the vdev,
// metaslab, object and entry.
Result<PoolSpace> load_pool_space(const DslPool& dp);

}  // namespace fzfs
