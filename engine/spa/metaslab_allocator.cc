#include "engine/spa/metaslab_allocator.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace fzfs {
namespace {

// Bytes a vdev receives per turn of the rotor, per child, before the free-space scaling:
// long enough runs for sequential writes on each disk.
constexpr uint64_t kAliquot = 512 << 10;
// More metaslabs than any sane layout needs; a config asking for more is refused rather
// than allocating without bound.
constexpr uint64_t kMaxMetaslabs = 1 << 20;

Dva make_dva(uint64_t vdev, uint64_t offset, uint64_t asize) {
  Dva d;
  d.word[0] = (vdev << 32) | ((asize >> kSectorShift) & 0xffffff);
  d.word[1] = offset >> kSectorShift;
  return d;
}

uint64_t abs_diff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

}  // namespace

struct MetaslabAllocator::Top {
  uint64_t id = 0;
  const Vdev* vdev = nullptr;
  uint64_t vdev_size = 0;  // the vdev's asize
  uint64_t shift = 0;
  uint64_t aliquot = kAliquot;
  bool allocatable = true;
  std::vector<Metaslab> ms;
  std::optional<size_t> primary;    // where first copies go until it runs out
  std::optional<size_t> secondary;  // where further copies on this vdev go

  SpaceTotals totals() const {
    SpaceTotals t;
    for (const Metaslab& m : ms) {
      t.size += m.region().size;
      t.allocated += m.allocated_bytes();
      t.deferred += m.deferred_bytes();
    }
    return t;
  }

  // Bytes between metaslab m and the metaslab holding `offset`.
  uint64_t distance(size_t m, uint64_t offset) const { return abs_diff(m, offset >> shift) << shift; }

  bool far_enough(size_t m, std::span<const uint64_t> near, uint64_t min_distance) const {
    return std::all_of(near.begin(), near.end(), [&](uint64_t o) { return distance(m, o) >= min_distance; });
  }

  // The metaslab with most free space that can hold `asize` and is far enough from the
  // other copies; lower metaslabs count up to double.
  std::optional<size_t> best(uint64_t asize, std::span<const uint64_t> near, uint64_t min_distance) const {
    std::optional<size_t> pick;
    unsigned __int128 pick_weight = 0;
    for (size_t m = 0; m < ms.size(); m++) {
      if (ms[m].largest_free() < asize || !far_enough(m, near, min_distance)) continue;
      const unsigned __int128 f = ms[m].free_bytes();
      const unsigned __int128 w = 2 * f * ms.size() - f * m;
      if (!pick || w > pick_weight) pick = m, pick_weight = w;
    }
    return pick;
  }

  std::optional<uint64_t> allocate_in(std::optional<size_t>* active, uint64_t asize, uint64_t txg,
                                      std::span<const uint64_t> near, uint64_t min_distance) {
    if (!*active || ms[**active].largest_free() < asize || !far_enough(**active, near, min_distance))
      *active = best(asize, near, min_distance);
    if (!*active) return std::nullopt;
    return ms[**active].allocate(asize, txg);
  }

  // `near`: offsets of the block's other copies on this vdev.
  std::optional<uint64_t> allocate(uint64_t asize, uint64_t txg, std::span<const uint64_t> near) {
    if (near.empty()) return allocate_in(&primary, asize, txg, near, 0);
    // Copies on one vdev should not share a fate: start an eighth of the vdev apart,
    // then settle for less, down to another metaslab, then anywhere.
    const uint64_t ms_size = 1ULL << shift;
    for (uint64_t d = vdev_size >> 3;; d >>= 1) {
      const uint64_t min_distance = d > ms_size ? d : ms_size;
      if (auto at = allocate_in(&secondary, asize, txg, near, min_distance)) return at;
      if (d <= ms_size) break;
    }
    return allocate_in(&secondary, asize, txg, near, 0);
  }
};

MetaslabAllocator::MetaslabAllocator(std::vector<std::unique_ptr<Top>> tops) : tops_(std::move(tops)) {}
MetaslabAllocator::~MetaslabAllocator() = default;

Result<std::unique_ptr<MetaslabAllocator>> MetaslabAllocator::create(std::vector<TopVdevSpace> vdevs) {
  std::vector<std::unique_ptr<Top>> tops;
  for (TopVdevSpace& v : vdevs) {
    if (v.vdev == nullptr) return make_error(EINVAL, "top-level vdev {}: no vdev to size blocks with", v.id);
    if (v.ashift < kSectorShift || v.ashift > 16 || v.metaslab_shift < v.ashift || v.metaslab_shift >= 63)
      return make_error(EINVAL, "top-level vdev {}: ashift {} with metaslab_shift {} is not usable", v.id, v.ashift,
                        v.metaslab_shift);
    if (v.id > 4096) return make_error(EINVAL, "top-level vdev id {} is out of range", v.id);
    const uint64_t count = v.asize >> v.metaslab_shift;
    if (count > kMaxMetaslabs)
      return make_error(EINVAL, "top-level vdev {}: {} metaslabs of 2^{} bytes is more than {}", v.id, count,
                        v.metaslab_shift, kMaxMetaslabs);
    if (!v.metaslabs.empty() && v.metaslabs.size() != count)
      return make_error(EINVAL, "top-level vdev {}: {} metaslab states for {} metaslabs", v.id, v.metaslabs.size(),
                        count);
    if (tops.size() <= v.id) tops.resize(v.id + 1);
    if (tops[v.id]) return make_error(EINVAL, "top-level vdev id {} appears twice", v.id);
    auto t = std::make_unique<Top>();
    t->id = v.id;
    t->vdev = v.vdev;
    t->vdev_size = v.asize;
    t->shift = v.metaslab_shift;
    t->aliquot = kAliquot * std::max<uint64_t>(1, v.vdev->children.size());
    for (uint64_t i = 0; i < count; i++) {
      SpaceMapRegion region{i << v.metaslab_shift, 1ULL << v.metaslab_shift, v.ashift};
      TopVdevSpace::MetaslabState state;
      if (!v.metaslabs.empty()) state = std::move(v.metaslabs[i]);
      auto m = Metaslab::create(i, region, std::move(state.allocated), state.object);
      if (!m.ok()) return std::move(m.error()).context("top-level vdev {}", v.id);
      t->ms.push_back(std::move(*m));
    }
    t->allocatable = v.allocatable;
    tops[v.id] = std::move(t);
  }
  auto a = std::unique_ptr<MetaslabAllocator>(new MetaslabAllocator(std::move(tops)));
  for (const auto& t : a->tops_)
    if (t && t->allocatable) a->order_.push_back(t->id);
  return a;
}

MetaslabAllocator::Top* MetaslabAllocator::top(uint64_t vdev) const {
  return vdev < tops_.size() ? tops_[vdev].get() : nullptr;
}

uint64_t MetaslabAllocator::turn_for(const Top& t) const {
  // Each vdev's share of a rotation follows its free space, so vdevs of different sizes
  // or fill levels converge on the same fraction used.
  uint64_t total_free = 0;
  for (uint64_t id : order_) total_free += tops_[id]->totals().free();
  const double mean = double(total_free) / double(order_.size());
  if (mean <= 0) return t.aliquot;
  return std::max<uint64_t>(1, uint64_t(double(t.aliquot) * double(t.totals().free()) / mean));
}

void MetaslabAllocator::advance_rotor(uint64_t allocated_bytes) {
  if (allocated_bytes == 0) {  // the rotor's vdev had no room: its turn ends
    rotor_ = (rotor_ + 1) % order_.size();
    rotor_used_ = 0;
    return;
  }
  if (rotor_used_ == 0) rotor_turn_ = turn_for(*tops_[order_[rotor_]]);
  rotor_used_ += allocated_bytes;
  if (rotor_used_ >= rotor_turn_) {
    rotor_ = (rotor_ + 1) % order_.size();
    rotor_used_ = 0;
  }
}

std::optional<Dva> MetaslabAllocator::allocate_on(Top& t, uint64_t psize, uint64_t txg, std::span<const Dva> taken) {
  const uint64_t asize = t.vdev->asize(psize);
  if (asize == 0 || asize >> kSectorShift > 0xffffff) return std::nullopt;
  std::vector<uint64_t> near;
  for (const Dva& d : taken)
    if (d.vdev() == t.id) near.push_back(d.offset());
  std::optional<uint64_t> at = t.allocate(asize, txg, near);
  if (!at) return std::nullopt;
  return make_dva(t.id, *at, asize);
}

Result<Dva> MetaslabAllocator::allocate(uint64_t psize, uint64_t txg, std::span<const Dva> taken) {
  if (psize == 0 || psize % (1 << kSectorShift) != 0)
    return make_error(EINVAL, "cannot allocate a block of {} bytes: not whole sectors", psize);
  std::lock_guard lock(mu_);
  const size_t n = order_.size();
  auto holds_copy = [&](uint64_t id) {
    return std::any_of(taken.begin(), taken.end(), [&](const Dva& d) { return d.vdev() == id; });
  };
  if (taken.empty()) {
    for (size_t i = 0; i < n; i++) {
      if (auto d = allocate_on(*tops_[order_[rotor_]], psize, txg, taken)) {
        advance_rotor(d->asize());
        return *d;
      }
      advance_rotor(0);
    }
  } else {
    // Further copies leave the rotor alone: they start after the previous copy's vdev,
    // first where no copy is, then where one is.
    const uint64_t last = taken.back().vdev();
    const size_t start = std::upper_bound(order_.begin(), order_.end(), last) - order_.begin();
    for (bool shared : {false, true}) {
      for (size_t i = 0; i < n; i++) {
        Top& t = *tops_[order_[(start + i) % n]];
        if (holds_copy(t.id) != shared) continue;
        if (auto d = allocate_on(t, psize, txg, taken)) return *d;
      }
    }
  }
  return make_error(ENOSPC, "no top-level vdev has room for a block of {} bytes (txg {})", psize, txg);
}

void MetaslabAllocator::free(const Dva& dva, uint64_t birth, uint64_t txg) {
  std::lock_guard lock(mu_);
  Top* t = top(dva.vdev());
  const uint64_t offset = dva.offset(), asize = dva.asize();
  const uint64_t m = t ? offset >> t->shift : 0;
  if (t == nullptr || m >= t->ms.size() || ((offset + asize - 1) >> t->shift) != m ||
      !t->ms[m].free(offset, asize, birth, txg))
    rejected_frees_++;
}

void MetaslabAllocator::sync_done(uint64_t txg) {
  std::lock_guard lock(mu_);
  for (auto& t : tops_)
    if (t)
      for (Metaslab& m : t->ms) m.sync_done(txg);
}

std::vector<MetaslabChanges> MetaslabAllocator::take_changes(uint64_t txg) {
  std::lock_guard lock(mu_);
  std::vector<MetaslabChanges> out;
  for (auto& t : tops_) {
    if (!t) continue;
    for (Metaslab& m : t->ms) {
      if (!m.has_changes()) continue;
      for (SpaceMapBatch& b : m.take_changes(txg))
        out.push_back({t->id, m.index(), m.object(), m.region(), std::move(b)});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const MetaslabChanges& a, const MetaslabChanges& b) { return a.batch.txg < b.batch.txg; });
  return out;
}

Status MetaslabAllocator::set_space_map_object(uint64_t vdev, uint64_t metaslab, uint64_t object) {
  std::lock_guard lock(mu_);
  Top* t = top(vdev);
  if (t == nullptr || metaslab >= t->ms.size())
    return make_error(EINVAL, "no metaslab {} on top-level vdev {}", metaslab, vdev);
  t->ms[metaslab].set_object(object);
  return Status::Ok();
}

Result<MetaslabAllocator::Condensed> MetaslabAllocator::condense(uint64_t vdev, uint64_t metaslab,
                                                                 const SpaceMapLayout& layout, uint64_t txg,
                                                                 uint64_t sync_pass) const {
  std::lock_guard lock(mu_);
  Top* t = top(vdev);
  if (t == nullptr || metaslab >= t->ms.size())
    return make_error(EINVAL, "no metaslab {} on top-level vdev {}", metaslab, vdev);
  const Metaslab& m = t->ms[metaslab];
  const RangeSet set = m.mapped();
  auto words = encode_condensed_space_map(set, m.region(), layout, txg, sync_pass);
  if (!words.ok()) return std::move(words.error()).context("condensing metaslab {} of vdev {}", metaslab, vdev);
  return Condensed{std::move(*words), set.bytes()};
}

Result<const Metaslab*> MetaslabAllocator::metaslab(uint64_t vdev, uint64_t index) const {
  std::lock_guard lock(mu_);
  Top* t = top(vdev);
  if (t == nullptr || index >= t->ms.size())
    return make_error(EINVAL, "no metaslab {} on top-level vdev {}", index, vdev);
  return &t->ms[index];
}

uint64_t MetaslabAllocator::metaslab_count(uint64_t vdev) const {
  std::lock_guard lock(mu_);
  Top* t = top(vdev);
  return t ? t->ms.size() : 0;
}

Result<SpaceTotals> MetaslabAllocator::vdev_space(uint64_t vdev) const {
  std::lock_guard lock(mu_);
  Top* t = top(vdev);
  if (t == nullptr) return make_error(EINVAL, "no top-level vdev {}", vdev);
  return t->totals();
}

SpaceTotals MetaslabAllocator::pool_space() const {
  std::lock_guard lock(mu_);
  SpaceTotals sum;
  for (uint64_t id : order_) {
    SpaceTotals t = tops_[id]->totals();
    sum.size += t.size, sum.allocated += t.allocated, sum.deferred += t.deferred;
  }
  return sum;
}

uint64_t MetaslabAllocator::rejected_frees() const {
  std::lock_guard lock(mu_);
  return rejected_frees_;
}

}  // namespace fzfs
