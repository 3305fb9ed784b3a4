// How many times the kernel has been handed each node id (lookup, create, mkdir, link,
// readdirplus...). libfuse leaves this count to the file system: the kernel gives it back
// through forget, and only when it reaches zero may the node's resources go.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace fzfs::fuse {

class LookupCounts {
 public:
  // Count one more reference. Call before the reply that hands out the id, so a forget
  // that races with it never finds the count at zero.
  void add(uint64_t id);
  // Drops n references; true when the id's count reached zero (it is then gone).
  bool drop(uint64_t id, uint64_t n);
  // Every id still referenced, and clears the table (the session ended).
  std::vector<uint64_t> drain();
  uint64_t count(uint64_t id) const;
  // Forgets of more references than were handed out (a counting bug if not zero).
  uint64_t overdrops() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, uint64_t> counts_;
  uint64_t overdrops_ = 0;
};

}  // namespace fzfs::fuse
