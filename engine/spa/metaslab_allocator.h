// The pool's block allocator: the metaslabs of every top-level vdev, the rotor that
// spreads a txg's blocks over the vdevs, and the changes the txg sync appends to the
// space maps in the MOS.
//
//   allocate(psize) ──► rotor: vdev r gets about `turn` bytes, then r + 1 ...
//                         turn = aliquot * (vdev free) / (mean free of the vdevs)
//                   ──► vdev: its active metaslab, or the best by free space (lower
//                       metaslabs weigh up to twice as much: the outer, faster tracks)
//                   ──► metaslab: first fit from a cursor, best fit when crowded
//
//   copies of one block (taken non-empty): first the vdevs after the previous copy's
//   that hold no copy yet; then the same vdev, as far from the other copies as it can
//   (an eighth of the vdev, halving down to another metaslab, then anywhere)
//
//   txg sync, per pass:  take_changes(txg) ─► per metaslab: append the batch to its map
//                        (create the object first when it has none: set_space_map_object)
//   after the uberblock: sync_done(txg) ─► frees of txg - 2 become allocatable
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "engine/spa/metaslab.h"
#include "engine/spa/space_map.h"
#include "engine/util/range_set.h"
#include "engine/util/status.h"
#include "engine/vdev/vdev.h"
#include "engine/zio/block_allocator.h"

namespace fzfs {

// A top-level vdev as the allocator starts from it (from the config and its replayed
// space maps, or a new pool).
struct TopVdevSpace {
  struct MetaslabState {
    uint64_t object = 0;  // its space map object (0 = none yet)
    RangeSet allocated;   // what the map replays to, in vdev DVA offsets
  };
  uint64_t id = 0;
  const Vdev* vdev = nullptr;  // for asize(psize); its children count sizes the aliquot
  uint64_t ashift = 9;
  uint64_t asize = 0;
  uint64_t metaslab_shift = 0;
  bool allocatable = true;  // false for log devices: their space is freed but not handed out
  std::vector<MetaslabState> metaslabs;  // asize >> metaslab_shift entries, or none (all new)
};

struct SpaceTotals {
  uint64_t size = 0;       // bytes covered by metaslabs
  uint64_t allocated = 0;  // what the space maps say (after the untaken changes)
  uint64_t deferred = 0;   // freed, not yet reusable (counted free in `allocated`)
  uint64_t free() const { return size - allocated; }
};

// One metaslab's changes of one txg, for its space map.
struct MetaslabChanges {
  uint64_t vdev = 0;
  uint64_t metaslab = 0;
  uint64_t object = 0;   // 0: create the space map, then set_space_map_object()
  SpaceMapRegion region;  // what the map's offsets are relative to
  SpaceMapBatch batch;
};

class MetaslabAllocator final : public BlockAllocator {
 public:
  static Result<std::unique_ptr<MetaslabAllocator>> create(std::vector<TopVdevSpace> vdevs);
  ~MetaslabAllocator() override;

  Result<Dva> allocate(uint64_t psize, uint64_t txg, std::span<const Dva> taken) override;
  void free(const Dva& dva, uint64_t birth, uint64_t txg) override;

  // `txg` is synced (its uberblock is durable): deferred frees of txg - 2 are released.
  void sync_done(uint64_t txg);
  // Every metaslab's changes of txgs up to `txg` not taken yet, by txg, vdev, metaslab.
  std::vector<MetaslabChanges> take_changes(uint64_t txg);
  Status set_space_map_object(uint64_t vdev, uint64_t metaslab, uint64_t object);
  // A metaslab's space map rewritten in its minimal form (see should_condense_space_map
  // for when): the caller replaces the object's contents with `words` and sets smp_length
  // to their size and smp_alloc to `alloc`. It covers the batches taken so far; changes
  // not taken yet are appended afterwards as usual, so it may be called at any time.
  struct Condensed {
    std::vector<uint64_t> words;
    uint64_t alloc = 0;
  };
  Result<Condensed> condense(uint64_t vdev, uint64_t metaslab, const SpaceMapLayout& layout, uint64_t txg,
                             uint64_t sync_pass) const;

  // The metaslab's state (allocated set for condensing, region, object, byte counts).
  // Not for use while other threads allocate.
  Result<const Metaslab*> metaslab(uint64_t vdev, uint64_t index) const;
  uint64_t metaslab_count(uint64_t vdev) const;
  Result<SpaceTotals> vdev_space(uint64_t vdev) const;
  // The allocatable (normal class) vdevs together, as `zpool list` shows the pool.
  SpaceTotals pool_space() const;
  // Frees ignored because the DVA was not allocated (a double free or a bad DVA).
  uint64_t rejected_frees() const;

 private:
  struct Top;
  explicit MetaslabAllocator(std::vector<std::unique_ptr<Top>> tops);

  Top* top(uint64_t vdev) const;
  std::optional<Dva> allocate_on(Top& t, uint64_t psize, uint64_t txg, std::span<const Dva> taken);
  void advance_rotor(uint64_t allocated_bytes);
  uint64_t turn_for(const Top& t) const;

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Top>> tops_;  // by vdev id; null for ids without a vdev
  std::vector<uint64_t> order_;             // ids of allocatable vdevs, ascending
  size_t rotor_ = 0;                        // index into order_
  uint64_t rotor_used_ = 0;                 // bytes given to the rotor's vdev this turn
  uint64_t rotor_turn_ = 0;                 // bytes its turn lasts
  uint64_t rejected_frees_ = 0;
};

}  // namespace fzfs
