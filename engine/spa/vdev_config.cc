#include "engine/spa/vdev_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>

#include "engine/io/block_device.h"
#include "engine/vdev/label.h"

#include "engine/spa/metaslab.h"  // legacy_metaslab_shift
#include "engine/vdev/vdev.h"  // kVdevLabelSize, kVdevLabelStartSize, kVdevLabelEndSize

namespace fzfs {

namespace {

constexpr int kRaidzMaxParity = 3;

// A group word and the number of devices it needs; nullopt for a device path.
struct GroupWord {
  TopType type;
  int nparity;
  int min_children;
  int max_children;
};

std::optional<GroupWord> group_word(const std::string& w) {
  if (w == "mirror") return GroupWord{TopType::kMirror, 0, 2, INT32_MAX};
  const std::string raidz = "raidz";
  if (w.compare(0, raidz.size(), raidz) != 0) return std::nullopt;
  std::string digits = w.substr(raidz.size());
  int parity = 0;
  if (digits.empty()) {
    parity = 1;
  } else if (digits.size() == 1 && digits[0] >= '1' && digits[0] <= '0' + kRaidzMaxParity) {
    parity = digits[0] - '0';
  } else {
    return std::nullopt;  // "raidz0", "raidz4", "raidzx": zpool takes it for a device
  }
  return GroupWord{TopType::kRaidz, parity, parity + 1, kMaxRaidzChildren};
}

std::string spec_error(const std::string& what) {
  return "invalid vdev specification: " + what;
}

// zpool's view of one top-level vdev's redundancy (replication_level_t).
struct Replication {
  std::string type;  // "file", "disk", "mirror", "raidz"
  uint64_t children = 1;
  uint64_t parity = 0;
};

std::string leaf_type(const LeafSpec& l) { return l.is_disk ? "disk" : "file"; }

std::string top_type_name(const TopSpec& t) {
  switch (t.type) {
    case TopType::kMirror: return "mirror";
    case TopType::kRaidz: return "raidz";
    case TopType::kLeaf: break;
  }
  return t.leaves.empty() ? "file" : leaf_type(t.leaves[0]);
}

const char* use_word(DeviceUse u) {
  switch (u) {
    case DeviceUse::kActive: return "active";
    case DeviceUse::kExported: return "exported";
    case DeviceUse::kPotentiallyActive: return "potentially active";
    case DeviceUse::kSpare: return "spare";
  }
  return "unknown";
}

// Collects vdev_error() lines under zpool's one-time header.
class VdevErrors {
 public:
  explicit VdevErrors(bool force) : force_(force) {}
  void add(std::string line) { lines_.push_back(std::move(line)); }
  bool empty() const { return lines_.empty(); }
  std::string text() const {
    std::string s = "invalid vdev specification\n";
    s += force_ ? "the following errors must be manually repaired:"
                : "use '-f' to override the following errors:";
    for (const auto& l : lines_) s += "\n" + l;
    return s;
  }

 private:
  bool force_;
  std::vector<std::string> lines_;
};

void check_in_use(const VdevSpec& spec, bool force, VdevErrors& errs) {
  for (const auto& top : spec.tops) {
    for (const auto& leaf : top.leaves) {
      if (!leaf.use) continue;
      bool overridable = *leaf.use == DeviceUse::kExported ||
                         *leaf.use == DeviceUse::kPotentiallyActive;
      if (force && overridable) continue;
      if (*leaf.use == DeviceUse::kSpare) {
        errs.add(leaf.path + " is reserved as a hot spare for pool " + leaf.use_pool);
      } else {
        errs.add(leaf.path + " is part of " + use_word(*leaf.use) + " pool '" +
                 leaf.use_pool + "'");
      }
    }
  }
}

// Within one group: files mixed with disks, or sizes apart by more than 16 MiB. Only
// the first problem of a group is reported, as zpool does.
void check_group(const TopSpec& top, VdevErrors& errs) {
  const std::string type = top_type_name(top);
  std::optional<uint64_t> last_size;  // unknown sizes (0) are skipped, as zpool does
  for (size_t i = 0; i < top.leaves.size(); ++i) {
    const LeafSpec& leaf = top.leaves[i];
    if (i > 0 && top.leaves[i - 1].is_disk != leaf.is_disk) {
      errs.add("mismatched replication level: " + type + " contains both files and devices");
      return;
    }
    if (leaf.size == 0) continue;
    if (last_size) {
      uint64_t diff = leaf.size > *last_size ? leaf.size - *last_size : *last_size - leaf.size;
      if (diff > kZpoolSizeFuzz) {
        errs.add(type + " contains devices of different sizes");
        return;
      }
    }
    last_size = leaf.size;
  }
}

std::optional<std::string> compare_replication(const Replication& last, const Replication& rep) {
  const Replication* raidz = nullptr;
  const Replication* mirror = nullptr;
  if (last.type == "raidz" && rep.type == "mirror") raidz = &last, mirror = &rep;
  if (last.type == "mirror" && rep.type == "raidz") raidz = &rep, mirror = &last;
  if (raidz) {
    // A raidz and a mirror that survive the same number of failures may be mixed.
    if (raidz->parity == mirror->children - 1) return std::nullopt;
    return fmt::format(
        "mismatched replication level: {} and {} vdevs with different redundancy, "
        "{} vs. {} ({}-way) are present",
        raidz->type, mirror->type, raidz->parity, mirror->children - 1, mirror->children);
  }
  if (last.type != rep.type)
    return fmt::format("mismatched replication level: both {} and {} vdevs are present",
                       last.type, rep.type);
  if (last.parity != rep.parity)
    return fmt::format(
        "mismatched replication level: both {} and {} device parity {} vdevs are present",
        last.parity, rep.parity, rep.type);
  if (last.children != rep.children)
    return fmt::format("mismatched replication level: both {}-way and {}-way {} vdevs are present",
                       last.children, rep.children, rep.type);
  return std::nullopt;
}

void check_replication(const VdevSpec& spec, VdevErrors& errs) {
  std::optional<Replication> last;
  for (const auto& top : spec.tops) {
    Replication rep{top_type_name(top), top.type == TopType::kLeaf ? 1 : top.leaves.size(),
                    static_cast<uint64_t>(top.nparity)};
    if (top.type != TopType::kLeaf) check_group(top, errs);
    if (last) {
      if (auto msg = compare_replication(*last, rep)) errs.add(*msg);
    }
    last = rep;
  }
}

LeafSpec leaf_named(const std::string& path) {
  LeafSpec l;
  l.path = path;
  return l;
}

Status kernel_checks(std::string_view pool, const VdevSpec& spec) {
  std::set<std::string> seen;
  bool dup = false, small = false;
  for (const auto& top : spec.tops) {
    for (const auto& leaf : top.leaves) {
      if (!seen.insert(leaf.path).second) dup = true;
      if (leaf_psize(leaf.size) < kMinDeviceSize) small = true;
    }
  }
  // The kernel opens (and sizes) every device before labelling any, so a small device
  // is reported before a repeated one.
  if (small)
    return make_error(EOVERFLOW,
                      "cannot create '{}': one or more devices is less than the minimum size (64M)",
                      pool);
  if (dup)
    return make_error(EBUSY,
                      "cannot create '{}': one or more vdevs refer to the same device, or one of\n"
                      "the devices is part of an active md or lvm device",
                      pool);
  return Status::Ok();
}

}  // namespace

Result<VdevSpec> parse_vdev_words(std::span<const std::string> words) {
  VdevSpec spec;
  size_t i = 0;
  while (i < words.size()) {
    const std::string& w = words[i];
    auto group = group_word(w);
    if (!group) {
      if (w.empty()) return make_error(EINVAL, "{}", spec_error("empty device name"));
      TopSpec top;
      top.type = TopType::kLeaf;
      top.leaves.push_back(leaf_named(w));
      spec.tops.push_back(std::move(top));
      ++i;
      continue;
    }
    TopSpec top;
    top.type = group->type;
    top.nparity = group->nparity;
    top.word = w;
    for (++i; i < words.size() && !group_word(words[i]); ++i)
      top.leaves.push_back(leaf_named(words[i]));
    int n = static_cast<int>(top.leaves.size());
    if (n < group->min_children)
      return make_error(EINVAL, "{}", spec_error(fmt::format("{} requires at least {} devices",
                                                             w, group->min_children)));
    if (n > group->max_children)
      return make_error(EINVAL, "{}", spec_error(fmt::format("{} supports no more than {} devices",
                                                             w, group->max_children)));
    spec.tops.push_back(std::move(top));
  }
  if (spec.tops.empty())
    return make_error(EINVAL, "{}",
                      spec_error("at least one toplevel vdev must be specified"));
  return spec;
}

Status check_vdev_spec(std::string_view pool, const VdevSpec& spec, bool force) {
  if (spec.tops.empty())
    return make_error(EINVAL, "{}",
                      spec_error("at least one toplevel vdev must be specified"));
  VdevErrors in_use(force);
  check_in_use(spec, force, in_use);
  if (!in_use.empty()) return make_error(EBUSY, "{}", in_use.text());
  if (!force) {
    VdevErrors rep(force);
    check_replication(spec, rep);
    if (!rep.empty()) return make_error(EINVAL, "{}", rep.text());
  }
  return kernel_checks(pool, spec);
}

uint64_t leaf_psize(uint64_t device_size) {
  return device_size / kVdevLabelSize * kVdevLabelSize;
}

uint64_t leaf_asize(uint64_t device_size) {
  uint64_t psize = leaf_psize(device_size);
  uint64_t labels = kVdevLabelStartSize + kVdevLabelEndSize;
  return psize > labels ? psize - labels : 0;
}

uint64_t VdevPlan::guid_sum() const {
  uint64_t sum = pool_guid;  // the root vdev's guid is the pool guid
  for (const auto& t : tops) {
    sum += t.guid;
    if (t.is_leaf()) continue;
    for (const auto& l : t.leaves) sum += l.guid;
  }
  return sum;
}

GuidSource random_guid_source() {
  auto rng = std::make_shared<std::mt19937_64>(std::random_device{}() ^
                                               (uint64_t{std::random_device{}()} << 32));
  return [rng]() {
    uint64_t g = 0;
    while (g == 0) g = (*rng)();
    return g;
  };
}

Result<VdevPlan> plan_vdevs(const VdevSpec& spec, uint64_t ashift, const GuidSource& guids) {
  if (ashift < 9 || ashift > 16)
    return make_error(EINVAL, "invalid 'ashift={}' property: only values between 9 and 16 are allowed",
                      ashift);
  VdevPlan plan;
  std::set<uint64_t> used;
  auto unique_guid = [&]() {  // nonzero and unique in the pool, whatever the source gives
    uint64_t g = guids();
    while (g == 0 || !used.insert(g).second) g = guids();
    return g;
  };
  plan.pool_guid = unique_guid();
  for (size_t t = 0; t < spec.tops.size(); ++t) {
    const TopSpec& ts = spec.tops[t];
    if (ts.leaves.empty()) return make_error(EINVAL, "top-level vdev {} has no devices", t);
    TopPlan top;
    top.id = t;
    top.type = top_type_name(ts);
    top.nparity = ts.type == TopType::kRaidz ? ts.nparity : 0;
    top.ashift = ashift;
    uint64_t min_child = UINT64_MAX;
    for (size_t c = 0; c < ts.leaves.size(); ++c) {
      const LeafSpec& ls = ts.leaves[c];
      if (leaf_psize(ls.size) < kMinDeviceSize)
        return make_error(EOVERFLOW, "{}: device of {} bytes is below the 64 MiB minimum",
                          ls.path, ls.size);
      LeafPlan leaf{.type = leaf_type(ls), .path = ls.path,
                    .id = ts.type == TopType::kLeaf ? t : c, .guid = unique_guid(),
                    .psize = leaf_psize(ls.size), .asize = leaf_asize(ls.size),
                    .is_disk = ls.is_disk, .whole_disk = ls.whole_disk};
      min_child = std::min(min_child, leaf.asize);
      top.leaves.push_back(std::move(leaf));
    }
    switch (ts.type) {
      case TopType::kLeaf:
        top.guid = top.leaves[0].guid;
        top.asize = top.leaves[0].asize;
        break;
      case TopType::kMirror:
        top.guid = unique_guid();
        top.asize = min_child;
        break;
      case TopType::kRaidz:
        top.guid = unique_guid();
        top.asize = min_child * ts.leaves.size();
        break;
    }
    top.metaslab_shift = legacy_metaslab_shift(top.asize);
    top.metaslab_count = top.asize >> top.metaslab_shift;
    plan.tops.push_back(std::move(top));
  }
  return plan;
}

namespace {

NvList leaf_child_nvlist(const LeafPlan& leaf, const ConfigContext& ctx) {
  NvList nv;
  nv.add_string("type", leaf.type);
  nv.add_u64("id", leaf.id);
  nv.add_u64("guid", leaf.guid);
  nv.add_string("path", leaf.path);
  if (leaf.is_disk) nv.add_u64("whole_disk", leaf.whole_disk ? 1 : 0);
  nv.add_u64("create_txg", ctx.create_txg);
  return nv;
}

}  // namespace

NvList top_vdev_nvlist(const TopPlan& top, const ConfigContext& ctx) {
  NvList nv;
  nv.add_string("type", top.type);
  nv.add_u64("id", top.id);
  nv.add_u64("guid", top.guid);
  if (top.is_leaf()) nv.add_string("path", top.leaves[0].path);
  if (top.nparity != 0) nv.add_u64("nparity", top.nparity);
  if (top.is_leaf() && top.leaves[0].is_disk)
    nv.add_u64("whole_disk", top.leaves[0].whole_disk ? 1 : 0);
  uint64_t ms_array = top.id < ctx.metaslab_arrays.size() ? ctx.metaslab_arrays[top.id] : 0;
  if (ms_array != 0) nv.add_u64("metaslab_array", ms_array);
  nv.add_u64("metaslab_shift", top.metaslab_shift);
  nv.add_u64("ashift", top.ashift);
  nv.add_u64("asize", top.asize);
  nv.add_u64("is_log", 0);
  nv.add_u64("create_txg", ctx.create_txg);
  if (!top.is_leaf()) {
    std::vector<NvList> children;
    for (const auto& leaf : top.leaves) children.push_back(leaf_child_nvlist(leaf, ctx));
    nv.add_nvlist_array("children", std::move(children));
  }
  return nv;
}

namespace {

// The pairs every config starts with; `label_guids` adds top_guid and guid for a leaf.
NvList config_head(const VdevPlan& plan, const ConfigContext& ctx,
                   std::optional<std::pair<uint64_t, uint64_t>> label_guids) {
  NvList nv;
  nv.add_u64("version", ctx.version);
  nv.add_string("name", ctx.pool_name);
  nv.add_u64("state", ctx.state);
  nv.add_u64("txg", ctx.txg);
  nv.add_u64("pool_guid", plan.pool_guid);
  if (ctx.hostid != 0) nv.add_u64("hostid", ctx.hostid);
  nv.add_string("hostname", ctx.hostname);
  if (label_guids) {
    nv.add_u64("top_guid", label_guids->first);
    nv.add_u64("guid", label_guids->second);
  }
  nv.add_u64("vdev_children", plan.tops.size());
  return nv;
}

}  // namespace

NvList pool_config_nvlist(const VdevPlan& plan, const ConfigContext& ctx) {
  NvList nv = config_head(plan, ctx, std::nullopt);
  NvList root;
  root.add_string("type", "root");
  root.add_u64("id", 0);
  root.add_u64("guid", plan.pool_guid);
  root.add_u64("create_txg", ctx.create_txg);
  std::vector<NvList> children;
  for (const auto& top : plan.tops) children.push_back(top_vdev_nvlist(top, ctx));
  root.add_nvlist_array("children", std::move(children));
  nv.add_nvlist("vdev_tree", std::move(root));
  return nv;
}

Result<NvList> leaf_label_nvlist(const VdevPlan& plan, size_t top, size_t leaf,
                                 const ConfigContext& ctx) {
  if (top >= plan.tops.size() || leaf >= plan.tops[top].leaves.size())
    return make_error(EINVAL, "no leaf {} in top-level vdev {}", leaf, top);
  const TopPlan& t = plan.tops[top];
  NvList nv = config_head(plan, ctx, std::make_pair(t.guid, t.leaves[leaf].guid));
  nv.add_nvlist("vdev_tree", top_vdev_nvlist(t, ctx));
  return nv;
}

std::optional<DeviceUse> device_use_from_label(const NvList& label, bool imported) {
  auto state = label.get_u64("state");
  if (!state || !label.has("name")) return std::nullopt;
  switch (*state) {
    case 0: return imported ? DeviceUse::kActive : DeviceUse::kPotentiallyActive;
    case 1: return imported ? DeviceUse::kActive : DeviceUse::kExported;
    case 3: return DeviceUse::kSpare;
    default: return std::nullopt;  // destroyed, l2cache, unknown: free to reuse
  }
}

Status probe_leaf(LeafSpec& leaf, const std::function<bool(uint64_t)>& imported) {
  if (leaf.path.empty() || leaf.path[0] != '/')
    return make_error(ENOENT,
                      "cannot open '{}': no such device in /dev\n"
                      "must be a full path or shorthand device name",
                      leaf.path);
  struct stat st;
  if (::stat(leaf.path.c_str(), &st) != 0)
    return make_error(errno, "cannot open '{}': {}", leaf.path, std::strerror(errno));
  leaf.is_disk = S_ISBLK(st.st_mode);
  FZ_TRY(auto dev, open_file_device(leaf.path, false, false));
  leaf.size = dev->size();
  leaf.use.reset();
  leaf.use_pool.clear();
  if (leaf_psize(leaf.size) < kVdevLabels * kVdevLabelSize) return Status::Ok();
  for (const auto& label : read_vdev_labels(*dev)) {
    if (!label.valid) continue;
    auto guid = label.config->get_u64("pool_guid");
    leaf.use = device_use_from_label(*label.config, guid && imported(*guid));
    if (leaf.use) leaf.use_pool = label.config->get_string("name").value_or("");
    break;
  }
  return Status::Ok();
}

}  // namespace fzfs
