// The write side of the ZIO pipeline: from a block's logical bytes to a block pointer.
//
//   logical ──► all zero and compression on? ── hole bp (nothing written)
//           └─► compress (kept only if it saves 1/8, then padded to the allocation unit)
//               ──► checksum the physical bytes ──► allocate one DVA per copy
//               ──► vdev write of each copy ──► bp (DVAs, sizes, birth, checksum)
//
// Blocks born in the syncing txg may be written again in a later sync pass of the same
// txg; when the new physical size equals the old, the same DVAs are overwritten (nothing
// on disk points to them yet), so the pass allocates nothing and the txg converges.
#pragma once

#include <cstdint>
#include <span>

#include "engine/checksum/checksum.h"
#include "engine/compress/compress.h"
#include "engine/vdev/vdev.h"
#include "engine/zio/blkptr.h"
#include "engine/zio/block_allocator.h"
#include "engine/zio/block_cache.h"
#include "engine/zio/block_reader.h"

namespace fzfs {

// How one block is written (ZFS's zio_prop_t): chosen by the DMU per object and level.
struct WritePolicy {
  ChecksumType checksum = ChecksumType::kFletcher4;
  Compress compress = Compress::kOff;  // a concrete algorithm or kOff (never kOn/kInherit)
  int copies = 1;                      // DVAs, 1..3
  uint8_t type = 0;                    // dmu object type recorded in the bp
  uint8_t level = 0;
  uint64_t fill = 1;                   // blk_fill: 1 for data, live children for indirects
  // Keep the written bytes in the block cache. The DMU turns it off for file data: a
  // copy of every block a big write streams out would only evict metadata, and cost a
  // fresh buffer per block.
  bool cache = true;
};

class BlockWriter {
 public:
  // root: the pool's root vdev; min_alloc: the smallest allocation unit among the
  // top-level vdevs (compressed sizes round up to it).
  BlockWriter(Vdev* root, BlockAllocator* alloc, BlockCache* cache, uint64_t min_alloc);

  // Writes a block in txg `txg`. `old` is the bp the block replaces (hole if none): if
  // it was born in this txg and the physical size is unchanged its DVAs are reused,
  // otherwise the caller frees it. *reused tells which happened.
  Result<Blkptr> write(std::span<const uint8_t> logical, const WritePolicy& p, uint64_t txg,
                       const Blkptr& old, bool* reused);
  Result<Blkptr> write(std::span<const uint8_t> logical, const WritePolicy& p, uint64_t txg) {
    bool reused = false;
    return write(logical, p, txg, Blkptr{}, &reused);
  }

  // One block of a batch: its bytes and policy in, its bp (or error) out.
  struct Job {
    std::span<const uint8_t> logical;
    WritePolicy policy;
    Blkptr old;
    Blkptr bp;
    bool reused = false;
    Status status;
  };
  // Writes many blocks at once: compression and checksums run on every core, then the
  // DVAs are allocated in order and the copies written in parallel. Each job's status
  // says how it went; the call fails only if one did.
  Status write_batch(std::span<Job> jobs, uint64_t txg);

  // Returns every DVA of a block to the allocator; a gang block's members too (read
  // through the reader set with set_reader).
  void free(const Blkptr& bp, uint64_t txg);
  void set_reader(BlockReader* reader) { reader_ = reader; }

  // True if every byte is zero (such a block becomes a hole when compression is on).
  static bool all_zero(std::span<const uint8_t> data);

 private:
  // The CPU half of a write: hole test, compression, checksum (no shared state).
  struct Prepared {
    bool hole = false;
    std::vector<uint8_t> packed;     // compressed bytes when compression won
    std::span<const uint8_t> phys;   // what goes to disk (packed or the logical bytes)
    Blkptr bp;                       // sizes, compression, checksum, birth, fill set
    bool written = false;            // stored as a gang block already
  };
  Result<Prepared> prepare(std::span<const uint8_t> logical, const WritePolicy& p, uint64_t txg) const;
  // The I/O half: DVAs (new or reused), then the copies.
  Status place(Prepared& prep, const WritePolicy& p, uint64_t txg, const Blkptr& old, bool* reused);
  Status write_copies(const Blkptr& bp, std::span<const uint8_t> phys);
  // When no free segment holds the block: a gang block, its bytes split over up to three
  // smaller blocks listed in a 512-byte header (which its DVAs point to).
  Status write_gang(Prepared& prep, int copies, uint64_t txg, int depth);
  Result<Blkptr> write_member(std::span<const uint8_t> bytes, const Blkptr& parent, int copies, uint64_t txg,
                              int depth);
  void remember(const Blkptr& bp, std::span<const uint8_t> logical, bool cache);

  Vdev* root_;
  BlockReader* reader_ = nullptr;
  BlockAllocator* alloc_;
  BlockCache* cache_;
  uint64_t min_alloc_;
};

}  // namespace fzfs
