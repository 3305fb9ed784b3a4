// The read side of the ZIO pipeline: from a block pointer to the block's logical bytes.
//
//   bp ──► embedded? ── payload ───────────────────────────┐
//     └──► hole? ────── zeros ────────────────────────────┐│
//     └──► for each DVA (ditto copies):                    ││
//            gang? ─ read gang header, then its children   ││
//            vdev read (mirror/raidz try copies until the  ││
//            checksum verifies) ─► decompress ─────────────┴┴─► lsize bytes
//
// A block that fails on every DVA is an error naming the bp; the vdevs have already
// counted which device returned bad data.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/util/work_queue.h"
#include "engine/vdev/vdev.h"
#include "engine/zio/block_cache.h"
#include "engine/zio/blkptr.h"

namespace fzfs {

class BlockReader {
 public:
  // root: the pool's root vdev (children are the top-level vdevs, indexed by DVA vdev id).
  BlockReader(Vdev* root, size_t cache_bytes);

  // The block's logical bytes (lsize), checksum-verified and decompressed.
  Result<BlockData> read(const Blkptr& bp);

  // Starts reading bp in the background, so that a later read() finds it in the cache
  // (read-ahead). Best effort: with too much already in flight, or when the read fails,
  // nothing happens. A read() of a block being prefetched waits for that read.
  void prefetch(const Blkptr& bp);

  // True if this block was written in the other byte order (its structure needs swapping).
  static bool foreign(const Blkptr& bp) { return bp.little_endian() != Blkptr::kHostLittleEndian(); }

  BlockCache& cache() { return cache_; }

  // The child block pointers of a gang DVA's header (holes left out), verified against
  // the header's embedded checksum. For walkers that account for every allocated block.
  Result<std::vector<Blkptr>> gang_children(const Blkptr& bp, const Dva& dva);

  // Tests and fuzzers turn verification off to feed damaged metadata to the parsers
  // above (which must then fail cleanly); a pool is never opened this way otherwise.
  void set_checksum_verification(bool on) { verify_checksums_ = on; }

 private:
  Result<BlockData> read_uncached(const Blkptr& bp, const BlockCache::Key& key);
  // Waits while a prefetch of key is in flight.
  void wait_for_prefetch(const BlockCache::Key& key);
  Result<std::vector<uint8_t>> read_physical(const Blkptr& bp, int depth);
  Result<std::vector<uint8_t>> read_dva(const Blkptr& bp, const Dva& dva, int depth);
  Result<std::vector<uint8_t>> read_gang(const Blkptr& bp, const Dva& dva, int depth);
  bool verify(const Blkptr& bp, std::span<const uint8_t> data) const;

  Vdev* root_;
  BlockCache cache_;
  bool verify_checksums_ = true;

  struct InFlight {
    bool done = false;
    std::condition_variable cv;
  };
  std::mutex inflight_mu_;
  std::unordered_map<BlockCache::Key, std::shared_ptr<InFlight>, BlockCache::KeyHash> inflight_;
  // Last member: destroyed first, so no prefetch outlives the state it uses.
  WorkQueue prefetch_queue_{4, 64};
};

}  // namespace fzfs
