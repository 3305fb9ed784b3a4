#include "engine/zio/block_writer.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "engine/util/task_pool.h"

namespace fzfs {
namespace {

uint64_t make_prop(uint64_t lsize, uint64_t psize, const WritePolicy& p, Compress c) {
  uint64_t prop = 0;
  prop |= ((lsize >> kSectorShift) - 1) & 0xffff;
  prop |= (((psize >> kSectorShift) - 1) & 0xffff) << 16;
  prop |= uint64_t(static_cast<uint8_t>(c) & 0x7f) << 32;
  prop |= uint64_t(static_cast<uint8_t>(p.checksum)) << 40;
  prop |= uint64_t(p.type) << 48;
  prop |= uint64_t(p.level & 0x1f) << 56;
  if (Blkptr::kHostLittleEndian()) prop |= 1ULL << 63;
  return prop;
}

uint64_t round_up(uint64_t v, uint64_t unit) { return (v + unit - 1) / unit * unit; }

constexpr uint64_t kGangHeaderBytes = 512;
constexpr uint64_t kGangMembers = 3;
constexpr int kMaxGangDepth = 2;

}  // namespace

BlockWriter::BlockWriter(Vdev* root, BlockAllocator* alloc, BlockCache* cache, uint64_t min_alloc)
    : root_(root), alloc_(alloc), cache_(cache), min_alloc_(std::max<uint64_t>(min_alloc, 512)) {}

bool BlockWriter::all_zero(std::span<const uint8_t> d) {
  const uint8_t* p = d.data();
  size_t n = d.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (w) return false;
    p += 8, n -= 8;
  }
  while (n--)
    if (*p++) return false;
  return true;
}

Result<BlockWriter::Prepared> BlockWriter::prepare(std::span<const uint8_t> logical, const WritePolicy& p,
                                                  uint64_t txg) const {
  const uint64_t lsize = logical.size();
  if (lsize == 0 || lsize % 512 != 0 || lsize > (16u << 20))
    return make_error(EINVAL, "cannot write a block of {} bytes", lsize);
  Prepared prep;
  Compress c = p.compress;
  if (c != Compress::kOff && all_zero(logical)) {
    // ZFS stores an all-zero block as a hole when compression is on: no DVA, no I/O.
    // (An all-zero bp: pools without hole_birth record nothing else about a hole.)
    prep.hole = true;
    return prep;
  }
  prep.phys = logical;
  if (c != Compress::kOff) {
    prep.packed = compress(c, logical, lsize - lsize / 8);
    uint64_t rounded = prep.packed.empty() ? lsize : round_up(prep.packed.size(), min_alloc_);
    if (prep.packed.empty() || rounded >= lsize) {
      c = Compress::kOff;
      prep.packed.clear();
    } else {
      prep.packed.resize(rounded, 0);
      prep.phys = prep.packed;
    }
  }
  prep.bp.prop = make_prop(lsize, prep.phys.size(), p, c);
  prep.bp.birth = txg;
  prep.bp.fill = p.fill;
  if (!compute_checksum(p.checksum, prep.phys, false, &prep.bp.cksum))
    return make_error(ENOTSUP, "cannot compute checksum {}", checksum_name(p.checksum));
  return prep;
}

Status BlockWriter::place(Prepared& prep, const WritePolicy& p, uint64_t txg, const Blkptr& old, bool* reused) {
  *reused = false;
  Blkptr& bp = prep.bp;
  const uint64_t psize = prep.phys.size();
  const int copies = std::clamp(p.copies, 1, 3);
  if (!old.is_hole() && !old.embedded() && old.birth == txg && old.psize() == psize && old.ndvas() == copies) {
    for (int d = 0; d < 3; d++) bp.dva[d] = old.dva[d];
    *reused = true;
    return Status::Ok();
  }
  for (int d = 0; d < copies; d++) {
    auto dva = alloc_->allocate(psize, txg, std::span<const Dva>(bp.dva, d));
    if (!dva.ok()) {
      for (int u = 0; u < d; u++) alloc_->free(bp.dva[u], txg, txg);
      for (auto& x : bp.dva) x = Dva{};
      if (dva.error().code() == ENOSPC && psize > kGangHeaderBytes) return write_gang(prep, copies, txg, 0);
      return std::move(dva).error();
    }
    bp.dva[d] = *dva;
  }
  return Status::Ok();
}

Result<Blkptr> BlockWriter::write_member(std::span<const uint8_t> bytes, const Blkptr& parent, int copies,
                                         uint64_t txg, int depth) {
  Prepared prep;
  prep.phys = bytes;
  prep.bp.prop = parent.prop;
  prep.bp.prop &= ~((0xffffULL) | (0xffffULL << 16) | (0x7fULL << 32));  // sizes, compression
  prep.bp.prop |= ((bytes.size() >> kSectorShift) - 1) | (((bytes.size() >> kSectorShift) - 1) << 16);
  prep.bp.prop |= uint64_t(static_cast<uint8_t>(Compress::kOff)) << 32;
  prep.bp.birth = txg;
  prep.bp.fill = 1;
  ChecksumType func = parent.checksum();
  if (!compute_checksum(func, bytes, false, &prep.bp.cksum)) return make_error(ENOTSUP, "gang member checksum");
  for (int d = 0; d < copies; d++) {
    auto dva = alloc_->allocate(bytes.size(), txg, std::span<const Dva>(prep.bp.dva, d));
    if (!dva.ok()) {
      for (int u = 0; u < d; u++) alloc_->free(prep.bp.dva[u], txg, txg);
      for (auto& x : prep.bp.dva) x = Dva{};
      if (dva.error().code() == ENOSPC && bytes.size() > kGangHeaderBytes && depth < kMaxGangDepth) {
        FZ_CHECK(write_gang(prep, copies, txg, depth + 1));
        return prep.bp;
      }
      return std::move(dva).error();
    }
    prep.bp.dva[d] = *dva;
  }
  FZ_CHECK(write_copies(prep.bp, bytes));
  return prep.bp;
}

Status BlockWriter::write_gang(Prepared& prep, int copies, uint64_t txg, int depth) {
  Blkptr& bp = prep.bp;
  // The header first: it is small enough to fit where the block did not.
  Dva header[3];
  for (int d = 0; d < copies; d++) {
    auto dva = alloc_->allocate(kGangHeaderBytes, txg, std::span<const Dva>(header, d));
    if (!dva.ok()) {
      for (int u = 0; u < d; u++) alloc_->free(header[u], txg, txg);
      return std::move(dva).error().context("gang header");
    }
    header[d] = *dva;
  }
  // Up to three members of whole sectors, the last taking the rest.
  const uint64_t sectors = prep.phys.size() >> kSectorShift;
  const uint64_t per = (sectors + kGangMembers - 1) / kGangMembers;
  std::vector<uint8_t> hdr(kGangHeaderBytes, 0);
  std::vector<Blkptr> members;
  uint64_t asize[3] = {header[0].asize(), header[1].asize(), header[2].asize()};
  for (uint64_t first = 0; first < sectors; first += per) {
    const uint64_t n = std::min(per, sectors - first);
    auto m = write_member(prep.phys.subspan(first << kSectorShift, n << kSectorShift), bp, copies, txg, depth);
    if (!m.ok()) {
      for (const Blkptr& done : members) free(done, txg);
      for (int d = 0; d < copies; d++) alloc_->free(header[d], txg, txg);
      return std::move(m).error().context("gang member");
    }
    m->encode(hdr.data() + members.size() * kBlkptrSize);
    for (int d = 0; d < copies; d++) asize[d] += m->dva[d].asize();
    members.push_back(*m);
  }
  // The parent's DVAs point at the header copies (gang bit set) and charge the whole tree.
  for (int d = 0; d < copies; d++) {
    Dva g = header[d];
    g.word[0] = (g.word[0] & ~0xffffffULL) | ((asize[d] >> kSectorShift) & 0xffffff);
    g.word[1] |= 1ULL << 63;
    bp.dva[d] = g;
  }
  Cksum verifier;
  verifier.w[0] = bp.dva[0].vdev();
  verifier.w[1] = bp.dva[0].offset();
  verifier.w[2] = bp.birth;
  if (!seal_embedded(hdr, ChecksumType::kSha256, verifier)) return make_error(ENOTSUP, "gang header: sha256 unavailable");
  for (int d = 0; d < copies; d++) {
    Status s = root_->children[header[d].vdev()]->write(header[d].offset(), hdr);
    if (!s.ok()) return std::move(s).error().context("gang header {}", header[d].to_string());
  }
  prep.written = true;
  return Status::Ok();
}

void BlockWriter::remember(const Blkptr& bp, std::span<const uint8_t> logical, bool cache) {
  // A block rewritten in place keeps its cache key (DVA and birth): refresh the entry,
  // or drop it when the block is not to be cached, so no stale bytes stay behind.
  const BlockCache::Key key = BlockCache::Key::of(bp);
  if (cache) cache_->put(key, std::make_shared<const std::vector<uint8_t>>(logical.begin(), logical.end()));
  else cache_->erase(key);
}

Result<Blkptr> BlockWriter::write(std::span<const uint8_t> logical, const WritePolicy& p, uint64_t txg,
                                  const Blkptr& old, bool* reused) {
  *reused = false;
  FZ_TRY(Prepared prep, prepare(logical, p, txg));
  if (prep.hole) return Blkptr{};
  FZ_CHECK(place(prep, p, txg, old, reused));
  if (Status s = prep.written ? Status::Ok() : write_copies(prep.bp, prep.phys); !s.ok()) {
    if (!*reused)
      for (const Dva& d : prep.bp.dva)
        if (!d.empty()) alloc_->free(d, txg, txg);
    return std::move(s).error();
  }
  remember(prep.bp, logical, p.cache);
  return prep.bp;
}

Status BlockWriter::write_batch(std::span<Job> jobs, uint64_t txg) {
  std::vector<Result<Prepared>> preps(jobs.size(), Result<Prepared>(Error(EIO, "not prepared")));
  TaskPool::shared().parallel_for(jobs.size(), [&](size_t i) { preps[i] = prepare(jobs[i].logical, jobs[i].policy, txg); });
  Status first;
  for (size_t i = 0; i < jobs.size(); i++) {
    Job& j = jobs[i];
    j.reused = false;
    if (!preps[i].ok()) {
      j.status = preps[i].error();
    } else if (preps[i]->hole) {
      j.bp = Blkptr{};
    } else {
      j.status = place(*preps[i], j.policy, txg, j.old, &j.reused);
    }
    if (!j.status.ok() && first.ok()) first = j.status;
  }
  TaskPool::shared().parallel_for(jobs.size(), [&](size_t i) {
    Job& j = jobs[i];
    if (!j.status.ok() || preps[i]->hole || preps[i]->written) return;
    j.status = write_copies(preps[i]->bp, preps[i]->phys);
  });
  for (size_t i = 0; i < jobs.size(); i++) {
    Job& j = jobs[i];
    if (!preps[i].ok() || preps[i]->hole) continue;
    if (!j.status.ok()) {
      if (!j.reused)
        for (const Dva& d : preps[i]->bp.dva)
          if (!d.empty()) alloc_->free(d, txg, txg);
      if (first.ok()) first = j.status;
      continue;
    }
    j.bp = preps[i]->bp;
    remember(j.bp, j.logical, j.policy.cache);
  }
  return first;
}

Status BlockWriter::write_copies(const Blkptr& bp, std::span<const uint8_t> phys) {
  for (const Dva& dva : bp.dva) {
    if (dva.empty()) continue;
    if (dva.vdev() >= root_->children.size())
      return make_error(EIO, "DVA {} names no top-level vdev", dva.to_string());
    Status s = root_->children[dva.vdev()]->write(dva.offset(), phys);
    if (!s.ok()) return std::move(s).error().context("write {}", dva.to_string());
  }
  return Status::Ok();
}

void BlockWriter::free(const Blkptr& bp, uint64_t txg) {
  if (bp.is_hole() || bp.embedded()) return;
  bool members_freed = false;
  for (const Dva& dva : bp.dva) {
    if (dva.empty()) continue;
    if (!dva.gang()) {
      alloc_->free(dva, bp.physical_birth(), txg);
      continue;
    }
    // A gang DVA's asize covers its members. Every header copy lists the same members
    // (each with all its copies): free them once, then each header copy.
    if (!members_freed && reader_) {
      auto members = reader_->gang_children(bp, dva);
      if (members.ok()) {
        for (const Blkptr& m : *members) free(m, txg);
        members_freed = true;
      }
    }
    Dva header = dva;
    header.word[1] &= ~(1ULL << 63);
    const uint64_t hsize = header.vdev() < root_->children.size() ? root_->children[header.vdev()]->asize(kGangHeaderBytes)
                                                                   : kGangHeaderBytes;
    header.word[0] = (header.word[0] & ~0xffffffULL) | ((hsize >> kSectorShift) & 0xffffff);
    alloc_->free(header, bp.physical_birth(), txg);
  }
}

}  // namespace fzfs
