// The free space of one metaslab, indexed two ways so that an allocation is found in
// logarithmic time: by offset (for first fit from a cursor, which keeps a stream of
// similar blocks close together on disk) and by size (for best fit when the metaslab is
// nearly full or fragmented and a forward search would mostly skip small holes).
//
//   by offset:  start ─► end            [0x0000, 0x2000) [0x8000, 0x9000) ...
//   by size:    (length, start) sorted  (0x1000, 0x8000) (0x2000, 0x0000) ...
//   cursors:    one per power-of-two alignment of the request: where the last
//               first-fit allocation of that kind ended
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace fzfs {

class FreeIndex {
 public:
  // `capacity`: bytes of the region this index describes (its size when all free).
  explicit FreeIndex(uint64_t capacity) : capacity_(capacity) {}

  // Adds [start, start + len) as free, merging with neighbours and with any part that
  // was already free.
  void add(uint64_t start, uint64_t len);
  // Removes [start, start + len) from the free space (parts not free are ignored).
  void remove(uint64_t start, uint64_t len);
  // Finds and removes `size` bytes; nullopt when no free segment is that long.
  std::optional<uint64_t> take(uint64_t size);

  uint64_t bytes() const { return bytes_; }
  uint64_t segments() const { return by_start_.size(); }
  uint64_t largest() const { return by_size_.empty() ? 0 : by_size_.rbegin()->first; }

 private:
  void insert(uint64_t start, uint64_t end);
  void erase(std::map<uint64_t, uint64_t>::iterator it);
  std::optional<uint64_t> first_fit(uint64_t size, uint64_t* cursor) const;
  std::optional<uint64_t> best_fit(uint64_t size) const;

  uint64_t capacity_;
  uint64_t bytes_ = 0;
  std::map<uint64_t, uint64_t> by_start_;             // start -> end, disjoint, not adjacent
  std::set<std::pair<uint64_t, uint64_t>> by_size_;   // (length, start)
  std::array<uint64_t, 64> cursors_{};
};

}  // namespace fzfs
