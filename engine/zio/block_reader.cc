#include "engine/zio/block_reader.h"

#include <cstring>

#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

constexpr uint64_t kGangHeaderSize = 512;
constexpr int kGangHeaderPtrs = 3;
constexpr int kMaxGangDepth = 8;        // gang blocks may nest; a deeper chain is corrupt
constexpr uint64_t kMaxBlockSize = 16ULL << 20;  // SPA_MAXBLOCKSIZE

}  // namespace

BlockReader::BlockReader(Vdev* root, size_t cache_bytes) : root_(root), cache_(cache_bytes) {}

bool BlockReader::verify(const Blkptr& bp, std::span<const uint8_t> data) const {
  ChecksumType t = bp.checksum();
  if (t == ChecksumType::kOff || !verify_checksums_) return true;
  Cksum got;
  if (!compute_checksum(t, data, foreign(bp), &got)) return false;
  return got == bp.cksum;
}

Result<BlockData> BlockReader::read(const Blkptr& bp) {
  uint64_t lsize = bp.lsize();
  if (lsize > kMaxBlockSize) return make_error(EIO, "blkptr {}: logical size {} is too large", bp.to_string(), lsize);

  if (bp.embedded()) {
    if (bp.etype() != EmbeddedType::kData)
      return make_error(ENOTSUP, "embedded blkptr of type {} is not supported", static_cast<int>(bp.etype()));
    uint64_t psize = bp.psize();
    if (psize > 112) return make_error(EIO, "embedded blkptr payload of {} bytes exceeds 112", psize);
    std::vector<uint8_t> payload(psize);
    bp.embedded_payload(payload.data());
    auto out = std::make_shared<std::vector<uint8_t>>(lsize);
    if (bp.compress() == Compress::kOff || bp.compress() == Compress::kInherit) {
      if (psize != lsize) return make_error(EIO, "uncompressed embedded blkptr with psize {} != lsize {}", psize, lsize);
      std::memcpy(out->data(), payload.data(), psize);
    } else {
      Status s = decompress(bp.compress(), payload, *out);
      if (!s.ok()) return std::move(s.error()).context("embedded blkptr {}", bp.to_string());
    }
    return BlockData(out);
  }
  if (bp.is_hole()) return BlockData(std::make_shared<std::vector<uint8_t>>(lsize, 0));
  if (bp.encrypted()) return make_error(ENOTSUP, "blkptr {}: encrypted blocks are not supported", bp.to_string());

  const BlockCache::Key key = BlockCache::Key::of(bp);
  if (BlockData hit = cache_.get(key)) return hit;
  wait_for_prefetch(key);
  if (BlockData hit = cache_.get(key)) return hit;
  return read_uncached(bp, key);
}

void BlockReader::wait_for_prefetch(const BlockCache::Key& key) {
  std::unique_lock<std::mutex> l(inflight_mu_);
  auto it = inflight_.find(key);
  if (it == inflight_.end()) return;
  std::shared_ptr<InFlight> f = it->second;
  f->cv.wait(l, [&] { return f->done; });
}

void BlockReader::prefetch(const Blkptr& bp) {
  constexpr size_t kMaxInFlight = 64;
  if (bp.embedded() || bp.is_hole() || bp.encrypted() || bp.lsize() > kMaxBlockSize) return;
  const BlockCache::Key key = BlockCache::Key::of(bp);
  auto f = std::make_shared<InFlight>();
  {
    std::lock_guard<std::mutex> g(inflight_mu_);
    if (inflight_.size() >= kMaxInFlight || inflight_.count(key)) return;
    inflight_.emplace(key, f);
  }
  auto finish = [this, key, f] {
    std::lock_guard<std::mutex> g(inflight_mu_);
    f->done = true;
    inflight_.erase(key);
    f->cv.notify_all();
  };
  bool queued = prefetch_queue_.submit([this, bp, key, finish] {
    if (!cache_.get(key)) (void)read_uncached(bp, key);  // a failure shows when the block is read
    finish();
  });
  if (!queued) finish();
}

Result<BlockData> BlockReader::read_uncached(const Blkptr& bp, const BlockCache::Key& key) {
  const uint64_t lsize = bp.lsize();
  FZ_TRY(std::vector<uint8_t> phys, read_physical(bp, 0));
  std::shared_ptr<std::vector<uint8_t>> out;
  Compress c = bp.compress();
  if (c == Compress::kOff || c == Compress::kInherit) {
    if (phys.size() < lsize) return make_error(EIO, "blkptr {}: uncompressed block with psize < lsize", bp.to_string());
    phys.resize(lsize);
    out = std::make_shared<std::vector<uint8_t>>(std::move(phys));
  } else {
    out = std::make_shared<std::vector<uint8_t>>(lsize);
    Status s = decompress(c, phys, *out);
    if (!s.ok()) return std::move(s.error()).context("blkptr {}", bp.to_string());
  }
  cache_.put(key, out);
  return BlockData(out);
}

Result<std::vector<uint8_t>> BlockReader::read_physical(const Blkptr& bp, int depth) {
  int ndva = 0;
  Error last(EIO, "no valid DVA");
  for (const Dva& dva : bp.dva) {
    if (dva.asize() == 0) continue;
    ndva++;
    auto r = read_dva(bp, dva, depth);
    if (r.ok()) return r;
    last = std::move(r).error();
  }
  if (ndva == 0) return make_error(EIO, "blkptr {} has no DVA", bp.to_string());
  return std::move(last).context("blkptr {}", bp.to_string());
}

Result<std::vector<uint8_t>> BlockReader::read_dva(const Blkptr& bp, const Dva& dva, int depth) {
  if (dva.gang()) return read_gang(bp, dva, depth);
  uint64_t vd = dva.vdev();
  if (vd >= root_->children.size())
    return make_error(EIO, "DVA {} names vdev {} but the pool has {}", dva.to_string(), vd, root_->children.size());
  Vdev* top = root_->children[vd].get();
  uint64_t psize = bp.psize();
  if (psize > kMaxBlockSize) return make_error(EIO, "physical size {} is too large", psize);
  std::vector<uint8_t> buf(psize);
  Status s = top->read(dva.offset(), buf, [&](std::span<const uint8_t> d) { return verify(bp, d); });
  if (!s.ok()) return std::move(s.error()).context("DVA {}", dva.to_string());
  return buf;
}

// A gang block stands in for a block that could not be allocated in one piece: its DVA
// points to a 512-byte header holding up to three block pointers whose data, laid end to
// end, is the block's physical data. The header carries its own embedded checksum.
Result<std::vector<Blkptr>> BlockReader::gang_children(const Blkptr& bp, const Dva& dva) {
  uint64_t vd = dva.vdev();
  if (vd >= root_->children.size()) return make_error(EIO, "gang DVA {} names a vdev that does not exist", dva.to_string());
  Vdev* top = root_->children[vd].get();

  // The header's verifier binds it to the block's identity: DVA[0] and the birth txg.
  Cksum verifier;
  verifier.w[0] = bp.dva[0].vdev();
  verifier.w[1] = bp.dva[0].offset();
  verifier.w[2] = bp.physical_birth();
  std::vector<uint8_t> hdr(kGangHeaderSize);
  Status s = top->read(dva.offset(), hdr, [&](std::span<const uint8_t> d) {
    std::vector<uint8_t> copy(d.begin(), d.end());
    return verify_embedded(copy, ChecksumType::kSha256, verifier);
  });
  if (!s.ok()) return std::move(s.error()).context("gang header at DVA {}", dva.to_string());

  bool little = load<uint64_t>(&hdr[kGangHeaderSize - 40]) == (kHostLittle ? kZecMagic : bswap(kZecMagic))
                    ? kHostLittle
                    : !kHostLittle;
  std::vector<Blkptr> children;
  for (int i = 0; i < kGangHeaderPtrs; i++) {
    Blkptr child = Blkptr::decode(&hdr[i * kBlkptrSize], little);
    if (child.is_hole() && child.birth == 0) continue;
    children.push_back(child);
  }
  return children;
}

Result<std::vector<uint8_t>> BlockReader::read_gang(const Blkptr& bp, const Dva& dva, int depth) {
  if (depth >= kMaxGangDepth) return make_error(EIO, "gang blocks nested deeper than {}", kMaxGangDepth);
  FZ_TRY(std::vector<Blkptr> children, gang_children(bp, dva));
  std::vector<uint8_t> data;
  data.reserve(bp.psize());
  for (const Blkptr& child : children) {
    FZ_TRY(std::vector<uint8_t> part, read_physical(child, depth + 1));
    if (data.size() + part.size() > bp.psize() + kGangHeaderSize)
      return make_error(EIO, "gang children exceed the block's size {}", bp.psize());
    data.insert(data.end(), part.begin(), part.end());
  }
  if (data.size() < bp.psize()) return make_error(EIO, "gang children hold {} of {} bytes", data.size(), bp.psize());
  data.resize(bp.psize());
  if (!verify(bp, data)) return make_error(kECKSUM, "gang block data does not match its checksum");
  return data;
}

}  // namespace fzfs
