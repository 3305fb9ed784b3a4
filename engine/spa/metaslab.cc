#include "engine/spa/metaslab.h"

#include <algorithm>
#include <bit>
#include <utility>

namespace fzfs {
namespace {

// Records [start, start + len) in `into`, except the parts that `opposite` holds: those
// are struck from it instead, as an ALLOC and a FREE of the same range in one txg add
// up to nothing on disk.
void record_change(RangeSet& opposite, RangeSet& into, uint64_t start, uint64_t len) {
  const uint64_t common = opposite.overlap(start, len);
  if (common == 0) {
    into.add(start, len);
    return;
  }
  // Rare: a range freed at once and reused in the same txg. Split it into the pieces
  // the opposite set holds and the gaps between them.
  std::vector<std::pair<uint64_t, uint64_t>> pieces;
  const uint64_t end = start + len;
  opposite.for_each([&](uint64_t s, uint64_t l) {
    const uint64_t a = std::max(s, start), b = std::min(s + l, end);
    if (a < b) pieces.emplace_back(a, b);
  });
  uint64_t at = start;
  for (auto [a, b] : pieces) {
    if (a > at) into.add(at, a - at);
    opposite.remove(a, b - a);
    at = b;
  }
  if (at < end) into.add(at, end - at);
}

void append_ranges(const RangeSet& set, SmType type, std::vector<SpaceMapRange>* out) {
  set.for_each([&](uint64_t s, uint64_t l) { out->push_back({type, s, l}); });
}

}  // namespace

uint64_t legacy_metaslab_shift(uint64_t asize) {
  constexpr uint64_t kTargetCount = 200, kMinShift = 17;
  return std::max<uint64_t>(std::bit_width(asize / kTargetCount), kMinShift);
}

Metaslab::Metaslab(uint64_t index, const SpaceMapRegion& region, RangeSet allocated, uint64_t object)
    : index_(index), region_(region), object_(object), allocated_(std::move(allocated)), free_(region.size) {
  uint64_t at = region_.start;
  allocated_.for_each([&](uint64_t s, uint64_t l) {
    if (s > at) free_.add(at, s - at);
    at = s + l;
  });
  if (region_.start + region_.size > at) free_.add(at, region_.start + region_.size - at);
}

Result<Metaslab> Metaslab::create(uint64_t index, const SpaceMapRegion& region, RangeSet allocated, uint64_t object) {
  const uint64_t unit = region.shift < 64 ? 1ULL << region.shift : 0;
  if (unit == 0 || region.start % unit != 0 || region.size % unit != 0 || region.size == 0 ||
      region.start + region.size < region.start)
    return make_error(EINVAL, "metaslab {}: region [{:#x}, +{:#x}) is not whole units of {} bytes", index,
                      region.start, region.size, unit);
  Status bad = Status::Ok();
  allocated.for_each([&](uint64_t s, uint64_t l) {
    if (!bad.ok()) return;
    if (s < region.start || s + l > region.start + region.size || s % unit != 0 || l % unit != 0)
      bad = make_error(EINVAL, "metaslab {}: allocated range [{:#x}, +{:#x}) is outside [{:#x}, +{:#x}) or unaligned",
                       index, s, l, region.start, region.size);
  });
  FZ_CHECK(std::move(bad));
  return Metaslab(index, region, std::move(allocated), object);
}

std::optional<uint64_t> Metaslab::allocate(uint64_t asize, uint64_t txg) {
  std::optional<uint64_t> at = free_.take(asize);
  if (!at) return std::nullopt;
  allocated_.add(*at, asize);
  Changes& c = pending_[txg];
  record_change(c.free, c.alloc, *at, asize);
  if (c.alloc.empty() && c.free.empty()) pending_.erase(txg);
  return at;
}

bool Metaslab::free(uint64_t offset, uint64_t asize, uint64_t birth, uint64_t txg) {
  if (asize == 0 || !allocated_.contains(offset, asize)) return false;
  allocated_.remove(offset, asize);
  Changes& c = pending_[txg];
  record_change(c.alloc, c.free, offset, asize);
  if (c.alloc.empty() && c.free.empty()) pending_.erase(txg);
  if (birth == txg) {
    // No synced block pointer can name space born in the syncing txg.
    free_.add(offset, asize);
  } else {
    deferred_[txg].add(offset, asize);
    deferred_bytes_ += asize;
  }
  return true;
}

void Metaslab::sync_done(uint64_t txg) {
  while (!deferred_.empty() && deferred_.begin()->first + 2 <= txg) {
    const RangeSet& set = deferred_.begin()->second;
    set.for_each([&](uint64_t s, uint64_t l) { free_.add(s, l); });
    deferred_bytes_ -= set.bytes();
    deferred_.erase(deferred_.begin());
  }
}

RangeSet Metaslab::mapped() const {
  // Undo the untaken txgs newest first: a range may be allocated in one and freed in a
  // later one.
  RangeSet set = allocated_;
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    it->second.free.for_each([&](uint64_t s, uint64_t l) { set.add(s, l); });
    it->second.alloc.for_each([&](uint64_t s, uint64_t l) { set.remove(s, l); });
  }
  return set;
}

std::vector<SpaceMapBatch> Metaslab::take_changes(uint64_t txg) {
  std::vector<SpaceMapBatch> out;
  while (!pending_.empty() && pending_.begin()->first <= txg) {
    auto node = pending_.extract(pending_.begin());
    SpaceMapBatch b;
    b.txg = node.key();
    append_ranges(node.mapped().alloc, SmType::kAlloc, &b.ranges);
    append_ranges(node.mapped().free, SmType::kFree, &b.ranges);
    b.alloc_delta = int64_t(node.mapped().alloc.bytes()) - int64_t(node.mapped().free.bytes());
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace fzfs
