#include "engine/pool/pool_create.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <random>

#include "engine/dsl/prop_set.h"
#include "engine/pool/mos_create.h"
#include "engine/pool/writable_pool.h"
#include "engine/spa/spa.h"
#include "engine/vdev/label.h"
#include "engine/zpl/zpl_create.h"

namespace fzfs {
namespace {

constexpr uint64_t kStateActive = 0, kStateExported = 1;

// ---- option parsing ------------------------------------------------------------------

std::optional<uint64_t> parse_u64(const std::string& s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

using Choices = std::vector<std::pair<const char*, uint64_t>>;
const Choices kOnOff = {{"on", 1}, {"off", 0}};

Status cannot_create(const std::string& pool, const std::string& why, int code = EINVAL) {
  return make_error(code, "cannot create '{}': {}", pool, why);
}

Status parse_pool_prop(const std::string& pool, const std::string& name, const std::string& value,
                       CreateSettings& s) {
  if (name == "version") {
    auto v = parse_u64(value);
    if (!v) return cannot_create(pool, fmt::format("bad numeric value '{}'", value));
    if (*v < 1 || *v > kSpaVersionMaxLegacy)
      return cannot_create(pool, fmt::format("property 'version' number {} is invalid.", *v), ENOTSUP);
    s.version = *v;
    return Status::Ok();
  }
  if (name == "ashift") {
    auto v = parse_u64(value);
    if (!v) return cannot_create(pool, fmt::format("bad numeric value '{}'", value));
    s.ashift = *v;  // plan_vdevs judges the range
    return Status::Ok();
  }
  if (name == "altroot" || name == "cachefile") return Status::Ok();  // not stored in the pool
  for (const char* onoff : {"autoexpand", "autoreplace", "delegation", "listsnapshots"}) {
    if (name != onoff) continue;
    if (value != "on" && value != "off")
      return cannot_create(pool, fmt::format("property '{}' must be one of 'on | off'", name));
    s.pool_props.emplace_back(name, value == "on" ? 1 : 0);
    return Status::Ok();
  }
  if (name == "failmode") {
    const Choices modes = {{"wait", 0}, {"continue", 1}, {"panic", 2}};
    for (const auto& [n, v] : modes)
      if (value == n) {
        s.pool_props.emplace_back(name, v);
        return Status::Ok();
      }
    return cannot_create(pool, "property 'failmode' must be one of 'wait | continue | panic'");
  }
  return make_error(EINVAL, "property '{}' is not a valid pool property", name);
}

Status parse_fs_prop(const std::string& pool, const std::string& name, const std::string& value,
                     CreateSettings& s) {
  // Creation-time properties of the file system live in its master node.
  if (name == "casesensitivity" || name == "normalization" || name == "utf8only") {
    const Choices cs = {{"sensitive", 0}, {"insensitive", 1}, {"mixed", 2}};
    const Choices norm = {{"none", 0}, {"formD", 0x10}, {"formKC", 0x20}, {"formC", 0x40}, {"formKD", 0x50}};
    const Choices& c = name == "casesensitivity" ? cs : name == "normalization" ? norm : kOnOff;
    for (const auto& [n, v] : c)
      if (value == n) {
        (name == "casesensitivity" ? s.casesensitivity : name == "normalization" ? s.normalization : s.utf8only) = v;
        return Status::Ok();
      }
    return cannot_create(pool, fmt::format("'{}' has an invalid value '{}'", name, value));
  }
  if (name == "version") {
    auto v = parse_u64(value);
    if (!v || *v < 1 || *v > kZplVersionSa)
      return cannot_create(pool, fmt::format("'version' has an invalid value '{}'", value));
    s.zpl_version = *v;
    return Status::Ok();
  }
  auto setting = parse_property(name, value, s.version);
  if (!setting.ok()) return cannot_create(pool, setting.error().message(), setting.error().code());
  std::erase_if(s.root_props, [&](const PropSetting& p) { return p.name == name; });
  s.root_props.push_back(std::move(*setting));
  if (name == "checksum") s.checksum = value;
  if (name == "compression") s.compression = value;
  if (name == "copies") s.copies = value;
  return Status::Ok();
}

// zpool's pool name rules (zpool_name_valid).
Status check_pool_name(const std::string& pool) {
  if (pool.empty()) return make_error(EINVAL, "missing pool name");
  if (!std::isalpha(static_cast<unsigned char>(pool[0])))
    return cannot_create(pool, "name must begin with a letter\npool name may have been omitted");
  for (char c : pool)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' && c != ':' && c != ' ')
      return cannot_create(pool, fmt::format("invalid character '{}' in pool name", c));
  if (pool == "mirror" || pool == "raidz" || pool == "spare" || pool == "log" ||
      (pool.rfind("raidz", 0) == 0 && pool.size() == 6 && std::isdigit(static_cast<unsigned char>(pool[5]))))
    return cannot_create(pool, "name is reserved\npool name may have been omitted");
  if (pool.rfind("mirror", 0) == 0 || pool.rfind("raidz", 0) == 0 || pool.rfind("spare", 0) == 0)
    return cannot_create(pool, "name is reserved");
  return Status::Ok();
}

// ---- the steps -------------------------------------------------------------------------

Result<VdevPlan> plan_devices(const CreateOptions& opts, const CreateSettings& s) {
  FZ_TRY(VdevSpec spec, parse_vdev_words(opts.vdevs));
  for (auto& top : spec.tops)
    for (auto& leaf : top.leaves) FZ_CHECK(probe_leaf(leaf, [](uint64_t) { return false; }));
  FZ_CHECK(check_vdev_spec(opts.pool, spec, opts.force));
  return plan_vdevs(spec, s.ashift, random_guid_source());
}

ConfigContext config_context(const std::string& pool, uint64_t version) {
  ConfigContext ctx;
  ctx.pool_name = pool;
  ctx.version = version;
  ctx.hostid = static_cast<uint64_t>(gethostid()) & 0xffffffffu;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  ctx.hostname = host;
  return ctx;
}

// Every leaf's four labels as a create leaves them before its first sync: config of txg
// 0 with a top-level create_txg, no uberblock, the boot environment block sealed empty.
Status write_fresh_labels(const VdevPlan& plan, ConfigContext ctx) {
  ctx.txg = 0;
  ctx.state = kStateActive;
  ctx.metaslab_arrays.clear();
  for (size_t t = 0; t < plan.tops.size(); t++) {
    for (size_t l = 0; l < plan.tops[t].leaves.size(); l++) {
      const std::string& path = plan.tops[t].leaves[l].path;
      FZ_TRY(NvList label, leaf_label_nvlist(plan, t, l, ctx));
      label.add_u64("create_txg", kCreateTxg);
      FZ_TRY(auto dev, open_file_device(path, /*writable=*/true, /*exclusive=*/true));
      const std::vector<uint8_t> ring(kUberblockRingSize, 0);
      for (int i = 0; i < kVdevLabels; i++) {
        const uint64_t at = vdev_label_offset(dev->size(), i);
        FZ_TRY(auto boot, seal_label_region({}, kVdevBootEnvSize, at + kVdevPadSize));
        if (Status s = dev->pwrite(boot, at + kVdevPadSize); !s.ok()) return std::move(s).error().context("{}", path);
        FZ_CHECK(write_vdev_phys(*dev, i, label));
        if (Status s = dev->pwrite(ring, at + kUberblockRingOffset); !s.ok())
          return std::move(s).error().context("{}", path);
      }
      if (Status s = dev->flush(); !s.ok()) return std::move(s).error().context("{}", path);
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<Spa>> open_new_pool(const VdevPlan& plan) {
  std::vector<std::string> paths;
  for (const auto& t : plan.tops)
    for (const auto& l : t.leaves) paths.push_back(l.path);
  for (auto& cand : group_pools(scan_devices(paths)))
    if (cand.guid == plan.pool_guid) return Spa::open(cand, /*writable=*/true);
  return make_error(EIO, "the new pool's labels were not found on its devices");
}

// The space the pool offers datasets (deflated for raidz), for the history's size limit.
uint64_t pool_dspace(const Spa& spa, const VdevPlan& plan, bool deflate) {
  uint64_t total = 0;
  for (const TopPlan& t : plan.tops) {
    const uint64_t raw = t.metaslab_count << t.metaslab_shift;
    const Vdev* vd = t.id < spa.root()->children.size() ? spa.root()->children[t.id].get() : nullptr;
    const uint64_t a128k = vd ? vd->asize(128 * 1024) >> 9 : 0;
    total += deflate && a128k ? (raw >> 9) * ((uint64_t{1} << 17) / a128k) : raw;
  }
  return total;
}

// The command line zpool would log for these options.
std::string create_command(const CreateOptions& o) {
  std::string cmd = "zpool create";
  if (o.force) cmd += " -f";
  for (const auto& [k, v] : o.pool_props) cmd += fmt::format(" -o {}={}", k, v);
  for (const auto& [k, v] : o.fs_props) cmd += fmt::format(" -O {}={}", k, v);
  if (!o.mountpoint.empty()) cmd += " -m " + o.mountpoint;
  cmd += " " + o.pool;
  for (const auto& w : o.vdevs) cmd += " " + w;
  return cmd;
}

NvList history_record(const CreateOptions& o, uint64_t now, const std::string& hostname) {
  NvList r;
  r.add_u64("history time", now);
  r.add_u64("history who", geteuid());
  r.add_string("history zone", "global");
  r.add_string("history hostname", hostname);
  r.add_string("history command", create_command(o));
  return r;
}

std::function<uint64_t()> random_u64() {
  auto rng = std::make_shared<std::mt19937_64>(std::random_device{}() ^ (uint64_t{std::random_device{}()} << 32));
  return [rng]() { return (*rng)(); };
}

Status write_pool(const CreateOptions& opts, const CreateSettings& s, const VdevPlan& plan) {
  ConfigContext ctx = config_context(opts.pool, s.version);
  FZ_CHECK(write_fresh_labels(plan, ctx));
  FZ_TRY(std::unique_ptr<Spa> spa, open_new_pool(plan));

  const uint64_t now = static_cast<uint64_t>(std::time(nullptr));
  const bool deflate = s.version >= 3;
  MosCreateParams mp;
  mp.version = s.version;
  mp.now = now;
  mp.top_vdevs = plan.tops.size();
  mp.history_max_off = history_max_offset(pool_dspace(*spa, plan, deflate));
  mp.root_case_insensitive = s.casesensitivity == 1;
  mp.pool_props = s.pool_props;
  mp.random = random_u64();

  // Fill the MOS in a pool whose label configs already name the metaslab arrays.
  WritablePoolOptions wopts;
  auto wp_or = WritablePool::create_new(*spa, s.version, kCreateTxg, wopts);
  if (!wp_or.ok()) return std::move(wp_or).error();
  std::unique_ptr<WritablePool> wp = std::move(*wp_or);
  FZ_TRY(MosObjects mos, create_mos(wp->mos(), mp));
  ctx.metaslab_arrays = mos.metaslab_arrays;
  for (size_t t = 0; t < mos.metaslab_arrays.size(); t++) wp->set_metaslab_array(t, mos.metaslab_arrays[t]);
  wp->set_deflate(deflate);
  wp->set_mos_dir(mos.mos_dir);
  for (const PropSetting& prop : s.root_props)
    FZ_CHECK(set_dir_property(wp->mos(), s.version, mos.root_dir, prop, pool_dspace(*spa, plan, deflate)));

  auto os = WritableObjset::create(spa->reader(), ObjsetType::kZfs, s.version >= 15 ? 2048 : 1024, 14);
  ZplCreateParams zp;
  const uint64_t max_zpl = zpl_version_for_pool(s.version);
  zp.zpl_version = s.zpl_version ? std::min(s.zpl_version, max_zpl) : max_zpl;
  zp.txg = kCreateTxg;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  zp.now = Timespec{ts.tv_sec, ts.tv_nsec};
  zp.uid = geteuid();
  zp.gid = getegid();
  zp.normalization = s.normalization;
  zp.utf8only = s.utf8only;
  zp.casesensitivity = s.casesensitivity;
  FZ_CHECK(create_zpl(*os, zp));
  wp->add_new_dataset(mos.root_dataset, std::move(os), parse_write_props(s.checksum, s.compression, s.copies, false));

  // txg 4: everything, labels active. Then txg 5: the same config, exported.
  for (uint64_t state : {kStateActive, kStateExported}) {
    ctx.state = state;
    ctx.txg = wp->open_txg();
    // zpool logs its command line in the txg after the create's.
    if (state == kStateExported && mos.history != 0)
      FZ_CHECK(write_first_history_record(wp->mos(), mos.history, history_record(opts, now, ctx.hostname)));
    FZ_CHECK(write_config_object(wp->mos(), mos.config, pool_config_nvlist(plan, ctx)));
    std::map<uint64_t, NvList> labels;
    for (size_t t = 0; t < plan.tops.size(); t++)
      for (size_t l = 0; l < plan.tops[t].leaves.size(); l++) {
        FZ_TRY(NvList label, leaf_label_nvlist(plan, t, l, ctx));
        labels[plan.tops[t].leaves[l].guid] = std::move(label);
      }
    wp->set_leaf_labels(std::move(labels));
    if (Status st = wp->sync(state); !st.ok()) return std::move(st).error().context("cannot create '{}'", opts.pool);
  }
  return Status::Ok();
}

}  // namespace

Result<CreateSettings> parse_create_settings(const CreateOptions& opts) {
  FZ_CHECK(check_pool_name(opts.pool));
  CreateSettings s;
  for (const auto& [name, value] : opts.pool_props) FZ_CHECK(parse_pool_prop(opts.pool, name, value, s));
  for (const auto& [name, value] : opts.fs_props) FZ_CHECK(parse_fs_prop(opts.pool, name, value, s));
  if (!opts.mountpoint.empty()) FZ_CHECK(parse_fs_prop(opts.pool, "mountpoint", opts.mountpoint, s));
  return s;
}

std::string describe_layout(const std::string& pool, const VdevPlan& plan) {
  std::string out = fmt::format("would create '{}' with the following layout:\n\n\t{}\n", pool, pool);
  for (const TopPlan& t : plan.tops) {
    if (t.is_leaf()) {
      out += fmt::format("\t  {}\n", t.leaves[0].path);
      continue;
    }
    out += t.type == "raidz" ? fmt::format("\t  raidz{}\n", t.nparity) : fmt::format("\t  {}\n", t.type);
    for (const LeafPlan& l : t.leaves) out += fmt::format("\t    {}\n", l.path);
  }
  return out;
}

Result<std::string> Pool::create(const CreateOptions& opts) {
  FZ_TRY(CreateSettings s, parse_create_settings(opts));
  FZ_TRY(VdevPlan plan, plan_devices(opts, s));
  if (opts.dry_run) return describe_layout(opts.pool, plan);
  FZ_CHECK(write_pool(opts, s, plan));
  return std::string();
}

}  // namespace fzfs
