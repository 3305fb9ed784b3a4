// PoolImpl's dataset commands: zfs create / destroy / rename / set / inherit and
// zpool set. Each one checks its arguments with zfs's messages, changes the MOS in the
// open txg under the writer's lock (dsl_records.h, prop_set.h, dsl_dataset_ops.h,
// dataset_destroy.h), and waits for that txg to be on disk before returning, as zfs
// does; the next nodes() re-reads the DSL at the new txg.
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <random>

#include "engine/dmu/dmu_types.h"
#include "engine/dsl/dataset_destroy.h"
#include "engine/dsl/dsl_dataset_ops.h"
#include "engine/dsl/dsl_props.h"
#include "engine/dsl/dsl_records.h"
#include "engine/dsl/prop_set.h"
#include "engine/pool/pool_impl.h"
#include "engine/zpl/zpl_create.h"
#include "engine/zpl/zpl_fs.h"

namespace fzfs {
namespace {

constexpr uint64_t kVersionObjsetUsed = 15;  // objset_phys grows to 2 KiB (user/group used)
constexpr uint64_t kVersionPoolProps = 6;
constexpr uint64_t kVersionRaidzDeflate = 3;  // datasets are charged deflated raidz space
constexpr uint8_t kLegacyIndblkshift = 14;
constexpr uint64_t kDsFlagCiDataset = 0x10000;

Status with_prefix(Error e, const std::string& prefix) {
  return Error(e.code(), prefix + e.message());
}

// Runs `change` on the open txg and returns once it is on disk. `change` must check
// everything that can fail for a reason other than I/O before it writes anything: a
// half-made change would otherwise be synced with the next txg.
Status commit(PoolWriter& w, const std::function<Status(WritablePool&)>& change) {
  {
    std::lock_guard<std::shared_mutex> g(w.lock());
    FZ_CHECK(w.health());
    FZ_CHECK(change(w.pool()));
    w.changed();
  }
  return w.wait_synced();
}

// lz4 only where the feature is already active: setting it would otherwise have to
// activate the feature (a change of the pool's features this code does not make).
bool lz4_enabled(const DslPool& dsl) {
  auto it = dsl.features().find("org.illumos:lz4_compress");
  return it != dsl.features().end() && it->second > 0;
}

std::string parent_name(const std::string& name) {
  auto slash = name.rfind('/');
  return slash == std::string::npos ? "" : name.substr(0, slash);
}

std::string last_component(const std::string& name) { return name.substr(name.rfind('/') + 1); }

const DslNode* find_node(const std::vector<DslNode>& nodes, const std::string& name) {
  for (const DslNode& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

bool is_below(const std::string& name, const std::string& ancestor) {
  return name.size() > ancestor.size() && name.compare(0, ancestor.size(), ancestor) == 0 &&
         (name[ancestor.size()] == '/' || name[ancestor.size()] == '@');
}

std::function<uint64_t()> guid_source() {
  auto rng = std::make_shared<std::mt19937_64>((uint64_t{std::random_device{}()} << 32) ^ std::random_device{}());
  return [rng]() {
    uint64_t v;
    do v = (*rng)();
    while (v == 0);
    return v;
  };
}

// The write properties (checksum, compression, copies) `props` resolve to.
DatasetWriteProps write_props_of(const std::map<std::string, PropValue>& props, bool lz4) {
  auto get = [&](const char* k) {
    auto it = props.find(k);
    return it == props.end() ? std::string() : it->second.value;
  };
  return parse_write_props(get("checksum"), get("compression"), get("copies"), lz4);
}

// The ZPL settings a new file system takes from -o and, for the rest, from the nearest
// existing ancestor's master node (zfs inherits normalization, utf8only and case).
struct ZplChoice {
  uint64_t version = 0;
  uint64_t normalization = 0, utf8only = 0, casesensitivity = 0;
};

Result<ZplChoice> zpl_choice(const Spa& spa, const DslNode& ancestor, uint64_t pool_version,
                             const std::map<std::string, std::string>& props) {
  ZplChoice c;
  const uint64_t max = zpl_version_for_pool(pool_version);
  c.version = max;
  if (ancestor.os_type == ObjsetType::kZfs) {
    auto os = Objset::open(const_cast<Spa&>(spa).reader(), ancestor.ds.bp);
    if (os.ok()) {
      auto m = ZplFs::read_master(**os);
      if (m.ok()) c.normalization = m->normalization, c.utf8only = m->utf8only, c.casesensitivity = m->casesensitivity;
    }
  }
  using Choices = std::vector<std::pair<const char*, uint64_t>>;
  const Choices cs = {{"sensitive", 0}, {"insensitive", 1}, {"mixed", 2}};
  const Choices norm = {{"none", 0}, {"formD", 0x10}, {"formKC", 0x20}, {"formC", 0x40}, {"formKD", 0x50}};
  const Choices onoff = {{"off", 0}, {"on", 1}};
  auto pick = [&](const char* name, const Choices& choices, uint64_t* out) -> Status {
    auto it = props.find(name);
    if (it == props.end()) return Status::Ok();
    for (const auto& [n, v] : choices)
      if (it->second == n) {
        *out = v;
        return Status::Ok();
      }
    return make_error(EINVAL, "'{}' has an invalid value '{}'", name, it->second);
  };
  FZ_CHECK(pick("casesensitivity", cs, &c.casesensitivity));
  FZ_CHECK(pick("normalization", norm, &c.normalization));
  FZ_CHECK(pick("utf8only", onoff, &c.utf8only));
  if (auto it = props.find("version"); it != props.end()) {
    auto v = parse_size_value(it->second);
    if (it->second == "current") v = max;
    if (!v || *v < 1 || *v > max) return make_error(EINVAL, "'version' has an invalid value '{}'", it->second);
    c.version = *v;
  }
  // Normalization needs utf8only (zfs turns it on, and refuses it turned off).
  if (c.normalization != 0) {
    if (props.count("utf8only") && c.utf8only == 0)
      return make_error(EINVAL, "'utf8only' must be on when 'normalization' is set");
    c.utf8only = 1;
  }
  return c;
}

// A new file system in the open txg: dsl_dir, head dataset, ZPL objset, properties.
Result<uint64_t> make_filesystem(WritablePool& wp, uint64_t parent_dir, const std::string& name,
                                 const std::vector<PropSetting>& settings, const ZplChoice& zpl,
                                 const DatasetWriteProps& wprops, uint64_t pool_avail) {
  const uint64_t version = wp.version();
  NewDatasetParams p;
  p.version = version;
  p.parent_dir = parent_dir;
  p.name = name;
  p.txg = wp.open_txg();
  p.now = static_cast<uint64_t>(std::time(nullptr));
  p.random = guid_source();
  FZ_TRY(NewDataset nd, create_dataset_records(wp.mos(), p));
  if (zpl.casesensitivity == 1) {
    FZ_TRY(DslDatasetPhys ds, read_dataset(wp.mos(), nd.ds_obj));
    ds.flags |= kDsFlagCiDataset;
    FZ_CHECK(write_dataset(wp.mos(), nd.ds_obj, ds));
  }
  for (const PropSetting& s : settings) FZ_CHECK(set_dir_property(wp.mos(), version, nd.dir_obj, s, pool_avail));

  auto os = WritableObjset::create(wp.reader(), ObjsetType::kZfs, version >= kVersionObjsetUsed ? 2048 : 1024,
                                   kLegacyIndblkshift);
  ZplCreateParams zp;
  zp.zpl_version = zpl.version;
  zp.txg = wp.open_txg();
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  zp.now = Timespec{ts.tv_sec, ts.tv_nsec};
  zp.uid = geteuid();
  zp.gid = getegid();
  zp.normalization = zpl.normalization;
  zp.utf8only = zpl.utf8only;
  zp.casesensitivity = zpl.casesensitivity;
  FZ_CHECK(create_zpl(*os, zp));
  wp.add_new_dataset(nd.ds_obj, std::move(os), wprops);
  return nd.dir_obj;
}

// Points every open file system at its (possibly changed) properties: the write
// properties of writable ones, and what every mount obeys (atime, xattr), so that a
// `zfs set` acts on live mounts.
void update_write_props(const DslPool& dsl, PoolWriter& w, const std::vector<DslNode>& nodes,
                        const std::map<std::string, std::shared_ptr<Filesystem>>& open, uint64_t avail) {
  for (const auto& [name, fs] : open) {
    const DslNode* n = find_node(nodes, name);
    if (!n) continue;
    auto props = dataset_properties(dsl, *n, avail, std::nullopt);
    if (!props.ok()) continue;
    if (auto* z = dynamic_cast<ZplFs*>(fs.get())) z->set_behaviour(zpl_behaviour_of(*props));
    if (n->snapshot || fs->readonly()) continue;
    std::lock_guard<std::shared_mutex> g(w.lock());
    w.pool().set_dataset_props(n->ds_obj, write_props_of(*props, lz4_enabled(dsl)));
  }
}

template <typename Map>
void rename_keys(Map& m, const std::string& from, const std::string& to) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : m)
    if (k == from || is_below(k, from)) keys.push_back(k);
  for (const std::string& k : keys) {
    auto node = m.extract(k);
    node.key() = to + k.substr(from.size());
    m.insert(std::move(node));
  }
}

}  // namespace

Status PoolImpl::set_property(const std::string& dataset, const std::string& prop, const std::string& value) {
  std::lock_guard<std::mutex> g(mu_);
  FZ_CHECK(check_open());
  const std::string prefix = fmt::format("cannot set property for '{}': ", dataset);
  if (!writer_) return make_error(EROFS, "{}pool is read-only", prefix);
  if (dataset.find('@') != std::string::npos)
    return make_error(ENOTSUP, "{}this property can not be modified for snapshots", prefix);
  auto setting = parse_property(prop, value, version(), lz4_enabled(*dsl_));
  if (!setting.ok()) return with_prefix(std::move(setting).error(), prefix);
  const uint64_t avail = dataset_available();
  Status s = commit(*writer_, [&](WritablePool& wp) -> Status {
    auto dir = find_dir(wp.mos(), name(), dataset);
    if (!dir.ok()) return make_error(ENOENT, "cannot open '{}': dataset does not exist", dataset);
    if (Status st = set_dir_property(wp.mos(), version(), *dir, *setting, avail); !st.ok())
      return with_prefix(std::move(st).error(), prefix);
    return Status::Ok();
  });
  FZ_CHECK(s);
  FZ_TRY(const std::vector<DslNode>* all, nodes());
  update_write_props(*dsl_, *writer_, *all, filesystems_, dataset_available());
  return Status::Ok();
}

Status PoolImpl::inherit_property(const std::string& dataset, const std::string& prop) {
  std::lock_guard<std::mutex> g(mu_);
  FZ_CHECK(check_open());
  const std::string prefix = fmt::format("cannot inherit {} for '{}': ", prop, dataset);
  if (!writer_) return make_error(EROFS, "{}pool is read-only", prefix);
  switch (property_kind(prop)) {
    case PropKind::kUnknown: return make_error(EINVAL, "invalid property '{}'", prop);
    case PropKind::kReadonly:
    case PropKind::kCreateOnly: return make_error(EINVAL, "{} property is read-only", prop);
    case PropKind::kUser:
    case PropKind::kSettable: break;
  }
  if (!property_inheritable(prop)) {
    std::string msg = fmt::format("'{}' property cannot be inherited", prop);
    if (prop == "quota" || prop == "reservation" || prop == "refquota" || prop == "refreservation")
      msg += fmt::format("\nuse 'zfs set {}=none' to clear", prop);
    return make_error(EINVAL, "{}", msg);
  }
  if (dataset.find('@') != std::string::npos)
    return make_error(ENOTSUP, "{}this property can not be modified for snapshots", prefix);
  Status s = commit(*writer_, [&](WritablePool& wp) -> Status {
    auto dir = find_dir(wp.mos(), name(), dataset);
    if (!dir.ok()) return make_error(ENOENT, "cannot open '{}': dataset does not exist", dataset);
    return inherit_dir_property(wp.mos(), version(), *dir, prop);
  });
  FZ_CHECK(s);
  FZ_TRY(const std::vector<DslNode>* all, nodes());
  update_write_props(*dsl_, *writer_, *all, filesystems_, dataset_available());
  return Status::Ok();
}

Status PoolImpl::create_dataset(const std::string& dsname, const std::map<std::string, std::string>& props,
                                bool parents) {
  std::lock_guard<std::mutex> g(mu_);
  FZ_CHECK(check_open());
  const std::string prefix = fmt::format("cannot create '{}': ", dsname);
  if (!writer_) return make_error(EROFS, "{}pool is read-only", prefix);
  if (std::string why = dataset_name_problem(dsname); !why.empty()) return make_error(EINVAL, "{}{}", prefix, why);
  const std::string pool = dsname.substr(0, dsname.find('/'));
  if (pool != name()) return make_error(ENOENT, "{}no such pool '{}'", prefix, pool);
  FZ_TRY(const std::vector<DslNode>* all, nodes());
  if (find_node(*all, dsname)) {
    if (parents) return Status::Ok();  // zfs create -p of an existing file system succeeds
    return make_error(EEXIST, "{}dataset already exists", prefix);
  }
  // The nearest existing ancestor, and the ones -p has to make.
  std::vector<std::string> missing;
  std::string anc = parent_name(dsname);
  while (!anc.empty() && !find_node(*all, anc)) {
    missing.push_back(anc);
    anc = parent_name(anc);
  }
  if (anc.empty()) return make_error(ENOENT, "{}parent does not exist", prefix);
  if (!missing.empty() && !parents) return make_error(ENOENT, "{}parent does not exist", prefix);
  const DslNode& ancestor = *find_node(*all, anc);
  if (ancestor.os_type != ObjsetType::kZfs)
    return make_error(EINVAL, "{}parent is not a filesystem", prefix);

  // Every -o first: nothing is written when one is wrong.
  std::vector<PropSetting> settings;
  std::map<std::string, PropValue> effective;
  FZ_TRY(effective, dataset_properties(*dsl_, ancestor, dataset_available(), std::nullopt));
  std::map<std::string, std::string> zpl_props;
  for (const auto& [k, v] : props) {
    if (k == "casesensitivity" || k == "normalization" || k == "utf8only" || k == "version") {
      zpl_props[k] = v;
      continue;
    }
    auto s = parse_property(k, v, version(), lz4_enabled(*dsl_));
    if (!s.ok()) return with_prefix(std::move(s).error(), prefix);
    // Checked here, not in the txg: a refusal there would leave a half-made dataset.
    if (k == "reservation" && *s->number > dataset_available())
      return make_error(ENOSPC, "{}size is greater than available space", prefix);
    settings.push_back(*s);
    if (k == "checksum" || k == "compression" || k == "copies") effective[k].value = v;
  }
  auto setting_of = [&](const char* n) -> uint64_t {
    for (const PropSetting& st : settings)
      if (st.name == n) return *st.number;
    return 0;
  };
  if (setting_of("quota") != 0 && setting_of("reservation") > setting_of("quota"))
    return make_error(ENOSPC, "{}size is greater than available space", prefix);
  auto zpl = zpl_choice(*spa_, ancestor, version(), zpl_props);
  if (!zpl.ok()) return with_prefix(std::move(zpl).error(), prefix);
  const DatasetWriteProps child_props = write_props_of(effective, lz4_enabled(*dsl_));
  using PropMap = std::map<std::string, PropValue>;
  FZ_TRY(PropMap anc_props, dataset_properties(*dsl_, ancestor, 0, std::nullopt));
  const DatasetWriteProps anc_wprops = write_props_of(anc_props, lz4_enabled(*dsl_));
  const uint64_t avail = dataset_available();
  ZplChoice ancestors_zpl = *zpl;
  ancestors_zpl.version = zpl_version_for_pool(version());

  Status s = commit(*writer_, [&](WritablePool& wp) -> Status {
    FZ_TRY(uint64_t dir, find_dir(wp.mos(), name(), anc));
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      FZ_TRY(dir, make_filesystem(wp, dir, last_component(*it), {}, ancestors_zpl, anc_wprops, avail));
    }
    auto made = make_filesystem(wp, dir, last_component(dsname), settings, *zpl, child_props, avail);
    if (!made.ok()) return with_prefix(std::move(made).error(), prefix);
    return Status::Ok();
  });
  return s;
}

Status PoolImpl::rename_dataset(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> g(mu_);
  FZ_CHECK(check_open());
  const std::string prefix = fmt::format("cannot rename to '{}': ", to);
  if (!writer_) return make_error(EROFS, "cannot rename '{}': pool is read-only", from);
  if (from.find('@') != std::string::npos || to.find('@') != std::string::npos)
    return make_error(ENOTSUP, "cannot rename '{}': renaming snapshots is not supported yet", from);
  FZ_TRY(const std::vector<DslNode>* all, nodes());
  if (!find_node(*all, from)) return make_error(ENOENT, "cannot open '{}': dataset does not exist", from);
  if (from == name()) return make_error(EINVAL, "cannot rename '{}': operation does not apply to pools", from);
  if (std::string why = dataset_name_problem(to); !why.empty()) return make_error(EINVAL, "{}{}", prefix, why);
  if (to.substr(0, to.find('/')) != name()) return make_error(EXDEV, "{}datasets must be within same pool", prefix);
  if (is_below(to, from))
    return make_error(EINVAL, "{}New dataset name cannot be a descendant of current dataset name", prefix);
  if (find_node(*all, to)) return make_error(EEXIST, "{}dataset already exists", prefix);
  const std::string new_parent = parent_name(to);
  if (new_parent.empty() || !find_node(*all, new_parent))
    return make_error(ENOENT, "{}parent does not exist", prefix);

  FZ_CHECK(commit(*writer_, [&](WritablePool& wp) -> Status {
    FZ_TRY(uint64_t dir, find_dir(wp.mos(), name(), from));
    FZ_TRY(uint64_t parent, find_dir(wp.mos(), name(), new_parent));
    if (Status st = rename_dir(wp.mos(), dir, parent, last_component(to)); !st.ok())
      return with_prefix(std::move(st).error(), prefix);
    return Status::Ok();
  }));
  // Open file systems keep their objsets; only their names move.
  rename_keys(filesystems_, from, to);
  rename_keys(dataset_txgs_, from, to);
  FZ_TRY(all, nodes());
  update_write_props(*dsl_, *writer_, *all, filesystems_, dataset_available());
  return Status::Ok();
}

Status PoolImpl::destroy_dataset(const std::string& dsname, bool recursive) {
  std::lock_guard<std::mutex> g(mu_);
  FZ_CHECK(check_open());
  const std::string prefix = fmt::format("cannot destroy '{}': ", dsname);
  if (!writer_) return make_error(EROFS, "{}pool is read-only", prefix);
  if (dsname.find('@') != std::string::npos)
    return make_error(ENOTSUP, "{}destroying a single snapshot is not supported yet", prefix);
  if (dsname == name()) return make_error(EINVAL, "{}operation does not apply to pools", prefix);
  // File systems opened before (the daemon unmounts them first) must be let go of: a
  // mount still holding one makes the dataset busy; the rest is synced and forgotten,
  // so the plan below sees all of their blocks.
  {
    std::vector<std::string> cached;
    for (const auto& [n, fs] : filesystems_) {
      if (n != dsname && !is_below(n, dsname)) continue;
      if (fs.use_count() > 1) return make_error(EBUSY, "{}dataset is busy", prefix);
      cached.push_back(n);
    }
    if (!cached.empty() && (recursive || cached.size() == 1)) {
      FZ_CHECK(writer_->wait_synced());
      for (const std::string& n : cached) {
        filesystems_.erase(n);
        dataset_txgs_.erase(n);
      }
    }
  }
  FZ_TRY(const std::vector<DslNode>* all, nodes());
  const DslNode* target = find_node(*all, dsname);
  if (!target) return make_error(ENOENT, "cannot open '{}': dataset does not exist", dsname);
  // zfs counts snapshots among the dependents that need -r.
  std::vector<DslNode> doomed = {*target};
  std::string dependents;
  for (const DslNode& n : *all) {
    if (!is_below(n.name, dsname)) continue;
    dependents += "\n" + n.name;
    doomed.push_back(n);
  }
  if (!dependents.empty() && !recursive)
    return make_error(EBUSY, "{}filesystem has children\nuse '-r' to destroy the following datasets:{}", prefix,
                      dependents);
  std::string clones;
  for (const DslNode& d : doomed) {
    if (!d.snapshot) {
      if (filesystems_.count(d.name)) return make_error(EBUSY, "{}dataset is busy", prefix);  // opened since
      if (d.os_type != ObjsetType::kZfs) return make_error(ENOTSUP, "{}destroying volumes is not supported yet", prefix);
      continue;
    }
    for (const DslNode& n : *all)
      if (n.origin == d.name) clones += "\n" + n.name;
    if (d.ds.userrefs_obj != 0) {
      auto holds = dsl_->zap_entries(d.ds.userrefs_obj);
      if (!holds.ok() || !holds->empty()) return make_error(EBUSY, "cannot destroy '{}': dataset is busy", d.name);
    }
  }
  if (!clones.empty())
    return make_error(EBUSY, "{}filesystem has dependent clones\nuse '-R' to destroy the following datasets:{}", prefix,
                      clones);

  // A block's space as the DSL charges it: raidz space deflated per top-level vdev.
  std::vector<uint64_t> ratio;
  for (const auto& top : spa_->root()->children) {
    const uint64_t a = top->asize(128 * 1024);
    ratio.push_back(a >= 512 ? (uint64_t{1} << 17) / (a >> 9) : 512);
  }
  const bool deflate = version() >= kVersionRaidzDeflate;
  auto dsize = [&](const Blkptr& bp) {
    uint64_t total = 0;
    for (const Dva& d : bp.dva) {
      if (d.empty()) continue;
      total += deflate && d.vdev() < ratio.size() ? (d.asize() >> 9) * ratio[d.vdev()] : d.asize();
    }
    return total;
  };
  auto plan = plan_destroy(*dsl_, doomed, dsize);
  if (!plan.ok()) return with_prefix(std::move(plan).error(), prefix);
  return commit(*writer_, [&](WritablePool& wp) -> Status {
    if (Status st = apply_destroy(wp.mos(), version(), *plan); !st.ok()) return with_prefix(std::move(st).error(), prefix);
    return Status::Ok();
  });
}

Status PoolImpl::set_pool_property(const std::string& prop, const std::string& value) {
  std::lock_guard<std::mutex> g(mu_);
  FZ_CHECK(check_open());
  const std::string prefix = fmt::format("cannot set property for '{}': ", name());
  if (!writer_) return make_error(EROFS, "{}pool is read-only", prefix);
  using Choices = std::vector<std::pair<const char*, uint64_t>>;
  const Choices onoff = {{"off", 0}, {"on", 1}};
  const Choices failmode = {{"wait", 0}, {"continue", 1}, {"panic", 2}};
  const Choices* choices = nullptr;
  const char* text = "on | off";
  if (prop == "autoreplace" || prop == "delegation" || prop == "listsnapshots" || prop == "autoexpand") {
    choices = &onoff;
  } else if (prop == "failmode") {
    choices = &failmode;
    text = "wait | continue | panic";
  } else if (prop == "name" || prop == "size" || prop == "allocated" || prop == "free" || prop == "capacity" ||
             prop == "health" || prop == "guid" || prop == "dedupratio" || prop == "readonly") {
    return make_error(EINVAL, "{}'{}' is readonly", prefix, prop);
  } else if (prop == "version" || prop == "bootfs" || prop == "cachefile" || prop == "altroot") {
    return make_error(ENOTSUP, "{}setting '{}' is not supported yet", prefix, prop);
  } else {
    return make_error(EINVAL, "{}invalid property '{}'", prefix, prop);
  }
  auto it = std::find_if(choices->begin(), choices->end(), [&](const auto& c) { return value == c.first; });
  if (it == choices->end()) return make_error(EINVAL, "{}'{}' must be one of '{}'", prefix, prop, text);
  if (version() < kVersionPoolProps)
    return make_error(ENOTSUP, "{}pool must be upgraded to set this property or value", prefix);
  const uint64_t v = it->second;
  FZ_CHECK(commit(*writer_, [&](WritablePool& wp) -> Status {
    FZ_TRY(auto entry, mos_zap_lookup(wp.mos(), kMosObjectDirectory, "pool_props"));
    uint64_t zap = entry && !entry->ints.empty() ? entry->ints[0] : 0;
    if (zap == 0) {
      FZ_TRY(zap, mos_zap_create(wp.mos(), kOtPoolProps));
      FZ_CHECK(mos_zap_add(wp.mos(), kMosObjectDirectory, "pool_props", zap));
    }
    return mos_zap_update(wp.mos(), zap, prop, ZapValue::u64(v));
  }));
  // properties() reads the DSL view: bring it to the txg just synced.
  FZ_TRY(const std::vector<DslNode>* all, nodes());
  (void)all;
  return Status::Ok();
}

}  // namespace fzfs
