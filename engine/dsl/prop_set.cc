#include "engine/dsl/prop_set.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/dsl/dataset_sync.h"
#include "engine/dsl/dsl_records.h"

namespace fzfs {
namespace {

// Pool versions that gate a value (zfs refuses it on older pools with ENOTSUP).
constexpr uint64_t kVersionDitto = 2;
constexpr uint64_t kVersionGzip = 5;
constexpr uint64_t kVersionRefquota = 9;
constexpr uint64_t kVersionZle = 20;
constexpr uint64_t kVersionDedup = 21;
constexpr uint64_t kVersionRecvdProps = 22;
constexpr uint64_t kMaxUserValue = 1024;   // a user property value (legacy ZFS)
constexpr uint64_t kMaxPropName = 256;     // a ZAP name

using Choices = std::vector<std::pair<std::string_view, uint64_t>>;

enum class Kind { kIndex, kNumber, kString };

struct Settable {
  std::string_view name;
  Kind kind;
  bool inherit;
  Choices choices = {};
  std::string_view choice_text = {};  // zfs's "must be one of" list
};

const Choices kOnOff = {{"on", 1}, {"off", 0}};

const Settable kSettable[] = {
    {"aclinherit", Kind::kIndex, true,
     {{"discard", 0}, {"noallow", 1}, {"restricted", 4}, {"passthrough", 3}, {"passthrough-x", 5}},
     "discard | noallow | restricted | passthrough | passthrough-x"},
    {"aclmode", Kind::kIndex, true, {{"discard", 0}, {"groupmask", 2}, {"passthrough", 3}},
     "discard | groupmask | passthrough"},
    {"atime", Kind::kIndex, true, kOnOff, "on | off"},
    {"canmount", Kind::kIndex, false, {{"on", 1}, {"off", 0}, {"noauto", 2}}, "on | off | noauto"},
    {"checksum", Kind::kIndex, true,
     {{"on", 1}, {"off", 2}, {"fletcher2", 6}, {"fletcher4", 7}, {"sha256", 8}},
     "on | off | fletcher2 | fletcher4 | sha256"},
    {"compression", Kind::kIndex, true,
     {{"on", 1}, {"off", 2}, {"lzjb", 3}, {"gzip", 10}, {"gzip-1", 5}, {"gzip-2", 6}, {"gzip-3", 7},
      {"gzip-4", 8}, {"gzip-5", 9}, {"gzip-6", 10}, {"gzip-7", 11}, {"gzip-8", 12}, {"gzip-9", 13},
      {"zle", 14}, {"lz4", 15}},
     "on | off | lzjb | gzip | gzip-[1-9] | zle"},
    {"copies", Kind::kIndex, true, {{"1", 1}, {"2", 2}, {"3", 3}}, "1 | 2 | 3"},
    {"dedup", Kind::kIndex, true,
     {{"on", 1}, {"off", 2}, {"verify", 0x101}, {"sha256", 8}, {"sha256,verify", 0x108}},
     "on | off | verify | sha256[,verify]"},
    {"devices", Kind::kIndex, true, kOnOff, "on | off"},
    {"exec", Kind::kIndex, true, kOnOff, "on | off"},
    {"logbias", Kind::kIndex, true, {{"latency", 0}, {"throughput", 1}}, "latency | throughput"},
    {"mountpoint", Kind::kString, true},
    {"nbmand", Kind::kIndex, true, kOnOff, "on | off"},
    {"primarycache", Kind::kIndex, true, {{"none", 0}, {"metadata", 1}, {"all", 2}}, "none | metadata | all"},
    {"quota", Kind::kNumber, false},
    {"readonly", Kind::kIndex, true, kOnOff, "on | off"},
    {"recordsize", Kind::kNumber, true},
    {"refquota", Kind::kNumber, false},
    {"refreservation", Kind::kNumber, false},
    {"relatime", Kind::kIndex, true, kOnOff, "on | off"},
    {"reservation", Kind::kNumber, false},
    {"secondarycache", Kind::kIndex, true, {{"none", 0}, {"metadata", 1}, {"all", 2}}, "none | metadata | all"},
    {"setuid", Kind::kIndex, true, kOnOff, "on | off"},
    {"sharenfs", Kind::kString, true},
    {"sharesmb", Kind::kString, true},
    {"snapdir", Kind::kIndex, true, {{"hidden", 0}, {"visible", 1}}, "hidden | visible"},
    {"vscan", Kind::kIndex, true, kOnOff, "on | off"},
    {"xattr", Kind::kIndex, true, kOnOff, "on | off"},
    {"zoned", Kind::kIndex, true, kOnOff, "on | off"},
};

const std::set<std::string_view> kCreateOnly = {"casesensitivity", "normalization", "utf8only"};
const std::set<std::string_view> kReadonly = {
    "type", "creation", "used", "available", "avail", "referenced", "refer", "compressratio", "ratio",
    "mounted", "origin", "usedbysnapshots", "usedbydataset", "usedbychildren", "usedbyrefreservation",
    "createtxg", "guid", "refcompressratio", "defer_destroy", "userrefs", "version", "name"};

const Settable* find_settable(std::string_view name) {
  for (const Settable& s : kSettable)
    if (s.name == name) return &s;
  return nullptr;
}

// zfs's user property names: "module:name", lower-case letters, digits and "-_.:".
bool valid_user_name(const std::string& name) {
  if (name.find(':') == std::string::npos || name.size() >= kMaxPropName) return false;
  for (char c : name)
    if (!std::islower(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c)) &&
        c != '-' && c != '_' && c != '.' && c != ':')
      return false;
  return true;
}

bool is_size_prop(std::string_view n) {
  return n == "quota" || n == "reservation" || n == "refquota" || n == "refreservation";
}

Error too_old() {
  return Error(ENOTSUP, "pool and or dataset must be upgraded to set this property or value");
}

Result<PropSetting> parse_number(const Settable& s, const std::string& value, uint64_t version) {
  PropSetting out{std::string(s.name), 0, ""};
  if (is_size_prop(s.name) && value == "none") return out;
  auto n = parse_size_value(value);
  if (!n) return make_error(EINVAL, "bad numeric value '{}'", value);
  if (s.name == "recordsize" && (*n < 512 || *n > 128 * 1024 || (*n & (*n - 1)) != 0))
    return make_error(EINVAL, "'recordsize' must be power of 2 from 512 to 128k");
  if ((s.name == "quota" || s.name == "refquota") && *n == 0)
    return make_error(EINVAL, "use 'none' to disable quota/refquota");
  if ((s.name == "refquota" || s.name == "refreservation") && version < kVersionRefquota) return too_old();
  out.number = *n;
  return out;
}

Result<PropSetting> parse_index(const Settable& s, const std::string& value, uint64_t version, bool lz4) {
  auto it = std::find_if(s.choices.begin(), s.choices.end(), [&](const auto& c) { return c.first == value; });
  // Legacy pools do not know lz4 at all; feature pools need lz4_compress enabled.
  if (it == s.choices.end() || (value == "lz4" && version <= 28))
    return make_error(EINVAL, "'{}' must be one of '{}'", s.name, s.choice_text);
  const uint64_t v = it->second;
  if (s.name == "copies" && v > 1 && version < kVersionDitto) return too_old();
  if (s.name == "compression") {
    if (v >= 5 && v <= 13 && version < kVersionGzip) return too_old();
    if (v == 14 && version < kVersionZle) return too_old();
    if (v == 15 && !lz4) return too_old();
  }
  if (s.name == "dedup" && version < kVersionDedup) return too_old();
  return PropSetting{std::string(s.name), v, ""};
}

Result<PropSetting> parse_string(const Settable& s, const std::string& value) {
  if (s.name == "mountpoint" && value != "none" && value != "legacy") {
    if (value.empty() || value[0] != '/')
      return make_error(EINVAL, "'mountpoint' must be an absolute path, 'none', or 'legacy'");
    // zfs drops a trailing slash ("/data/" mounts at "/data").
    std::string path = value;
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    return PropSetting{"mountpoint", std::nullopt, path};
  }
  if (value.size() >= kMaxUserValue) return make_error(EINVAL, "property value '{}' is too long", value);
  return PropSetting{std::string(s.name), std::nullopt, value};
}

// The space a dir's parent sees for it: its used, or its reservation when larger.
uint64_t charged(uint64_t used, uint64_t reserved) { return std::max(used, reserved); }

// What the parent of `dir_obj` can still give it, under every ancestor's quota and the
// pool's free space.
Result<uint64_t> parent_available(const WritableObjset& mos, const DslDirPhys& dir, uint64_t pool_avail) {
  uint64_t avail = pool_avail;
  uint64_t obj = dir.parent_obj;
  for (int depth = 0; obj != 0 && depth < 256; depth++) {
    FZ_TRY(DslDirPhys p, read_dir(mos, obj));
    if (p.quota != 0) avail = std::min(avail, p.quota > p.used_bytes ? p.quota - p.used_bytes : 0);
    obj = p.parent_obj;
  }
  return avail;
}

Status set_quota(WritableObjset& mos, uint64_t dir_obj, DslDirPhys& d, uint64_t quota) {
  if (quota != 0 && (quota < d.reserved || quota < d.used_bytes))
    return make_error(ENOSPC, "size is less than current used or reserved space");
  d.quota = quota;
  return write_dir(mos, dir_obj, d);
}

Status set_reservation(WritableObjset& mos, uint64_t dir_obj, DslDirPhys& d, uint64_t reserved, uint64_t pool_avail) {
  const uint64_t before = charged(d.used_bytes, d.reserved), after = charged(d.used_bytes, reserved);
  if (after > before) {
    FZ_TRY(uint64_t avail, parent_available(mos, d, pool_avail));
    if (after - before > avail || (d.quota != 0 && reserved > d.quota))
      return make_error(ENOSPC, "size is greater than available space");
  }
  d.reserved = reserved;
  FZ_CHECK(write_dir(mos, dir_obj, d));
  if (d.parent_obj == 0 || after == before) return Status::Ok();
  // The parent (and its ancestors, as child space) now count the reservation.
  DirDelta delta;
  delta.used = static_cast<int64_t>(after) - static_cast<int64_t>(before);
  delta.breakdown[kDdUsedChildRsrv] = delta.used;
  return apply_dir_delta(mos, d.parent_obj, delta);
}

}  // namespace

std::map<std::string, PropValue> stored_pool_properties(const DslPool& dp) {
  std::map<std::string, PropValue> out;
  auto od = dp.object_directory();
  if (!od.ok()) return out;
  uint64_t zap = 0;
  for (const ZapEntry& e : *od)
    if (e.name == "pool_props" && !e.ints.empty()) zap = e.ints[0];
  if (zap == 0) return out;
  auto entries = dp.zap_entries(zap);
  if (!entries.ok()) return out;
  static const char* const kFailmode[] = {"wait", "continue", "panic"};
  for (const ZapEntry& e : *entries) {
    if (e.int_size != 8 || e.ints.empty()) continue;  // strings (bootfs, cachefile) not handled here
    const uint64_t v = e.ints[0];
    std::string shown;
    if (e.name == "failmode") shown = v < 3 ? kFailmode[v] : std::to_string(v);
    else if (e.name == "autoreplace" || e.name == "delegation" || e.name == "listsnapshots" || e.name == "autoexpand")
      shown = v ? "on" : "off";
    else continue;
    // A stored value equal to the default shows as the default, as zpool does.
    const uint64_t def = e.name == "delegation" ? 1 : 0;
    out[e.name] = PropValue{shown, v, v == def ? "default" : "local"};
  }
  return out;
}

ZapValue PropSetting::zap_value() const {
  if (number) return ZapValue::u64(*number);
  std::vector<uint8_t> b(str.begin(), str.end());
  b.push_back(0);
  return ZapValue::bytes(b);
}

PropKind property_kind(const std::string& name) {
  if (find_settable(name)) return PropKind::kSettable;
  if (kCreateOnly.count(name)) return PropKind::kCreateOnly;
  if (kReadonly.count(name)) return PropKind::kReadonly;
  if (name.find(':') != std::string::npos) return PropKind::kUser;
  return PropKind::kUnknown;
}

bool property_inheritable(const std::string& name) {
  if (name.find(':') != std::string::npos) return true;
  const Settable* s = find_settable(name);
  return s && s->inherit;
}

std::optional<uint64_t> parse_size_value(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) i++;
  std::string num = s.substr(0, i), suf = s.substr(i);
  if (num.empty() || num == "." || std::count(num.begin(), num.end(), '.') > 1) return std::nullopt;
  for (auto& c : suf) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::string kUnits = "BKMGTPEZ";
  int shift = 0;
  if (!suf.empty()) {
    size_t u = kUnits.find(suf[0]);
    if (u == std::string::npos || suf.size() > 2 || (suf.size() == 2 && (suf[1] != 'B' || suf[0] == 'B')))
      return std::nullopt;
    shift = static_cast<int>(10 * u);
  }
  if (num.find('.') == std::string::npos) {
    if (num.size() > 20) return std::nullopt;
    unsigned long long v = std::stoull(num);
    if (shift >= 64 || (shift > 0 && (v >> (64 - shift)) != 0)) return std::nullopt;
    return static_cast<uint64_t>(v) << shift;
  }
  long double v = std::stold(num) * std::ldexp(1.0L, shift);
  if (v >= 18446744073709551616.0L) return std::nullopt;
  return static_cast<uint64_t>(v);
}

Result<PropSetting> parse_property(const std::string& name, const std::string& value, uint64_t pool_version,
                                   bool lz4) {
  switch (property_kind(name)) {
    case PropKind::kUser:
      if (!valid_user_name(name)) return make_error(EINVAL, "invalid property '{}'", name);
      if (value.size() >= kMaxUserValue) return make_error(EINVAL, "property value '{}' is too long", value);
      return PropSetting{name, std::nullopt, value};
    case PropKind::kCreateOnly:
    case PropKind::kReadonly:
      return make_error(EINVAL, "'{}' is readonly", name);
    case PropKind::kUnknown:
      return make_error(EINVAL, "invalid property '{}'", name);
    case PropKind::kSettable:
      break;
  }
  const Settable& s = *find_settable(name);
  switch (s.kind) {
    case Kind::kIndex: return parse_index(s, value, pool_version, lz4);
    case Kind::kNumber: return parse_number(s, value, pool_version);
    case Kind::kString: return parse_string(s, value);
  }
  return make_error(EINVAL, "invalid property '{}'", name);
}

Status set_dir_property(WritableObjset& mos, uint64_t version, uint64_t dir_obj, const PropSetting& p,
                        uint64_t pool_avail) {
  FZ_TRY(DslDirPhys d, read_dir(mos, dir_obj));
  if (p.name == "quota") FZ_CHECK(set_quota(mos, dir_obj, d, *p.number));
  if (p.name == "reservation") FZ_CHECK(set_reservation(mos, dir_obj, d, *p.number, pool_avail));
  // Before received properties (v22) quota and reservation live in the dsl_dir alone.
  if ((p.name == "quota" || p.name == "reservation") && version < kVersionRecvdProps) return Status::Ok();
  if (d.props_zapobj == 0) return make_error(EIO, "dsl_dir {} has no property object", dir_obj);
  if (version >= kVersionRecvdProps) FZ_CHECK(mos_zap_remove(mos, d.props_zapobj, p.name + "$inherit"));
  return mos_zap_update(mos, d.props_zapobj, p.name, p.zap_value());
}

Status inherit_dir_property(WritableObjset& mos, uint64_t version, uint64_t dir_obj, const std::string& name) {
  FZ_TRY(DslDirPhys d, read_dir(mos, dir_obj));
  if (d.props_zapobj == 0) return Status::Ok();
  FZ_CHECK(mos_zap_remove(mos, d.props_zapobj, name));
  if (version < kVersionRecvdProps) return Status::Ok();
  // Over a received value, inheriting is itself a setting: "P$inherit" records it.
  FZ_TRY(auto recvd, mos_zap_lookup(mos, d.props_zapobj, "$hasrecvd"));
  if (recvd) return mos_zap_update(mos, d.props_zapobj, name + "$inherit", ZapValue::u64(0));
  return Status::Ok();
}

Status check_quota(const WritableObjset& mos, uint64_t ds_obj, uint64_t bytes) {
  FZ_TRY(DslDatasetPhys ds, read_dataset(mos, ds_obj));
  uint64_t obj = ds.dir_obj, grow = bytes;
  for (int depth = 0; obj != 0 && grow != 0; depth++) {
    if (depth > 256) return make_error(EIO, "dsl_dir {}: parent chain too long", ds.dir_obj);
    FZ_TRY(DslDirPhys d, read_dir(mos, obj));
    if (d.quota != 0 && d.used_bytes + grow > d.quota) return make_error(EDQUOT, "disk quota exceeded");
    // A reservation already charged the parent for growth up to it.
    grow = charged(d.used_bytes + grow, d.reserved) - charged(d.used_bytes, d.reserved);
    obj = d.parent_obj;
  }
  return Status::Ok();
}

}  // namespace fzfs
