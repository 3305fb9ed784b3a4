// One metaslab in memory: a fixed slice of a top-level vdev's DVA space, what its space
// map says is allocated, where new blocks can go, and what changed since the space map
// was last written.
//
//   vdev DVA space:  | ms 0 | ms 1 | ... | ms n-1 | tail (< 1 << ms_shift, unused) |
//                    ^ i << metaslab_shift, n = vdev asize >> metaslab_shift
//
//   space of one metaslab at any moment:
//     allocated ─ what the space map says once the untaken changes are appended
//     deferred  ─ freed in txg T; the map already says free, but blocks of the last
//                 uberblocks may still point there, so it is not reused before T + 2
//                 has synced
//     free      ─ everything else: the FreeIndex new blocks are taken from
//
//   untaken changes, per txg: ALLOC and FREE range sets, kept disjoint (a range freed
//   and allocated again in one txg cancels instead of being logged twice)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "engine/spa/metaslab_free_index.h"
#include "engine/spa/space_map.h"
#include "engine/util/range_set.h"
#include "engine/util/status.h"

namespace fzfs {

// The metaslab_shift a new top-level vdev of `asize` bytes gets in legacy pools (what
// zfs-fuse and ZFS before feature flags chose): about 200 metaslabs, each at least as
// large as the largest block (128K). The count is asize >> shift; the tail is unused.
uint64_t legacy_metaslab_shift(uint64_t asize);

// Changes of one txg to append to a space map: ALLOCs ascending, then FREEs ascending.
struct SpaceMapBatch {
  uint64_t txg = 0;
  std::vector<SpaceMapRange> ranges;
  int64_t alloc_delta = 0;  // bytes allocated minus bytes freed
};

class Metaslab {
 public:
  // `region` in bytes of the vdev's DVA space, shift = the vdev's ashift. `allocated`
  // (what its space map replayed to) must lie in the region, aligned to 1 << shift.
  static Result<Metaslab> create(uint64_t index, const SpaceMapRegion& region, RangeSet allocated, uint64_t object);

  // Takes `asize` bytes (a multiple of 1 << shift) for a block born in `txg`.
  std::optional<uint64_t> allocate(uint64_t asize, uint64_t txg);
  // Returns [offset, offset + asize), allocated in `birth`, freed in `txg`: free at once
  // if born in txg, else deferred. False (and nothing changes) unless it is wholly
  // allocated.
  bool free(uint64_t offset, uint64_t asize, uint64_t birth, uint64_t txg);
  // `txg` is durable: frees of txg - 2 and earlier become allocatable.
  void sync_done(uint64_t txg);
  // Removes and returns the changes of txgs up to `txg`, oldest first.
  std::vector<SpaceMapBatch> take_changes(uint64_t txg);

  uint64_t index() const { return index_; }
  const SpaceMapRegion& region() const { return region_; }
  uint64_t object() const { return object_; }
  void set_object(uint64_t object) { object_ = object; }
  bool has_changes() const { return !pending_.empty(); }

  const RangeSet& allocated() const { return allocated_; }
  // What the space map says once the batches taken so far are appended: `allocated`
  // without the untaken changes. A condensed map is written from this.
  RangeSet mapped() const;
  uint64_t allocated_bytes() const { return allocated_.bytes(); }
  uint64_t deferred_bytes() const { return deferred_bytes_; }
  uint64_t free_bytes() const { return free_.bytes(); }
  uint64_t largest_free() const { return free_.largest(); }

 private:
  struct Changes {
    RangeSet alloc, free;
  };
  Metaslab(uint64_t index, const SpaceMapRegion& region, RangeSet allocated, uint64_t object);

  uint64_t index_;
  SpaceMapRegion region_;
  uint64_t object_;
  RangeSet allocated_;
  FreeIndex free_;
  std::map<uint64_t, Changes> pending_;    // by txg
  std::map<uint64_t, RangeSet> deferred_;  // frees by the txg that freed them
  uint64_t deferred_bytes_ = 0;
};

}  // namespace fzfs
