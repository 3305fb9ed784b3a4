#include "engine/spa/metaslab_free_index.h"

#include <algorithm>
#include <bit>

namespace fzfs {
namespace {

// How far past the first candidate a first-fit search looks before giving up on the
// cursor, and the conditions under which it is not worth trying at all (the metaslab
// is almost full, or holds no segment of a full-sized block): ZFS's "dynamic fit".
constexpr uint64_t kMaxSearchBytes = 16 << 20;
constexpr uint64_t kMinSearchSegments = 100;
constexpr uint64_t kBestFitBelowLargest = 128 << 10;
constexpr uint64_t kBestFitBelowFreePct = 4;

}  // namespace

void FreeIndex::insert(uint64_t start, uint64_t end) {
  by_start_.emplace(start, end);
  by_size_.emplace(end - start, start);
  bytes_ += end - start;
}

void FreeIndex::erase(std::map<uint64_t, uint64_t>::iterator it) {
  by_size_.erase({it->second - it->first, it->first});
  bytes_ -= it->second - it->first;
  by_start_.erase(it);
}

void FreeIndex::add(uint64_t start, uint64_t len) {
  if (len == 0) return;
  uint64_t s = start, e = start + len;
  auto it = by_start_.upper_bound(s);
  if (it != by_start_.begin() && std::prev(it)->second >= s) --it;
  while (it != by_start_.end() && it->first <= e) {
    s = std::min(s, it->first);
    e = std::max(e, it->second);
    auto next = std::next(it);
    erase(it);
    it = next;
  }
  insert(s, e);
}

void FreeIndex::remove(uint64_t start, uint64_t len) {
  if (len == 0) return;
  const uint64_t s = start, e = start + len;
  auto it = by_start_.upper_bound(s);
  if (it != by_start_.begin() && std::prev(it)->second > s) --it;
  while (it != by_start_.end() && it->first < e) {
    const uint64_t seg_s = it->first, seg_e = it->second;
    auto next = std::next(it);
    erase(it);
    if (seg_s < s) insert(seg_s, s);
    if (seg_e > e) insert(e, seg_e);
    it = next;
  }
}

std::optional<uint64_t> FreeIndex::first_fit(uint64_t size, uint64_t* cursor) const {
  auto it = by_start_.upper_bound(*cursor);
  if (it != by_start_.begin() && std::prev(it)->second > *cursor) --it;
  if (it == by_start_.end()) return std::nullopt;
  const uint64_t first = it->first;
  for (uint64_t seen = 0; it != by_start_.end(); ++it, ++seen) {
    if (it->first - first > kMaxSearchBytes && seen >= kMinSearchSegments) break;
    const uint64_t at = std::max(it->first, *cursor);
    if (it->second >= at && it->second - at >= size) return at;
  }
  return std::nullopt;
}

std::optional<uint64_t> FreeIndex::best_fit(uint64_t size) const {
  auto it = by_size_.lower_bound({size, 0});
  if (it == by_size_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint64_t> FreeIndex::take(uint64_t size) {
  if (size == 0 || largest() < size) return std::nullopt;
  // Requests of the same alignment share a cursor, so a stream of 128K blocks is not
  // interleaved with the 512-byte metadata blocks that land beside it.
  uint64_t* cursor = &cursors_[std::countr_zero(size)];
  std::optional<uint64_t> at;
  const bool crowded = largest() < kBestFitBelowLargest || bytes_ * 100 < capacity_ * kBestFitBelowFreePct;
  if (!crowded) at = first_fit(size, cursor);
  if (at) {
    *cursor = *at + size;
  } else {
    *cursor = 0;
    at = best_fit(size);
  }
  if (at) remove(*at, size);
  return at;
}

}  // namespace fzfs
