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

#include <memory>
#include <span>
#include <vector>

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
  Result<std::vector<uint8_t>> read_physical(const Blkptr& bp, int depth);
  Result<std::vector<uint8_t>> read_dva(const Blkptr& bp, const Dva& dva, int depth);
  Result<std::vector<uint8_t>> read_gang(const Blkptr& bp, const Dva& dva, int depth);
  bool verify(const Blkptr& bp, std::span<const uint8_t> data) const;

  Vdev* root_;
  BlockCache cache_;
  bool verify_checksums_ = true;
};

}  // namespace fzfs
