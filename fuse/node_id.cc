#include "fuse/node_id.h"

namespace fzfs::fuse {

namespace {
constexpr uint64_t kRootId = 1;  // FUSE_ROOT_ID, without pulling in libfuse here
}

uint64_t NodeIdMap::encode(NodeRef ref) const {
  if (ref.tree == 0) {
    if (ref.object == live_root_) return kRootId;
    if (ref.object == kRootId) return live_root_;
  }
  return (uint64_t{ref.tree} << kObjectBits) | (ref.object & kObjectMask);
}

NodeRef NodeIdMap::decode(uint64_t id) const {
  NodeRef ref{static_cast<uint32_t>(id >> kObjectBits), id & kObjectMask};
  if (ref.tree == 0) {
    if (ref.object == kRootId) ref.object = live_root_;
    else if (ref.object == live_root_) ref.object = kRootId;
  }
  return ref;
}

}  // namespace fzfs::fuse
