#include "engine/spa/spa.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "engine/vdev/label.h"
#include "engine/zio/cache_size.h"

namespace fzfs {

bool spa_version_supported(uint64_t v) {
  return (v >= 1 && v <= kSpaVersionMaxLegacy) || v == kSpaVersionFeatures;
}

namespace {

// The ashift that sizes uberblock slots: the top-level vdev's, from the label config.
uint64_t label_ashift(const NvList& config) {
  if (const NvList* tree = config.get_nvlist("vdev_tree")) return tree->get_u64("ashift").value_or(9);
  return 9;
}

// The smallest a leaf may be and still hold its share of its top-level vdev (the
// label's vdev_tree): a device cut short would otherwise fail only when a read lands
// past its end. A RAIDZ child holds 1/n of the top's space, a mirror child or a lone
// disk all of it; other layouts get no check (0).
uint64_t min_leaf_size(const NvList& top) {
  uint64_t share = top.get_u64("asize").value_or(0);
  const std::string type = top.get_string("type").value_or("");
  const std::vector<NvList>* children = top.get_nvlist_array("children");
  if (type == "raidz" && children && !children->empty()) {
    share /= children->size();
  } else if (type != "mirror" && type != "file" && type != "disk") {
    return 0;
  }
  return share == 0 ? 0 : share + kVdevLabelStartSize + kVdevLabelEndSize;
}

std::optional<FoundDevice> probe_device(const std::string& path) {
  auto dev = open_file_device(path, /*writable=*/false, /*exclusive=*/false);
  if (!dev.ok()) return std::nullopt;
  auto labels = read_vdev_labels(**dev);
  FoundDevice found;
  found.path = path;
  bool have_config = false;
  for (const VdevLabel& l : labels) {
    if (!l.config) continue;
    uint64_t txg = l.config->get_u64("txg").value_or(0);
    if (!l.config->get_u64("pool_guid")) continue;
    if (!have_config || txg > found.txg) {
      found.config = *l.config;
      found.txg = txg;
      have_config = true;
    }
  }
  if (!have_config) return std::nullopt;
  found.pool_guid = *found.config.get_u64("pool_guid");
  found.guid = found.config.get_u64("guid").value_or(0);
  found.top_guid = found.config.get_u64("top_guid").value_or(0);
  const uint64_t ashift = label_ashift(found.config);
  for (const VdevLabel& l : labels) {
    for (auto& ub : uberblocks_in_ring(l.ring, l.ring_offset, ashift, path, l.index))
      found.uberblocks.push_back(std::move(ub));
  }
  return found;
}

}  // namespace

std::vector<FoundDevice> scan_devices(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
        struct stat st;
        if (stat(e.path().c_str(), &st) != 0) continue;
        if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) files.push_back(e.path().string());
      }
    } else {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<FoundDevice> out;
  for (const auto& f : files) {
    if (auto d = probe_device(f)) out.push_back(std::move(*d));
  }
  return out;
}

std::vector<PoolCandidate> group_pools(std::vector<FoundDevice> devices) {
  std::map<uint64_t, PoolCandidate> pools;
  for (auto& d : devices) {
    // A leaf guid seen twice (a copied device file) is used once: the first path wins.
    PoolCandidate& p = pools[d.pool_guid];
    bool dup = std::any_of(p.devices.begin(), p.devices.end(), [&](const FoundDevice& e) { return e.guid == d.guid; });
    if (dup) continue;
    p.devices.push_back(std::move(d));
  }
  std::vector<PoolCandidate> out;
  for (auto& [guid, p] : pools) {
    p.guid = guid;
    const FoundDevice* newest = &p.devices[0];
    for (const auto& d : p.devices) if (d.txg > newest->txg) newest = &d;
    p.config = newest->config;
    p.txg = newest->txg;
    p.name = p.config.get_string("name").value_or("");
    p.version = p.config.get_u64("version").value_or(0);
    p.state = p.config.get_u64("state").value_or(0);
    // Labels before "vdev_children" existed (early versions) only tell each device's own
    // top-level id: the pool has at least as many top-level vdevs as the highest id seen.
    uint64_t max_id = 0;
    for (const auto& d : p.devices)
      if (const NvList* t = d.config.get_nvlist("vdev_tree")) max_id = std::max(max_id, t->get_u64("id").value_or(0));
    p.top_count = std::max(p.config.get_u64("vdev_children").value_or(1), max_id + 1);
    if (p.top_count > 4096) p.top_count = 4096;  // hostile label: bound the tree
    p.top_trees.assign(p.top_count, NvList());
    std::vector<uint64_t> tree_txg(p.top_count, 0);
    bool have_any = false;
    for (const auto& d : p.devices) {
      const NvList* tree = d.config.get_nvlist("vdev_tree");
      if (!tree) continue;
      uint64_t id = tree->get_u64("id").value_or(0);
      if (id >= p.top_count) continue;
      if (!have_any || tree_txg[id] <= d.txg || p.top_trees[id].pairs().empty()) {
        p.top_trees[id] = *tree;
        tree_txg[id] = d.txg;
      }
      have_any = true;
    }
    out.push_back(std::move(p));
  }
  return out;
}

NvList root_vdev_config(const PoolCandidate& cand) {
  NvList root;
  root.add_string("type", "root");
  root.add_string("name", cand.name);
  root.add_u64("id", 0);
  root.add_u64("guid", cand.guid);
  std::vector<NvList> tops;
  for (uint64_t id = 0; id < cand.top_count; id++) {
    if (!cand.top_trees[id].pairs().empty()) {
      tops.push_back(cand.top_trees[id]);
    } else {
      NvList missing;
      missing.add_string("type", "missing");
      missing.add_u64("id", id);
      missing.add_u64("guid", 0);
      tops.push_back(std::move(missing));
    }
  }
  root.add_nvlist_array("children", std::move(tops));
  return root;
}

Result<std::unique_ptr<Spa>> Spa::open(const PoolCandidate& cand, bool writable) {
  auto spa = std::make_unique<Spa>();
  spa->name_ = cand.name;
  spa->guid_ = cand.guid;
  spa->version_ = cand.version;
  spa->config_ = cand.config;

  for (const auto& d : cand.devices) {
    auto dev = open_file_device(d.path, writable, /*exclusive=*/true);
    if (!dev.ok()) return std::move(dev).error().context("pool {}", cand.name);
    std::shared_ptr<BlockDevice> opened(std::move(*dev));
    const NvList* top = d.config.get_nvlist("vdev_tree");
    uint64_t need = top ? min_leaf_size(*top) : 0;
    if (opened->size() / kVdevLabelSize * kVdevLabelSize < need) {
      // Like a missing device: redundancy may cover it, else the pool cannot open.
      spa->device_problems_[d.guid] =
          fmt::format("{} is {} bytes, smaller than the {} its vdev needs", d.path, opened->size(), need);
      opened.reset();
    }
    spa->leaves_.push_back(LeafDevice{d.guid, d.path, std::move(opened)});
    for (const auto& ub : d.uberblocks) spa->uberblocks_.push_back(ub);
  }

  auto tree = build_vdev_tree(root_vdev_config(cand), spa->leaves_);
  if (!tree.ok()) return std::move(tree).error().context("pool {}: vdev tree", cand.name);
  spa->root_ = std::move(*tree);
  spa->reader_ = std::make_unique<BlockReader>(spa->root_.get(), default_block_cache_bytes());

  std::sort(spa->uberblocks_.begin(), spa->uberblocks_.end(),
            [](const Uberblock& a, const Uberblock& b) { return a.better_than(b); });
  // Uberblocks newer than the newest label config belong to no config we can trust
  // only if the pool was not exported cleanly; keep them all, best first.
  // A pool being created (labels of txg 0) has no uberblock until its first sync.
  if (spa->uberblocks_.empty() && cand.txg != 0) return make_error(EIO, "pool {}: no valid uberblock on any device", cand.name);
  return spa;
}

}  // namespace fzfs
