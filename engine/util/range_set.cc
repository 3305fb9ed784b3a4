#include "engine/util/range_set.h"

#include <algorithm>
#include <limits>

namespace fzfs {
namespace {

// Clamps a length so start + len does not wrap past 2^64.
uint64_t clamp_len(uint64_t start, uint64_t len) {
  return std::min(len, std::numeric_limits<uint64_t>::max() - start);
}

}  // namespace

uint64_t RangeSet::overlap(uint64_t start, uint64_t len) const {
  len = clamp_len(start, len);
  const uint64_t end = start + len;
  uint64_t found = 0;
  auto it = map_.upper_bound(start);
  if (it != map_.begin()) --it;
  for (; it != map_.end() && it->first < end; ++it) {
    uint64_t lo = std::max(start, it->first), hi = std::min(end, it->second);
    if (lo < hi) found += hi - lo;
  }
  return found;
}

uint64_t RangeSet::add(uint64_t start, uint64_t len) {
  len = clamp_len(start, len);
  if (len == 0) return 0;
  uint64_t end = start + len;
  const uint64_t already = overlap(start, len);
  // Absorb every range that touches [start, end), then insert the union.
  auto it = map_.upper_bound(start);
  if (it != map_.begin() && std::prev(it)->second >= start) --it;
  while (it != map_.end() && it->first <= end) {
    start = std::min(start, it->first);
    end = std::max(end, it->second);
    bytes_ -= it->second - it->first;
    it = map_.erase(it);
  }
  map_.emplace(start, end);
  bytes_ += end - start;
  return already;
}

uint64_t RangeSet::remove(uint64_t start, uint64_t len) {
  len = clamp_len(start, len);
  if (len == 0) return 0;
  const uint64_t end = start + len;
  const uint64_t present = overlap(start, len);
  auto it = map_.upper_bound(start);
  if (it != map_.begin()) --it;
  while (it != map_.end() && it->first < end) {
    const uint64_t s = it->first, e = it->second;
    if (e <= start) {
      ++it;
      continue;
    }
    it = map_.erase(it);
    bytes_ -= e - s;
    if (s < start) map_.emplace(s, start), bytes_ += start - s;
    if (e > end) {
      map_.emplace(end, e);
      bytes_ += e - end;
      break;
    }
  }
  return present;
}

}  // namespace fzfs
