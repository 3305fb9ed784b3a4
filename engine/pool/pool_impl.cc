#include "engine/pool/pool_impl.h"

#include <algorithm>

#include "engine/dsl/dsl_props.h"
#include "engine/dsl/prop_set.h"
#include "engine/pool/pool_space.h"
#include "engine/util/nicenum.h"
#include "engine/zpl/zpl_fs.h"

namespace fzfs {

namespace {

Result<PoolCandidate> find_candidate(const ImportOptions& opts) {
  auto pools = group_pools(scan_devices(opts.search_dirs));
  std::vector<PoolCandidate*> matches;
  for (auto& p : pools) {
    if (p.name == opts.pool || std::to_string(p.guid) == opts.pool) matches.push_back(&p);
  }
  if (matches.empty()) return make_error(ENOENT, "no such pool available");
  if (matches.size() > 1)
    return make_error(EINVAL, "more than one matching pool; import by numeric identifier instead");
  return std::move(*matches[0]);
}

// Builds a temporary vdev tree over non-exclusively opened devices, to judge a pool's
// health before import.
VdevStatusNode probe_status(const PoolCandidate& c, std::string* state) {
  std::vector<LeafDevice> leaves;
  for (const auto& d : c.devices) {
    auto dev = open_file_device(d.path, false, false);
    leaves.push_back(LeafDevice{d.guid, d.path, dev.ok() ? std::shared_ptr<BlockDevice>(std::move(*dev)) : nullptr});
  }
  auto tree = build_vdev_tree(root_vdev_config(c), leaves);
  if (!tree.ok()) {
    *state = "UNAVAIL";
    return VdevStatusNode{c.name, "UNAVAIL", 0, 0, 0, {}};
  }
  VdevStatusNode n = vdev_status(**tree, c.name);
  *state = n.state;
  return n;
}

void collect_unavailable(const Vdev& v, const Spa& spa, std::string* out) {
  if (v.children.empty() && v.state() == VdevState::kUnavail && std::string(v.type()) != "missing") {
    auto why = spa.device_problems().find(v.guid);
    *out += fmt::format("{} {}", out->empty() ? ":" : ",", why != spa.device_problems().end() ? why->second : v.name());
  }
  for (const auto& c : v.children) collect_unavailable(*c, spa, out);
}

// ": /dev/a is N bytes, smaller than ..., /dev/b" naming the leaves that could not be opened, or "".
std::string unavailable_devices(const Spa& spa) {
  std::string out;
  collect_unavailable(*spa.root(), spa, &out);
  return out;
}

}  // namespace

VdevStatusNode vdev_status(const Vdev& v, const std::string& pool_name) {
  VdevStatusNode n;
  n.name = std::string(v.type()) == "root" ? pool_name : v.name();
  // zpool names a device it could not open by guid, and says what it was.
  if (v.children.empty() && v.state() == VdevState::kUnavail && v.guid != 0) {
    n.note = "was " + n.name;
    n.name = std::to_string(v.guid);
  }
  n.state = to_string(v.state());
  n.read_errors = v.counters.read_errors.load();
  n.write_errors = v.counters.write_errors.load();
  n.cksum_errors = v.counters.cksum_errors.load();
  for (const auto& c : v.children) n.children.push_back(vdev_status(*c, pool_name));
  return n;
}

Result<std::vector<ImportCandidate>> Pool::discover(const std::vector<std::string>& dirs) {
  std::vector<ImportCandidate> out;
  for (auto& p : group_pools(scan_devices(dirs))) {
    if (p.state == static_cast<uint64_t>(PoolState::kDestroyed)) continue;
    ImportCandidate c;
    c.name = p.name;
    c.guid = p.guid;
    c.version = p.version;
    for (const auto& d : p.devices) c.device_paths.push_back(d.path);
    c.config = probe_status(p, &c.state);
    if (!spa_version_supported(p.version)) {
      c.state = "UNAVAIL";
      c.status = fmt::format("The pool is formatted using an incompatible version ({}).", p.version);
      c.action = "The pool cannot be imported.  Access the pool on a system running newer\n\tsoftware, or recreate the pool from backup.";
    } else if (c.state == "ONLINE") {
      c.action = "The pool can be imported using its name or numeric identifier.";
    } else if (c.state == "DEGRADED") {
      c.status = "One or more devices are missing from the system.";
      c.action = "The pool can be imported despite missing or damaged devices.  The\n\tfault tolerance of the pool may be compromised if imported.";
    } else {
      c.status = "One or more devices are missing from the system.";
      c.action = "The pool cannot be imported. Attach the missing\n\tdevices and try again.";
    }
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::unique_ptr<PoolImpl>> PoolImpl::import(const ImportOptions& opts) {
  FZ_TRY(PoolCandidate cand, find_candidate(opts));
  return PoolImpl::open(cand, opts);
}

Result<std::unique_ptr<Pool>> Pool::import(const ImportOptions& opts) {
  auto p = PoolImpl::import(opts);
  if (!p.ok()) return std::move(p).error();
  return std::unique_ptr<Pool>(std::move(*p));
}

Result<std::unique_ptr<PoolImpl>> PoolImpl::open(const PoolCandidate& cand, const ImportOptions& opts) {
  if (!spa_version_supported(cand.version))
    return make_error(ENOTSUP, "pool version {} is not supported (this fzfs reads versions 1-{} and {})",
                      cand.version, kSpaVersionMaxLegacy, kSpaVersionFeatures);
  if (cand.state == static_cast<uint64_t>(PoolState::kActive) && !opts.force) {
    // A pool not exported cleanly may be in use elsewhere; zpool asks for -f. Read-only
    // access cannot damage it, so allow it and say nothing.
  }
  std::unique_ptr<PoolImpl> p(new PoolImpl());
  FZ_TRY(p->spa_, Spa::open(cand, /*writable=*/!opts.readonly));
  p->spa_->reader()->set_checksum_verification(opts.verify_checksums);
  if (p->spa_->root()->state() == VdevState::kUnavail || p->spa_->root()->state() == VdevState::kFaulted)
    return make_error(ENXIO, "pool {}: one or more devices are unavailable and the pool has no redundancy to cover them{}",
                      cand.name, unavailable_devices(*p->spa_));
  auto dsl = DslPool::open(p->spa_.get());
  if (!dsl.ok()) return std::move(dsl).error().context("pool {}", cand.name);
  p->dsl_ = std::move(*dsl);
  if (!opts.readonly) {
    if (Status s = p->start_writing(cand); !s.ok()) return std::move(s).error().context("pool {}", cand.name);
  }
  return p;
}

Status PoolImpl::start_writing(const PoolCandidate& cand) {
  WritablePoolOptions wo;
  for (const auto& d : cand.devices) wo.leaf_labels[d.guid] = d.config;
  for (const auto& [f, refcount] : dsl_->features())
    if (f == "org.illumos:lz4_compress" && refcount > 0) wo.lz4_active = true;
  FZ_TRY(auto wp, WritablePool::open(*spa_, *dsl_, std::move(wo)));
  // Importing writes the labels anew: the pool is active, at a new txg.
  FZ_CHECK(wp->sync(static_cast<uint64_t>(PoolState::kActive)));
  FZ_TRY(writer_, PoolWriter::start(std::move(wp)));
  return refresh_locked();
}

PoolImpl::~PoolImpl() {
  if (writer_ && !closed_) {
    // Not exported: keep every change, leave the pool active (as a crash would, minus
    // the loss).
    (void)writer_->shutdown(static_cast<uint64_t>(PoolState::kActive));
  }
}

Status PoolImpl::check_open() const {
  if (closed_) return make_error(EBADF, "pool {} is exported", spa_ ? spa_->name() : "");
  return Status::Ok();
}

Status PoolImpl::refresh_locked() {
  if (!writer_) return Status::Ok();
  Uberblock ub;
  {
    std::lock_guard<std::shared_mutex> g(writer_->lock());
    ub = writer_->pool().uberblock();
    dsl_generation_ = writer_->generation();
  }
  auto dsl = DslPool::open(spa_.get(), &ub);
  if (!dsl.ok()) return std::move(dsl).error();
  dsl_ = std::move(*dsl);
  nodes_.reset();
  allocated_.reset();
  return Status::Ok();
}

Status PoolImpl::sync() {
  FZ_CHECK(check_open());
  if (!writer_) return Status::Ok();
  return writer_->wait_synced();
}

Status PoolImpl::export_pool() { return close_as(PoolState::kExported); }

Status PoolImpl::destroy_pool() {
  if (!writer_) return make_error(EROFS, "pool {} is imported read-only", name());
  return close_as(PoolState::kDestroyed);
}

Status PoolImpl::close_as(PoolState state) {
  std::lock_guard<std::mutex> g(mu_);
  FZ_CHECK(check_open());
  if (!writer_) {
    closed_ = true;
    return Status::Ok();
  }
  for (auto& [name, fs] : filesystems_)
    if (auto* z = dynamic_cast<ZplFs*>(fs.get()); z && !z->readonly()) FZ_CHECK(z->drain_unlinked());
  Status s = writer_->shutdown(static_cast<uint64_t>(state));
  closed_ = true;
  filesystems_.clear();
  dataset_txgs_.clear();
  writer_.reset();
  return s;
}

uint64_t PoolImpl::allocated_bytes() {
  if (writer_) return writer_->pool().space().allocated;  // the allocator knows it exactly
  if (allocated_) return *allocated_;
  // Replaying the space maps (and any log space maps, whose entries the maps' own
  // smp_alloc counts do not include yet) gives what is allocated now. A pool whose maps
  // cannot be read reports 0 rather than failing `zpool list`.
  auto space = load_pool_space(*dsl_);
  allocated_ = space.ok() ? space->replayed_total : 0;
  return *allocated_;
}

uint64_t PoolImpl::deflated_space() {
  // RAIDZ stores parity beside data; datasets are charged "deflated" space, scaled by
  // the ratio of a 128 KiB block's size to its allocated size.
  uint64_t total = 0;
  for (const auto& top : spa_->root()->children) {
    uint64_t alloc128k = top->asize(128 * 1024);
    if (alloc128k == 0) continue;
    uint64_t ratio = (1ULL << 17) / (alloc128k >> 9);
    total += (top->asize_total >> 9) * ratio;
  }
  return total;
}

uint64_t PoolImpl::dataset_available() {
  uint64_t space = deflated_space();
  // Space held back so the pool can always sync (and free space) when "full": legacy
  // pools keep 1/64 but at least 32 MiB; feature pools 1/32, at least min(128 MiB,
  // half the pool), at most 128 GiB.
  uint64_t slop;
  if (version() < kSpaVersionFeatures) {
    slop = std::max<uint64_t>(space >> 6, 32ULL << 20);
  } else {
    slop = std::min<uint64_t>(space >> 5, 128ULL << 30);
    slop = std::max<uint64_t>(slop, std::min<uint64_t>(space >> 1, 128ULL << 20));
  }
  auto root = dsl_->dir(dsl_->root_dir_obj());
  uint64_t used = root.ok() ? root->used_bytes : 0;
  if (space <= used + slop) return 0;
  return space - used - slop;
}

std::map<std::string, PropValue> PoolImpl::properties() {
  std::map<std::string, PropValue> p;
  uint64_t size = 0;
  for (const auto& top : spa_->root()->children) size += top->asize_total;
  uint64_t alloc = allocated_bytes();
  uint64_t free = size > alloc ? size - alloc : 0;
  auto num = [](uint64_t v) { return PropValue{nicenum(v), v, "-"}; };
  p["name"] = PropValue{name(), std::nullopt, "-"};
  p["size"] = num(size);
  p["allocated"] = num(alloc);
  p["free"] = num(free);
  uint64_t cap = size ? (alloc * 100 + size / 2) / size : 0;
  p["capacity"] = PropValue{fmt::format("{}%", cap), cap, "-"};
  p["health"] = PropValue{health(), std::nullopt, "-"};
  p["guid"] = PropValue{std::to_string(guid()), guid(), "-"};
  p["version"] = PropValue{version() == kSpaVersionFeatures ? "-" : std::to_string(version()), version(), "default"};
  p["readonly"] = readonly() ? PropValue{"on", 1, "-"} : PropValue{"off", 0, "-"};
  p["dedupratio"] = PropValue{"1.00x", 100, "-"};
  p["bootfs"] = PropValue{"-", std::nullopt, "default"};
  p["delegation"] = PropValue{"on", 1, "default"};
  p["autoreplace"] = PropValue{"off", 0, "default"};
  p["cachefile"] = PropValue{"-", std::nullopt, "default"};
  p["failmode"] = PropValue{"wait", 0, "default"};
  p["listsnapshots"] = PropValue{"off", 0, "default"};
  p["autoexpand"] = PropValue{"off", 0, "default"};
  p["txg"] = PropValue{std::to_string(dsl_->uberblock().txg), dsl_->uberblock().txg, "-"};
  for (auto& [k, v] : stored_pool_properties(*dsl_)) p[k] = v;  // what zpool set stored
  for (const auto& [f, refcount] : dsl_->features()) {
    std::string short_name = f.substr(f.find(':') + 1);
    p["feature@" + short_name] = PropValue{refcount > 0 ? "active" : "enabled", refcount, "local"};
  }
  return p;
}

VdevStatusNode PoolImpl::status() { return vdev_status(*spa_->root(), name()); }

std::string PoolImpl::health() {
  // As OpenZFS reports it: after a failed sync the devices may look fine, the pool is not.
  if (writer_ && !writer_->health().ok()) return "SUSPENDED";
  return to_string(spa_->root()->state());
}

namespace {

struct ErrorCensus {
  bool unavailable = false;
  bool errors = false;
};

void census(const Vdev& v, ErrorCensus* c) {
  if (v.children.empty()) {
    c->unavailable |= v.state() == VdevState::kUnavail;
    c->errors |= v.counters.read_errors + v.counters.cksum_errors + v.counters.write_errors > 0;
  }
  for (const auto& ch : v.children) census(*ch, c);
}

}  // namespace

HealthReport PoolImpl::health_report() {
  if (writer_) {
    if (Status h = writer_->health(); !h.ok())
      return {"The pool is suspended: a transaction group could not be written (" + h.error().message() +
                  ").\n\tChanges since the last good one are lost; nothing older is.",
              "Export the pool, fix the device problem, and import it again."};
  }
  ErrorCensus c;
  census(*spa_->root(), &c);
  if (c.unavailable) {
    return {"One or more devices could not be opened.  Sufficient replicas exist for\n"
            "\tthe pool to continue functioning in a degraded state.",
            "Attach the missing device and online it using 'zpool online'."};
  }
  if (c.errors) {
    return {"One or more devices has experienced an unrecoverable error.  An\n"
            "\tattempt was made to correct the error.  Applications are unaffected.",
            "Determine if the device needs to be replaced, and clear the errors\n"
            "\tusing 'zpool clear' or replace the device with 'zpool replace'."};
  }
  return {};
}

Result<const std::vector<DslNode>*> PoolImpl::nodes() {
  FZ_CHECK(check_open());
  if (writer_ && writer_->generation() != dsl_generation_) FZ_CHECK(refresh_locked());
  if (!nodes_) {
    auto all = dsl_->walk();
    if (!all.ok()) return std::move(all).error().context("pool {}", name());
    nodes_ = std::move(*all);
  }
  return &*nodes_;
}

Result<std::vector<DatasetInfo>> PoolImpl::datasets() {
  std::lock_guard<std::mutex> g(mu_);
  FZ_TRY(const std::vector<DslNode>* all, nodes());
  uint64_t avail = dataset_available();
  std::vector<DatasetInfo> out;
  for (const DslNode& n : *all) {
    DatasetInfo info;
    info.name = n.name;
    info.dsobj = n.ds_obj;
    info.type = n.snapshot ? DatasetType::kSnapshot
                : n.os_type == ObjsetType::kZvol ? DatasetType::kVolume
                                                  : DatasetType::kFilesystem;
    std::optional<ZplFacts> zpl;
    if (n.os_type == ObjsetType::kZfs) {
      auto os = Objset::open(spa_->reader(), n.ds.bp);
      if (os.ok()) {
        auto m = ZplFs::read_master(**os);
        if (m.ok()) zpl = ZplFacts{m->version, m->normalization, m->utf8only, m->casesensitivity};
      }
    }
    auto props = dataset_properties(*dsl_, n, avail, zpl);
    if (!props.ok()) return std::move(props).error().context("dataset {}", n.name);
    info.props = std::move(*props);
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<std::string>> PoolImpl::snapshots_of(const std::string& dataset) {
  std::lock_guard<std::mutex> g(mu_);
  FZ_TRY(const std::vector<DslNode>* all, nodes());
  std::vector<std::string> out;
  std::string prefix = dataset + "@";
  for (const DslNode& n : *all)
    if (n.snapshot && n.name.compare(0, prefix.size(), prefix) == 0) out.push_back(n.name.substr(prefix.size()));
  return out;
}

ZplBehaviour zpl_behaviour_of(const std::map<std::string, PropValue>& props) {
  auto on = [&](const char* k, bool dflt) {
    auto it = props.find(k);
    if (it == props.end() || !it->second.number) return dflt;
    return *it->second.number != 0;
  };
  ZplBehaviour b;
  b.atime = atime_mode(on("atime", true), on("relatime", true));
  b.xattr = on("xattr", true);
  b.readonly = on("readonly", false);
  if (auto it = props.find("recordsize"); it != props.end() && it->second.number) b.recordsize = *it->second.number;
  return b;
}

Result<std::shared_ptr<Filesystem>> PoolImpl::open_filesystem(const std::string& name) {
  std::lock_guard<std::mutex> g(mu_);
  if (auto it = filesystems_.find(name); it != filesystems_.end()) return it->second;
  FZ_TRY(const std::vector<DslNode>* all, nodes());
  auto it = std::find_if(all->begin(), all->end(), [&](const DslNode& n) { return n.name == name; });
  if (it == all->end()) return make_error(ENOENT, "dataset '{}' does not exist", name);
  const DslNode& n = *it;
  if (writer_ && !n.snapshot && n.os_type == ObjsetType::kZfs) return open_writable(n);
  auto os = Objset::open(spa_->reader(), n.ds.bp);
  if (!os.ok()) return std::move(os).error().context("dataset {}", name);
  uint64_t referenced = n.ds.referenced_bytes;
  uint64_t avail = n.snapshot ? 0 : dataset_available();
  uint64_t objects = (*os)->max_object();
  auto statfs = [referenced, avail, objects, guid = n.ds.fsid_guid]() {
    FsStat s;
    s.bsize = 4096;
    s.blocks = (referenced + avail) / s.bsize;
    s.bfree = s.bavail = avail / s.bsize;
    s.files = objects + avail / 512;
    s.ffree = avail / 512;
    s.fsid = guid;
    return s;
  };
  auto fs = ZplFs::open(std::move(*os), name, statfs);
  if (!fs.ok()) return std::move(fs).error().context("dataset {}", name);
  if (auto props = dataset_properties(*dsl_, n, avail, std::nullopt); props.ok())
    (*fs)->set_behaviour(zpl_behaviour_of(*props));
  filesystems_[name] = *fs;
  return std::shared_ptr<Filesystem>(*fs);
}

Result<std::shared_ptr<Filesystem>> PoolImpl::open_writable(const DslNode& n) {
  auto props = dataset_properties(*dsl_, n, dataset_available(), std::nullopt);
  if (!props.ok()) return std::move(props).error().context("dataset {}", n.name);
  auto prop = [&](const char* k) { auto it = props->find(k); return it == props->end() ? std::string() : it->second.value; };
  const bool lz4 = dsl_->features().count("org.illumos:lz4_compress") && dsl_->features().at("org.illumos:lz4_compress") > 0;
  DatasetWriteProps wprops = parse_write_props(prop("checksum"), prop("compression"), prop("copies"), lz4);
  ZplWriteConfig cfg;
  if (auto it = props->find("recordsize"); it != props->end() && it->second.number) cfg.recordsize = *it->second.number;
  cfg.indblkshift = version() >= kSpaVersionFeatures ? 17 : 14;

  WritableObjset* wos;
  {
    std::lock_guard<std::shared_mutex> g(writer_->lock());
    FZ_TRY(wos, writer_->pool().dataset(n.ds_obj, wprops));
  }
  PoolWriter* w = writer_.get();
  auto statfs = [w, guid = n.ds.fsid_guid]() {
    SpaceTotals t = w->pool().space();
    FsStat s;
    s.bsize = 4096;
    const uint64_t slop = std::max<uint64_t>(t.size / 32, 16ULL << 20);
    const uint64_t avail = t.free() > slop ? t.free() - slop : 0;
    s.blocks = t.size / s.bsize;
    s.bfree = s.bavail = avail / s.bsize;
    s.files = (t.size / 512);
    s.ffree = avail / 512;
    s.fsid = guid;
    return s;
  };
  auto txg = std::make_unique<DatasetTxg>(w, n.ds_obj, statfs);
  auto fs = ZplFs::open_rw(wos, n.name, txg.get(), cfg);
  if (!fs.ok()) return std::move(fs).error().context("dataset {}", n.name);
  (*fs)->set_behaviour(zpl_behaviour_of(*props));
  // Objects a crash left unlinked but not freed go now, as a mount does in ZFS.
  FZ_CHECK((*fs)->drain_unlinked());
  dataset_txgs_[n.name] = std::move(txg);
  filesystems_[n.name] = *fs;
  return std::shared_ptr<Filesystem>(*fs);
}

}  // namespace fzfs
