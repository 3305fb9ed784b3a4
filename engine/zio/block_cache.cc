#include "engine/zio/block_cache.h"

namespace fzfs {

BlockData BlockCache::get(const Key& k) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = index_.find(k);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void BlockCache::put(const Key& k, BlockData data) {
  std::lock_guard<std::mutex> g(mu_);
  // A block rewritten in place (same DVA and birth, a later sync pass of its txg)
  // replaces its old bytes.
  if (auto it = index_.find(k); it != index_.end()) {
    bytes_ -= it->second->second->size();
    lru_.erase(it->second);
    index_.erase(it);
  }
  bytes_ += data->size();
  lru_.emplace_front(k, std::move(data));
  index_[k] = lru_.begin();
  while (bytes_ > capacity_ && lru_.size() > 1) {
    auto& last = lru_.back();
    bytes_ -= last.second->size();
    index_.erase(last.first);
    lru_.pop_back();
  }
}

void BlockCache::erase(const Key& k) {
  std::lock_guard<std::mutex> g(mu_);
  if (auto it = index_.find(k); it != index_.end()) {
    bytes_ -= it->second->second->size();
    lru_.erase(it->second);
    index_.erase(it);
  }
}

size_t BlockCache::size_bytes() const {
  std::lock_guard<std::mutex> g(mu_);
  return bytes_;
}

}  // namespace fzfs
