#include "engine/dsl/dsl_props.h"

#include <ctime>
#include <string_view>
#include <utility>

#include "engine/checksum/checksum.h"
#include "engine/compress/compress.h"
#include "engine/util/nicenum.h"

namespace fzfs {
namespace {

enum class Kind { kIndex, kNumber, kString };

using IndexTable = std::vector<std::pair<uint64_t, std::string_view>>;

struct PropDef {
  std::string_view name;
  Kind kind;
  uint64_t def_number;         // default for index and number properties
  std::string_view def_string; // default for strings ("" = computed)
  bool inherit;
  bool on_snapshots;           // also shown for snapshots
  const IndexTable* index;
};

const IndexTable kOnOff = {{0, "off"}, {1, "on"}};
const IndexTable kChecksum = {{1, "on"}, {2, "off"}, {6, "fletcher2"}, {7, "fletcher4"}, {8, "sha256"},
                              {10, "noparity"}, {11, "sha512"}, {12, "skein"}, {13, "edonr"}, {14, "blake3"}};
const IndexTable kCompression = {{1, "on"}, {2, "off"}, {3, "lzjb"}, {5, "gzip-1"}, {6, "gzip-2"},
                                 {7, "gzip-3"}, {8, "gzip-4"}, {9, "gzip-5"}, {10, "gzip"}, {11, "gzip-7"},
                                 {12, "gzip-8"}, {13, "gzip-9"}, {14, "zle"}, {15, "lz4"}, {16, "zstd"}};
const IndexTable kDedup = {{1, "on"}, {2, "off"}, {8, "sha256"}, {11, "sha512"}, {12, "skein"}, {13, "edonr"},
                           {14, "blake3"}, {(1ULL << 8) | 1, "verify"}, {(1ULL << 8) | 8, "sha256,verify"}};
const IndexTable kSnapdir = {{0, "hidden"}, {1, "visible"}, {2, "disabled"}};
const IndexTable kAcl = {{0, "discard"}, {1, "noallow"}, {2, "groupmask"}, {3, "passthrough"},
                         {4, "restricted"}, {5, "passthrough-x"}};
const IndexTable kCanmount = {{0, "off"}, {1, "on"}, {2, "noauto"}};
const IndexTable kXattr = {{0, "off"}, {1, "on"}, {2, "sa"}};
const IndexTable kCopies = {{1, "1"}, {2, "2"}, {3, "3"}};
const IndexTable kCache = {{0, "none"}, {1, "metadata"}, {2, "all"}};
const IndexTable kLogbias = {{0, "latency"}, {1, "throughput"}};
const IndexTable kSync = {{0, "standard"}, {1, "always"}, {2, "disabled"}};
const IndexTable kCase = {{0, "sensitive"}, {1, "insensitive"}, {2, "mixed"}};
const IndexTable kNormalize = {{0, "none"}, {0x10, "formD"}, {0x20, "formKC"}, {0x40, "formC"}, {0x50, "formKD"}};

// Settable properties stored in props ZAPs, with their defaults (as in pool version 28
// and the OpenZFS defaults that agree with it).
const PropDef kSettable[] = {
    {"aclinherit", Kind::kIndex, 4, "", true, false, &kAcl},
    {"aclmode", Kind::kIndex, 2, "", true, false, &kAcl},
    {"atime", Kind::kIndex, 1, "", true, false, &kOnOff},
    {"canmount", Kind::kIndex, 1, "", false, false, &kCanmount},
    {"checksum", Kind::kIndex, 1, "", true, false, &kChecksum},
    {"compression", Kind::kIndex, 2, "", true, false, &kCompression},
    {"copies", Kind::kIndex, 1, "", true, false, &kCopies},
    {"dedup", Kind::kIndex, 2, "", true, false, &kDedup},
    {"devices", Kind::kIndex, 1, "", true, true, &kOnOff},
    {"exec", Kind::kIndex, 1, "", true, true, &kOnOff},
    {"logbias", Kind::kIndex, 0, "", true, false, &kLogbias},
    {"mlslabel", Kind::kString, 0, "none", true, true, nullptr},
    {"mountpoint", Kind::kString, 0, "", true, false, nullptr},
    {"nbmand", Kind::kIndex, 0, "", true, true, &kOnOff},
    {"primarycache", Kind::kIndex, 2, "", true, true, &kCache},
    {"readonly", Kind::kIndex, 0, "", true, false, &kOnOff},
    {"recordsize", Kind::kNumber, 128 * 1024, "", true, false, nullptr},
    {"refquota", Kind::kNumber, 0, "", false, false, nullptr},
    {"refreservation", Kind::kNumber, 0, "", false, false, nullptr},
    {"relatime", Kind::kIndex, 1, "", true, false, &kOnOff},  // OpenZFS on Linux's default
    {"secondarycache", Kind::kIndex, 2, "", true, true, &kCache},
    {"setuid", Kind::kIndex, 1, "", true, true, &kOnOff},
    {"sharenfs", Kind::kString, 0, "off", true, false, nullptr},
    {"sharesmb", Kind::kString, 0, "off", true, false, nullptr},
    {"snapdir", Kind::kIndex, 0, "", true, false, &kSnapdir},
    {"sync", Kind::kIndex, 0, "", true, false, &kSync},
    {"vscan", Kind::kIndex, 0, "", true, false, &kOnOff},
    {"xattr", Kind::kIndex, 1, "", true, true, &kXattr},
    {"zoned", Kind::kIndex, 0, "", true, false, &kOnOff},
};

std::string index_name(const IndexTable& t, uint64_t v) {
  // zstd and gzip levels ride in the upper bits of the stored compression value.
  for (const auto& [num, name] : t)
    if (num == v) return std::string(name);
  if (&t == &kCompression && (v & 0x7f) == 16) return "zstd";
  return std::to_string(v);
}

std::string size_or_none(uint64_t v) { return v == 0 ? "none" : nicenum(v); }

std::string format_time(uint64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm;
  localtime_r(&tt, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%a %b %e %H:%M %Y", &tm);
  return buf;
}

uint64_t ratio(uint64_t uncompressed, uint64_t compressed) {
  if (compressed == 0) return 100;
  return uncompressed * 100 / compressed;
}

PropValue number_prop(uint64_t v, std::string_view source = "-") {
  return PropValue{nicenum(v), v, std::string(source)};
}

// The value a props ZAP holds for one entry: a string, or a number.
struct Stored {
  bool is_string = false;
  std::string str;
  uint64_t num = 0;
};

std::map<std::string, Stored> load_props(const DslPool& dp, uint64_t zapobj) {
  std::map<std::string, Stored> out;
  if (zapobj == 0) return out;
  auto entries = dp.zap_entries(zapobj);
  if (!entries.ok()) return out;
  for (const ZapEntry& e : *entries) {
    Stored s;
    if (e.int_size == 1) {
      s.is_string = true;
      s.str.assign(e.bytes.begin(), e.bytes.end());
      while (!s.str.empty() && s.str.back() == '\0') s.str.pop_back();
    } else if (!e.ints.empty()) {
      s.num = e.ints[0];
    } else {
      continue;
    }
    out[e.name] = std::move(s);
  }
  return out;
}

}  // namespace

Result<std::map<std::string, PropValue>> dataset_properties(const DslPool& dp, const DslNode& node,
                                                            uint64_t pool_avail,
                                                            const std::optional<ZplFacts>& zpl) {
  std::map<std::string, PropValue> props;
  const bool snap = node.snapshot;
  const std::string fsname = snap ? node.name.substr(0, node.name.find('@')) : node.name;

  // The chain of (dataset name, props) from this dataset up to the pool's root.
  struct Level {
    std::string name;
    std::map<std::string, Stored> props;
  };
  std::vector<Level> chain;
  {
    std::string name = fsname;
    uint64_t dir_obj = node.dir_obj;
    for (int depth = 0; dir_obj != 0 && depth < 256; depth++) {
      FZ_TRY(DslDirPhys d, dp.dir(dir_obj));
      chain.push_back(Level{name, load_props(dp, d.props_zapobj)});
      dir_obj = d.parent_obj;
      auto slash = name.rfind('/');
      name = slash == std::string::npos ? "" : name.substr(0, slash);
    }
  }
  std::map<std::string, Stored> snap_local = snap ? load_props(dp, node.ds.props_obj) : std::map<std::string, Stored>{};

  // Finds a settable property: (value, level index) or level -1 for none.
  auto resolve = [&](std::string_view name, bool inherit) -> std::pair<const Stored*, int> {
    if (snap) {
      auto it = snap_local.find(std::string(name));
      if (it != snap_local.end()) return {&it->second, -2};
    }
    for (size_t i = 0; i < chain.size(); i++) {
      if (i > 0 && !inherit) break;
      auto it = chain[i].props.find(std::string(name));
      if (it != chain[i].props.end()) return {&it->second, static_cast<int>(i)};
    }
    return {nullptr, -1};
  };
  auto source_of = [&](int level) -> std::string {
    if (level == -2) return "local";
    if (level == -1) return "default";
    if (level == 0 && !snap) return "local";
    return "inherited from " + chain[level].name;
  };

  for (const PropDef& def : kSettable) {
    if (snap && !def.on_snapshots) continue;
    auto [stored, level] = resolve(def.name, def.inherit);
    PropValue v;
    v.source = source_of(level);
    if (def.name == "mountpoint") {
      if (stored && stored->is_string) {
        v.value = stored->str;
        // An inherited path gains the relative name below the ancestor that set it.
        if (level > 0 && !v.value.empty() && v.value[0] == '/') {
          std::string rel = fsname.substr(chain[level].name.size());
          v.value = (v.value == "/" ? "" : v.value) + rel;
        }
      } else {
        v.value = "/" + fsname;
      }
    } else if (def.kind == Kind::kString) {
      v.value = stored && stored->is_string ? stored->str : std::string(def.def_string);
    } else {
      uint64_t n = stored && !stored->is_string ? stored->num : def.def_number;
      v.number = n;
      if (def.kind == Kind::kIndex) v.value = index_name(*def.index, n);
      else if (def.name == "refquota" || def.name == "refreservation") v.value = size_or_none(n);
      else v.value = nicenum(n);
    }
    props[std::string(def.name)] = std::move(v);
  }

  // User properties (module:name): local to this dataset or inherited.
  for (size_t i = snap ? 0 : 0; i < chain.size(); i++) {
    for (const auto& [name, s] : chain[i].props) {
      if (name.find(':') == std::string::npos || !s.is_string || props.count(name)) continue;
      props[name] = PropValue{s.str, std::nullopt, source_of(static_cast<int>(i))};
    }
  }
  for (const auto& [name, s] : snap_local) {
    if (name.find(':') != std::string::npos && s.is_string) props[name] = PropValue{s.str, std::nullopt, "local"};
  }

  // Statistics and identity.
  const char* type = snap ? "snapshot" : node.os_type == ObjsetType::kZvol ? "volume" : "filesystem";
  props["type"] = PropValue{type, std::nullopt, "-"};
  props["creation"] = PropValue{format_time(node.ds.creation_time), node.ds.creation_time, "-"};
  props["referenced"] = number_prop(node.ds.referenced_bytes);
  props["guid"] = PropValue{std::to_string(node.ds.guid), node.ds.guid, "-"};
  props["createtxg"] = PropValue{std::to_string(node.ds.creation_txg), node.ds.creation_txg, "-"};
  props["refcompressratio"] = PropValue{nice_ratio(ratio(node.ds.uncompressed_bytes, node.ds.compressed_bytes)),
                                        ratio(node.ds.uncompressed_bytes, node.ds.compressed_bytes), "-"};
  if (snap) {
    props["used"] = number_prop(node.ds.unique_bytes);
    uint64_t r = ratio(node.ds.uncompressed_bytes, node.ds.compressed_bytes);
    props["compressratio"] = PropValue{nice_ratio(r), r, "-"};
    props["defer_destroy"] = PropValue{(node.ds.flags & (1 << 3)) ? "on" : "off", std::nullopt, "-"};
    props["userrefs"] = PropValue{"0", 0, "-"};
  } else {
    const DslDirPhys& d = node.dir;
    props["used"] = number_prop(d.used_bytes);
    uint64_t r = ratio(d.uncompressed_bytes, d.compressed_bytes);
    props["compressratio"] = PropValue{nice_ratio(r), r, "-"};
    uint64_t avail = pool_avail;
    if (d.quota != 0) avail = d.quota > d.used_bytes ? std::min(avail, d.quota - d.used_bytes) : 0;
    props["available"] = number_prop(avail);
    props["quota"] = PropValue{size_or_none(d.quota), d.quota, d.quota ? "local" : "default"};
    props["reservation"] = PropValue{size_or_none(d.reserved), d.reserved, d.reserved ? "local" : "default"};
    uint64_t by_snap, by_ds, by_child, by_refrsrv;
    if (d.flags & kDdFlagUsedBreakdown) {
      by_ds = d.used_breakdown[kDdUsedHead];
      by_snap = d.used_breakdown[kDdUsedSnap];
      by_child = d.used_breakdown[kDdUsedChild] + d.used_breakdown[kDdUsedChildRsrv];
      by_refrsrv = d.used_breakdown[kDdUsedRefRsrv];
    } else {
      by_ds = node.ds.referenced_bytes;
      by_snap = 0;
      by_child = d.used_bytes > by_ds ? d.used_bytes - by_ds : 0;
      by_refrsrv = 0;
    }
    props["usedbydataset"] = number_prop(by_ds);
    props["usedbysnapshots"] = number_prop(by_snap);
    props["usedbychildren"] = number_prop(by_child);
    props["usedbyrefreservation"] = number_prop(by_refrsrv);
    props["mounted"] = PropValue{"no", std::nullopt, "-"};
    if (!node.origin.empty()) props["origin"] = PropValue{node.origin, std::nullopt, "-"};
  }
  if (zpl) {
    props["version"] = PropValue{std::to_string(zpl->version), zpl->version, snap ? "-" : "-"};
    props["utf8only"] = PropValue{zpl->utf8only ? "on" : "off", zpl->utf8only, "-"};
    props["normalization"] = PropValue{index_name(kNormalize, zpl->normalization), zpl->normalization, "-"};
    props["casesensitivity"] = PropValue{index_name(kCase, zpl->casesensitivity), zpl->casesensitivity, "-"};
  }
  return props;
}

}  // namespace fzfs
