#include "fuse/lookup_counts.h"

namespace fzfs::fuse {

void LookupCounts::add(uint64_t id) {
  std::lock_guard lock(mu_);
  counts_[id]++;
}

bool LookupCounts::drop(uint64_t id, uint64_t n) {
  std::lock_guard lock(mu_);
  auto it = counts_.find(id);
  // Unknown ids (the root the kernel holds from mount time) have nothing to release.
  if (it == counts_.end()) return false;
  if (it->second > n) {
    it->second -= n;
    return false;
  }
  if (it->second < n) overdrops_++;
  counts_.erase(it);
  return true;
}

std::vector<uint64_t> LookupCounts::drain() {
  std::lock_guard lock(mu_);
  std::vector<uint64_t> ids;
  ids.reserve(counts_.size());
  for (const auto& [id, n] : counts_) ids.push_back(id);
  counts_.clear();
  return ids;
}

uint64_t LookupCounts::overdrops() const {
  std::lock_guard lock(mu_);
  return overdrops_;
}

uint64_t LookupCounts::count(uint64_t id) const {
  std::lock_guard lock(mu_);
  auto it = counts_.find(id);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace fzfs::fuse
