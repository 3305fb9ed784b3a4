#include "engine/dsl/dsl_pool.h"

#include <algorithm>
#include <set>

#include "engine/dmu/dmu_types.h"
#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

constexpr uint64_t kObjectDirectory = 1;
constexpr int kMaxDepth = 256;  // dataset nesting deeper than this is a loop or corrupt

}  // namespace

bool feature_supported_for_read(const std::string& guid) {
  // Left out on purpose, so such pools are refused up front instead of failing block
  // by block: encryption, skein/edonr/blake3 checksums, device_removal (indirect vdevs),
  // draid, redacted_datasets, raidz_expansion.
  static const std::set<std::string> kSupported = {
      "com.delphix:async_destroy",       "com.delphix:empty_bpobj",
      "org.illumos:lz4_compress",        "com.joyent:multi_vdev_crash_dump",
      "com.delphix:spacemap_histogram",  "com.delphix:enabled_txg",
      "com.delphix:hole_birth",          "com.delphix:extensible_dataset",
      "com.delphix:embedded_data",       "com.delphix:bookmarks",
      "com.joyent:filesystem_limits",    "org.open-zfs:large_blocks",
      "org.zfsonlinux:large_dnode",      "org.zfsonlinux:userobj_accounting",
      "org.zfsonlinux:project_quota",    "com.delphix:obsolete_counts",
      "com.delphix:zpool_checkpoint",    "com.delphix:spacemap_v2",
      "org.zfsonlinux:allocation_classes", "com.datto:resilver_defer",
      "com.datto:bookmark_v2",           "com.delphix:redaction_bookmarks",
      "com.delphix:bookmark_written",    "com.delphix:log_spacemap",
      "com.delphix:livelist",            "org.openzfs:device_rebuild",
      "org.freebsd:zstd_compress",       "org.openzfs:zilsaxattr",
      "com.delphix:head_errlog",         "com.fudosecurity:block_cloning",
      "org.illumos:sha512",              "com.klarasystems:vdev_zaps_v2",
      "org.openzfs:longname",
      "com.klarasystems:fast_dedup",     "org.openzfs:large_microzap",
  };
  return kSupported.count(guid) != 0;
}

Result<std::unique_ptr<DslPool>> DslPool::open(Spa* spa, const Uberblock* only) {
  if (!spa_version_supported(spa->version()))
    return make_error(ENOTSUP, "pool version {} is not supported (this fzfs reads versions 1-{} and {})",
                      spa->version(), kSpaVersionMaxLegacy, kSpaVersionFeatures);
  auto dp = std::unique_ptr<DslPool>(new DslPool());
  dp->spa_ = spa;
  Error last(EIO, "no uberblock");
  // Try uberblocks newest first; a torn last txg falls back to the one before it.
  size_t tries = 0;
  const std::vector<Uberblock> just_one = only ? std::vector<Uberblock>{*only} : std::vector<Uberblock>{};
  for (const Uberblock& ub : only ? just_one : spa->uberblocks()) {
    if (++tries > 8) break;
    if (!spa_version_supported(ub.version))
      return make_error(ENOTSUP, "pool version {} is not supported (this fzfs reads versions 1-{} and {})",
                        ub.version, kSpaVersionMaxLegacy, kSpaVersionFeatures);
    auto mos = Objset::open(spa->reader(), ub.rootbp);
    if (!mos.ok()) {
      last = std::move(mos).error().context("MOS at txg {}", ub.txg);
      continue;
    }
    dp->mos_ = *mos;
    auto root = [&]() -> Result<uint64_t> {
      FZ_TRY(auto od, dp->mos_->object_data(kObjectDirectory));
      FZ_TRY(ZapReader zap, ZapReader::open(*od));
      return zap.lookup_u64("root_dataset");
    }();
    if (!root.ok()) {
      last = std::move(root).error().context("object directory at txg {}", ub.txg);
      continue;
    }
    dp->root_dir_ = *root;
    dp->ub_ = ub;
    break;
  }
  if (!dp->mos_ || dp->root_dir_ == 0) return last;

  // The MOS copy of the pool config (a packed nvlist object) is authoritative.
  auto od = dp->object_directory();
  if (!od.ok()) return std::move(od).error();
  for (const ZapEntry& e : *od) {
    if (e.name == "config" && !e.ints.empty()) {
      auto dn = dp->mos_->dnode(e.ints[0]);
      if (!dn.ok()) break;
      uint64_t size = dn->bonus.size() >= 8 ? load_order<uint64_t>(dn->bonus.data(), dn->little) : 0;
      if (size == 0 || size > (64u << 20)) break;
      std::vector<uint8_t> packed(size);
      if (!dp->mos_->read(*dn, 0, packed).ok()) break;
      auto nvl = NvList::decode(packed);
      if (nvl.ok()) dp->mos_config_ = std::move(*nvl);
    }
  }
  FZ_CHECK(dp->check_features());
  return dp;
}

Result<std::vector<ZapEntry>> DslPool::zap_entries(uint64_t obj) const {
  FZ_TRY(auto od, mos_->object_data(obj));
  FZ_TRY(ZapReader zap, ZapReader::open(*od));
  auto all = zap.list_all();
  if (!all.ok()) return std::move(all).error().context("MOS object {}", obj);
  return all;
}

Result<std::vector<ZapEntry>> DslPool::object_directory() const { return zap_entries(kObjectDirectory); }

Status DslPool::check_features() {
  FZ_TRY(auto od, object_directory());
  std::vector<std::string> unsupported;
  for (const char* which : {"features_for_read", "features_for_write"}) {
    auto it = std::find_if(od.begin(), od.end(), [&](const ZapEntry& e) { return e.name == which; });
    if (it == od.end() || it->ints.empty()) continue;
    FZ_TRY(auto feats, zap_entries(it->ints[0]));
    for (const ZapEntry& f : feats) {
      uint64_t refcount = f.ints.empty() ? 0 : f.ints[0];
      features_[f.name] = refcount;
      if (refcount > 0 && std::string(which) == "features_for_read" && !feature_supported_for_read(f.name))
        unsupported.push_back(f.name);
    }
  }
  if (!unsupported.empty()) {
    std::string list;
    for (const auto& u : unsupported) list += (list.empty() ? "" : ", ") + u;
    return make_error(ENOTSUP, "the pool uses features this fzfs cannot read: {}", list);
  }
  return Status::Ok();
}

Result<DslDirPhys> DslPool::dir(uint64_t obj) const {
  FZ_TRY(Dnode dn, mos_->dnode(obj));
  if (dn.bonustype != kOtDslDir) return make_error(EIO, "MOS object {} is not a DSL directory (bonus type {})", obj, dn.bonustype);
  return DslDirPhys::decode(dn.bonus, dn.little);
}

Result<DslDatasetPhys> DslPool::dataset(uint64_t obj) const {
  FZ_TRY(Dnode dn, mos_->dnode(obj));
  if (dn.bonustype != kOtDslDataset) return make_error(EIO, "MOS object {} is not a DSL dataset (bonus type {})", obj, dn.bonustype);
  return DslDatasetPhys::decode(dn.bonus, dn.little);
}

Result<std::string> DslPool::dir_name(uint64_t dir_obj) const {
  std::vector<std::string> parts;
  uint64_t cur = dir_obj;
  for (int depth = 0; depth < kMaxDepth; depth++) {
    FZ_TRY(DslDirPhys d, dir(cur));
    if (d.parent_obj == 0) {
      std::string name = spa_->name();
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) name += "/" + *it;
      return name;
    }
    FZ_TRY(DslDirPhys parent, dir(d.parent_obj));
    FZ_TRY(auto entries, zap_entries(parent.child_dir_zapobj));
    auto it = std::find_if(entries.begin(), entries.end(),
                           [&](const ZapEntry& e) { return !e.ints.empty() && e.ints[0] == cur; });
    if (it == entries.end()) return make_error(EIO, "DSL directory {} is not listed by its parent {}", cur, d.parent_obj);
    parts.push_back(it->name);
    cur = d.parent_obj;
  }
  return make_error(ELOOP, "DSL directory {} has a parent chain that does not end", dir_obj);
}

Result<std::string> DslPool::dataset_name(uint64_t ds_obj) const {
  FZ_TRY(DslDatasetPhys ds, dataset(ds_obj));
  FZ_TRY(std::string base, dir_name(ds.dir_obj));
  FZ_TRY(DslDirPhys d, dir(ds.dir_obj));
  if (d.head_dataset_obj == ds_obj) return base;
  // A snapshot: find its name in the head's snapshot map.
  FZ_TRY(DslDatasetPhys head, dataset(d.head_dataset_obj));
  FZ_TRY(auto snaps, zap_entries(head.snapnames_zapobj));
  for (const ZapEntry& e : snaps)
    if (!e.ints.empty() && e.ints[0] == ds_obj) return base + "@" + e.name;
  return make_error(ENOENT, "dataset object {} has no name", ds_obj);
}

Result<DslNode> DslPool::make_node(uint64_t ds_obj, std::string name, bool snapshot) const {
  DslNode n;
  n.name = std::move(name);
  n.snapshot = snapshot;
  n.ds_obj = ds_obj;
  FZ_TRY(n.ds, dataset(ds_obj));
  n.dir_obj = n.ds.dir_obj;
  FZ_TRY(n.dir, dir(n.dir_obj));
  if (!n.ds.bp.is_hole()) {
    // An unreadable objset leaves the type unknown; the dataset is still listed (as zfs
    // lists it) and only opening it fails.
    auto read = spa_->reader()->read(n.ds.bp);
    if (read.ok() && (*read)->size() >= 712)
      n.os_type = static_cast<ObjsetType>(load_order<uint64_t>((*read)->data() + 704, n.ds.bp.little_endian()));
  }
  if (!snapshot && n.dir.origin_obj != 0) {
    auto origin = dataset_name(n.dir.origin_obj);
    // Pools since v11 parent every dataset on $ORIGIN@$ORIGIN; that is no real origin.
    if (origin.ok() && origin->find("$ORIGIN") == std::string::npos) n.origin = *origin;
  }
  return n;
}

Status DslPool::walk_dir(uint64_t dir_obj, const std::string& name, std::vector<DslNode>* out, int depth) const {
  if (depth > kMaxDepth) return make_error(ELOOP, "DSL directory tree deeper than {} at {}", kMaxDepth, name);
  FZ_TRY(DslDirPhys d, dir(dir_obj));
  if (d.head_dataset_obj != 0) {
    FZ_TRY(DslNode head, make_node(d.head_dataset_obj, name, false));
    uint64_t snapmap = head.ds.snapnames_zapobj;
    out->push_back(std::move(head));
    if (snapmap != 0) {
      FZ_TRY(auto snaps, zap_entries(snapmap));
      std::vector<DslNode> nodes;
      for (const ZapEntry& e : snaps) {
        if (e.ints.empty()) continue;
        FZ_TRY(DslNode s, make_node(e.ints[0], name + "@" + e.name, true));
        nodes.push_back(std::move(s));
      }
      std::sort(nodes.begin(), nodes.end(),
                [](const DslNode& a, const DslNode& b) { return a.ds.creation_txg < b.ds.creation_txg; });
      for (auto& s : nodes) out->push_back(std::move(s));
    }
  }
  if (d.child_dir_zapobj != 0) {
    FZ_TRY(auto children, zap_entries(d.child_dir_zapobj));
    std::sort(children.begin(), children.end(), [](const ZapEntry& a, const ZapEntry& b) { return a.name < b.name; });
    for (const ZapEntry& c : children) {
      if (c.name.empty() || c.name[0] == '$' || c.ints.empty()) continue;
      FZ_CHECK(walk_dir(c.ints[0], name + "/" + c.name, out, depth + 1));
    }
  }
  return Status::Ok();
}

Result<std::vector<DslNode>> DslPool::walk() const {
  std::vector<DslNode> out;
  FZ_CHECK(walk_dir(root_dir_, spa_->name(), &out, 0));
  return out;
}

Result<DslNode> DslPool::find(const std::string& name) const {
  FZ_TRY(auto all, walk());
  for (auto& n : all)
    if (n.name == name) return std::move(n);
  return make_error(ENOENT, "dataset '{}' does not exist", name);
}

}  // namespace fzfs
