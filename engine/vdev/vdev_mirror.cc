#include "engine/vdev/vdev_mirror.h"

#include <algorithm>

#include "engine/vdev/vdev_leaf.h"

namespace fzfs {

VdevState MirrorVdev::state() const {
  // As ZFS propagates state: unusable only when no child is usable, degraded when any
  // child is less than healthy.
  size_t usable = 0, healthy = 0;
  for (const auto& c : children) {
    VdevState s = c->state();
    if (s == VdevState::kOnline || s == VdevState::kDegraded) usable++;
    if (s == VdevState::kOnline) healthy++;
  }
  if (usable == 0) return VdevState::kUnavail;
  return healthy == children.size() ? VdevState::kOnline : VdevState::kDegraded;
}

Status MirrorVdev::read(uint64_t offset, std::span<uint8_t> out, const BlockVerifier& verify) {
  // Healthy children first; the rest are still tried, since a degraded child may hold
  // the only good copy.
  std::vector<size_t> order(children.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return (children[a]->state() == VdevState::kOnline) > (children[b]->state() == VdevState::kOnline);
  });

  bool bad_copy = false;
  std::string why;
  for (size_t i : order) {
    Status s = children[i]->read(offset, out, verify);
    if (s.ok()) return s;
    if (s.error().code() == kECKSUM) bad_copy = true;
    why += (why.empty() ? "" : "; ") + s.error().message();
  }
  if (bad_copy) {
    counters.cksum_errors++;
    return make_error(kECKSUM, "vdev {}: no copy verifies at {:#x}+{:#x} ({})", name(), offset,
                      out.size(), why);
  }
  counters.read_errors++;
  return make_error(EIO, "vdev {}: every child failed at {:#x}+{:#x} ({})", name(), offset,
                    out.size(), why);
}

Status MirrorVdev::write(uint64_t offset, std::span<const uint8_t> data) {
  size_t stored = 0;
  std::string why;
  for (auto& c : children) {
    Status s = c->write(offset, data);
    if (s.ok()) {
      stored++;
    } else {
      why += (why.empty() ? "" : "; ") + s.error().message();
    }
  }
  if (stored > 0) return Status::Ok();
  counters.write_errors++;
  return make_error(EIO, "vdev {}: no child stored {:#x}+{:#x} ({})", name(), offset, data.size(),
                    why);
}

Status MirrorVdev::flush() {
  size_t flushed = 0;
  std::string why;
  for (auto& c : children) {
    VdevState st = c->state();
    if (st != VdevState::kOnline && st != VdevState::kDegraded) continue;  // holds nothing new
    Status s = c->flush();
    if (s.ok()) {
      flushed++;
    } else {
      why += (why.empty() ? "" : "; ") + s.error().message();
    }
  }
  if (flushed > 0) return Status::Ok();
  counters.write_errors++;
  return make_error(EIO, "vdev {}: no child could be flushed ({})", name(),
                    why.empty() ? "no child is present" : why);
}

uint64_t MirrorVdev::asize(uint64_t psize) const { return round_to_ashift(psize, ashift); }

}  // namespace fzfs
