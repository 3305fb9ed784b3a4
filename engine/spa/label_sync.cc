#include "engine/spa/label_sync.h"

#include "engine/vdev/label.h"
#include "engine/vdev/vdev_leaf.h"

namespace fzfs {

namespace {

// A leaf with its device and the top-level vdev it belongs to.
struct LeafRef {
  LeafVdev* leaf;
  size_t top;  // index among the root's children
  uint64_t top_ashift;
};

void collect_leaves(Vdev& v, size_t top, uint64_t top_ashift, std::vector<LeafRef>& out) {
  if (auto* leaf = dynamic_cast<LeafVdev*>(&v)) {
    if (leaf->device()) out.push_back(LeafRef{leaf, top, top_ashift});
    return;
  }
  for (auto& c : v.children) collect_leaves(*c, top, top_ashift, out);
}

// One phase of the sync: write_leaf(i) for each leaf i, then a flush of each leaf whose
// write went through. ok(i) tells whether leaf i holds the phase's data durably.
class Phase {
 public:
  Phase(std::vector<LeafRef>& leaves, LabelSyncReport& report)
      : leaves_(leaves), report_(report), ok_(leaves.size(), false) {}

  template <typename WriteFn>
  void run(WriteFn&& write_leaf) {
    for (size_t i = 0; i < leaves_.size(); i++) {
      Status s = write_leaf(i);
      if (!s.ok()) {
        leaves_[i].leaf->counters.write_errors++;
        report_.failures.push_back(s.error().message());
        continue;
      }
      ok_[i] = true;
    }
    for (size_t i = 0; i < leaves_.size(); i++) {
      if (!ok_[i]) continue;
      Status s = leaves_[i].leaf->flush();  // counts its own write error
      if (!s.ok()) {
        ok_[i] = false;
        report_.failures.push_back(s.error().message());
      }
    }
  }

  bool ok(size_t i) const { return ok_[i]; }
  size_t good() const {
    size_t n = 0;
    for (bool b : ok_) n += b;
    return n;
  }

 private:
  std::vector<LeafRef>& leaves_;
  LabelSyncReport& report_;
  std::vector<bool> ok_;
};

std::string failures_text(const LabelSyncReport& r) {
  std::string s;
  for (const auto& f : r.failures) s += (s.empty() ? "" : "; ") + f;
  return s.empty() ? "no device is present" : s;
}

// Writes the config labels of one parity (0: labels 0 and 2, 1: labels 1 and 3).
Status sync_config_labels(Vdev& root, std::vector<LeafRef>& leaves, const LabelConfigFn& configs,
                          int parity, LabelSyncReport& report) {
  std::vector<NvList> nvs;
  for (const auto& ref : leaves) {
    auto nv = configs(ref.leaf->guid);
    if (!nv.ok())
      return std::move(nv).error().context("label config of {}", ref.leaf->name());
    nvs.push_back(std::move(*nv));
  }
  Phase phase(leaves, report);
  phase.run([&](size_t i) -> Status {
    for (int l = parity; l < kVdevLabels; l += 2) {
      FZ_CHECK(write_vdev_phys(*leaves[i].leaf->device(), l, nvs[i]));
      report.labels_written++;
    }
    return Status::Ok();
  });
  // Every top-level vdev needs at least one leaf that carries its new config.
  for (size_t t = 0; t < root.children.size(); t++) {
    bool has_leaf = false, stored = false;
    for (size_t j = 0; j < leaves.size(); j++) {
      if (leaves[j].top != t) continue;
      has_leaf = true;
      stored = stored || phase.ok(j);
    }
    if (has_leaf && !stored)
      return make_error(EIO, "vdev {}: no leaf took labels {} and {} ({})",
                        root.children[t]->name(), parity, parity + 2, failures_text(report));
  }
  return Status::Ok();
}

}  // namespace

Result<LabelSyncReport> sync_labels(Vdev& root, const Uberblock& ub, const LabelConfigFn& configs) {
  LabelSyncReport report;
  std::vector<LeafRef> leaves;
  for (size_t t = 0; t < root.children.size(); t++)
    collect_leaves(*root.children[t], t, root.children[t]->ashift, leaves);

  Status durable = root.flush();
  if (!durable.ok())
    return std::move(durable).error().context("txg {}: blocks not durable; uberblock not written", ub.txg);

  if (configs) FZ_CHECK(sync_config_labels(root, leaves, configs, 0, report));

  const std::vector<uint8_t> body = ub.encode_body();
  Phase ubs(leaves, report);
  ubs.run([&](size_t i) -> Status {
    const uint64_t ashift = leaves[i].top_ashift;
    const uint64_t slot_size = uberblock_slot_size(ashift);
    const uint64_t slot = uberblock_slot_for_txg(ub.txg, ashift);
    for (int l = 0; l < kVdevLabels; l++) {
      FZ_CHECK(write_uberblock_slot(*leaves[i].leaf->device(), l, slot_size, slot, body));
      report.uberblocks_written++;
    }
    return Status::Ok();
  });
  if (ubs.good() == 0)
    return make_error(EIO, "txg {}: no uberblock reached any device ({})", ub.txg,
                      failures_text(report));

  if (configs) FZ_CHECK(sync_config_labels(root, leaves, configs, 1, report));
  return report;
}

}  // namespace fzfs
