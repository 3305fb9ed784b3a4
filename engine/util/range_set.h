// A set of disjoint half-open byte ranges [start, end), kept merged: adjacent or
// overlapping insertions coalesce. The allocation maps of metaslabs (replayed space
// maps) and the space the block traversal found in use are both range sets.
#pragma once

#include <cstdint>
#include <functional>
#include <map>

namespace fzfs {

class RangeSet {
 public:
  // Adds [start, start+len). Returns the number of bytes of it that were already present
  // (0 when the range was wholly new).
  uint64_t add(uint64_t start, uint64_t len);
  // Removes [start, start+len). Returns the number of bytes of it that were present
  // (len when the range was wholly inside the set).
  uint64_t remove(uint64_t start, uint64_t len);
  // Bytes of [start, start+len) present in the set.
  uint64_t overlap(uint64_t start, uint64_t len) const;
  bool contains(uint64_t start, uint64_t len) const { return overlap(start, len) == len; }

  uint64_t bytes() const { return bytes_; }
  uint64_t ranges() const { return map_.size(); }
  bool empty() const { return map_.empty(); }
  void clear() { map_.clear(), bytes_ = 0; }
  // Visits the ranges in ascending order as (start, length).
  void for_each(const std::function<void(uint64_t, uint64_t)>& fn) const {
    for (const auto& [s, e] : map_) fn(s, e - s);
  }

 private:
  std::map<uint64_t, uint64_t> map_;  // start -> end, disjoint and non-adjacent
  uint64_t bytes_ = 0;
};

}  // namespace fzfs
