#include "engine/pool/pool_create.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <random>

#include "engine/pool/mos_create.h"
#include "engine/pool/writable_pool.h"
#include "engine/spa/spa.h"
#include "engine/vdev/label.h"
#include "engine/zpl/zpl_create.h"

namespace fzfs {
namespace {

constexpr uint64_t kCreateTxg = 4;  // TXG_INITIAL
constexpr uint64_t kStateActive = 0, kStateExported = 1;

// ---- option parsing ------------------------------------------------------------------

std::optional<uint64_t> parse_u64(const std::string& s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// "128K", "1M", "512": a size as zfs accepts it.
std::optional<uint64_t> parse_size(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) i++;
  auto n = parse_u64(s.substr(0, i));
  if (!n) return std::nullopt;
  std::string suf = s.substr(i);
  for (auto& c : suf) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (suf.empty() || suf == "B") return *n;
  const std::string units = "KMGTPE";
  if ((suf.size() == 1 || (suf.size() == 2 && suf[1] == 'B')) && units.find(suf[0]) != std::string::npos)
    return *n << (10 * (units.find(suf[0]) + 1));
  return std::nullopt;
}

using Choices = std::vector<std::pair<const char*, uint64_t>>;
const Choices kOnOff = {{"on", 1}, {"off", 0}};

// File system properties zpool create -O may set, as a v28 pool stores them.
struct FsProp {
  const char* name;
  enum { kIndex, kString, kSize } kind;
  Choices choices;
  const char* choice_text;  // zfs's "must be one of" list
};
const FsProp kFsProps[] = {
    {"atime", FsProp::kIndex, kOnOff, "'on | off'"},
    {"canmount", FsProp::kIndex, {{"off", 0}, {"on", 1}, {"noauto", 2}}, "'on | off | noauto'"},
    {"checksum", FsProp::kIndex, {{"on", 1}, {"off", 2}, {"fletcher2", 6}, {"fletcher4", 7}, {"sha256", 8}},
     "'on | off | fletcher2 | fletcher4 | sha256'"},
    {"compression", FsProp::kIndex,
     {{"on", 1}, {"off", 2}, {"lzjb", 3}, {"gzip", 10}, {"gzip-1", 5}, {"gzip-2", 6}, {"gzip-3", 7},
      {"gzip-4", 8}, {"gzip-5", 9}, {"gzip-6", 10}, {"gzip-7", 11}, {"gzip-8", 12}, {"gzip-9", 13}, {"zle", 14}},
     "'on | off | lzjb | gzip | gzip-[1-9] | zle'"},
    {"copies", FsProp::kIndex, {{"1", 1}, {"2", 2}, {"3", 3}}, "'1 | 2 | 3'"},
    {"devices", FsProp::kIndex, kOnOff, "'on | off'"},
    {"exec", FsProp::kIndex, kOnOff, "'on | off'"},
    {"mountpoint", FsProp::kString, {}, ""},
    {"readonly", FsProp::kIndex, kOnOff, "'on | off'"},
    {"recordsize", FsProp::kSize, {}, ""},
    {"setuid", FsProp::kIndex, kOnOff, "'on | off'"},
    {"sharenfs", FsProp::kString, {}, ""},
    {"sharesmb", FsProp::kString, {}, ""},
    {"snapdir", FsProp::kIndex, {{"hidden", 0}, {"visible", 1}}, "'hidden | visible'"},
    {"xattr", FsProp::kIndex, kOnOff, "'on | off'"},
    {"quota", FsProp::kSize, {}, ""},
    {"reservation", FsProp::kSize, {}, ""},
};

ZapValue string_value(const std::string& s) {
  std::vector<uint8_t> b(s.begin(), s.end());
  b.push_back(0);  // stored with its terminating NUL
  return ZapValue::bytes(b);
}

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
    if (!v || *v < 1 || *v > kZplVersionSa) return cannot_create(pool, fmt::format("'version' has an invalid value '{}'", value));
    s.zpl_version = *v;
    return Status::Ok();
  }
  if (name.find(':') != std::string::npos) {  // user property
    s.root_props.emplace_back(name, string_value(value));
    return Status::Ok();
  }
  for (const FsProp& p : kFsProps) {
    if (name != p.name) continue;
    switch (p.kind) {
      case FsProp::kString:
        if (name == "mountpoint" && value[0] != '/' && value != "none" && value != "legacy")
          return cannot_create(pool, "'mountpoint' must be an absolute path, 'none', or 'legacy'");
        s.root_props.emplace_back(name, string_value(value));
        return Status::Ok();
      case FsProp::kSize: {
        auto v = parse_size(value);
        if (!v) return cannot_create(pool, fmt::format("bad numeric value '{}'", value));
        if (name == "recordsize" && (*v < 512 || *v > 128 * 1024 || (*v & (*v - 1)) != 0))
          return cannot_create(pool, "'recordsize' must be power of 2 from 512B to 128KB");
        s.root_props.emplace_back(name, ZapValue::u64(*v));
        return Status::Ok();
      }
      case FsProp::kIndex:
        for (const auto& [n, v] : p.choices)
          if (value == n) {
            s.root_props.emplace_back(name, ZapValue::u64(v));
            return Status::Ok();
          }
        return cannot_create(pool, fmt::format("'{}' must be one of {}", name, p.choice_text));
    }
  }
  return cannot_create(pool, fmt::format("invalid property '{}'", name));
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

DatasetWriteProps root_write_props(const CreateSettings& s) {
  std::string checksum = "on", compression = "off", copies = "1";
  for (const auto& [name, v] : s.root_props) {
    if (v.ints.size() != 1 || v.int_size != 8) continue;
    for (const FsProp& p : kFsProps) {
      if (name != p.name || p.kind != FsProp::kIndex) continue;
      for (const auto& [n, num] : p.choices)
        if (num == v.ints[0]) {
          if (name == "checksum") checksum = n;
          if (name == "compression") compression = n;
          if (name == "copies") copies = n;
          break;
        }
    }
  }
  return parse_write_props(checksum, compression, copies, false);
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
  mp.root_props = s.root_props;
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
  wp->add_new_dataset(mos.root_dataset, std::move(os), root_write_props(s));

  // txg 4: everything, labels active. Then txg 5: the same config, exported.
  for (uint64_t state : {kStateActive, kStateExported}) {
    ctx.state = state;
    ctx.txg = wp->open_txg();
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
  if (!opts.mountpoint.empty()) {
    auto it = std::find_if(s.root_props.begin(), s.root_props.end(), [](const auto& p) { return p.first == "mountpoint"; });
    if (it != s.root_props.end()) s.root_props.erase(it);
    FZ_CHECK(parse_fs_prop(opts.pool, "mountpoint", opts.mountpoint, s));
  }
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
