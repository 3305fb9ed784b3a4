#include "engine/zpl/znode.h"

#include <sys/stat.h>

#include <cstring>

#include "engine/dmu/dmu_types.h"
#include "engine/util/byteorder.h"
#include "engine/zio/blkptr.h"

namespace fzfs {
namespace {

// ACE types, flags and access-mask bits of the trivial ACL.
constexpr uint16_t kAceAllow = 0, kAceDeny = 1;
constexpr uint16_t kAceOwner = 0x1000, kAceGroup = 0x2040, kAceEveryone = 0x4000;
constexpr uint32_t kRead = 0x1, kWrite = 0x2 | 0x4, kExecute = 0x20;
constexpr uint32_t kOwnerOnly = 0x000c0110;     // WRITE_ACL|WRITE_OWNER|WRITE_ATTRIBUTES|WRITE_NAMED_ATTRS
constexpr uint32_t kEveryoneRead = 0x00120088;  // SYNCHRONIZE|READ_ACL|READ_ATTRIBUTES|READ_NAMED_ATTRS

uint32_t rwx_mask(uint64_t bits) {  // bits: r=4 w=2 x=1
  return ((bits & 4) ? kRead : 0) | ((bits & 2) ? kWrite : 0) | ((bits & 1) ? kExecute : 0);
}

void put_ace(std::vector<uint8_t>& out, uint16_t type, uint16_t flags, uint32_t mask) {
  uint8_t b[8];
  store<uint16_t>(b, type);
  store<uint16_t>(b + 2, flags);
  store<uint32_t>(b + 4, mask);
  out.insert(out.end(), b, b + 8);
}

uint64_t u64_of(const std::vector<uint8_t>& b) { return b.size() >= 8 ? load<uint64_t>(b.data()) : 0; }
Timespec ts_of(const std::vector<uint8_t>& b) {
  if (b.size() < 16) return {};
  return Timespec{static_cast<int64_t>(load<uint64_t>(b.data())), static_cast<int64_t>(load<uint64_t>(b.data() + 8))};
}
std::vector<uint8_t> u64_bytes(uint64_t v) {
  std::vector<uint8_t> b(8);
  store<uint64_t>(b.data(), v);
  return b;
}
std::vector<uint8_t> ts_bytes(const Timespec& t) {
  std::vector<uint8_t> b(16);
  store<uint64_t>(b.data(), static_cast<uint64_t>(t.sec));
  store<uint64_t>(b.data() + 8, static_cast<uint64_t>(t.nsec));
  return b;
}

uint64_t roundup8(uint64_t v) { return (v + 7) & ~uint64_t{7}; }

// The bytes of one named attribute of z (nullopt: not modelled, look in z.other).
std::optional<std::vector<uint8_t>> attr_bytes(const ZnodeAttrs& z, std::string_view name) {
  if (name == "ZPL_ATIME") return ts_bytes(z.atime);
  if (name == "ZPL_MTIME") return ts_bytes(z.mtime);
  if (name == "ZPL_CTIME") return ts_bytes(z.ctime);
  if (name == "ZPL_CRTIME") return ts_bytes(z.crtime);
  if (name == "ZPL_GEN") return u64_bytes(z.gen);
  if (name == "ZPL_MODE") return u64_bytes(z.mode);
  if (name == "ZPL_SIZE") return u64_bytes(z.size);
  if (name == "ZPL_PARENT") return u64_bytes(z.parent);
  if (name == "ZPL_LINKS") return u64_bytes(z.links);
  if (name == "ZPL_XATTR") return u64_bytes(z.xattr);
  if (name == "ZPL_RDEV") return u64_bytes(z.rdev);
  if (name == "ZPL_FLAGS") return u64_bytes(z.flags);
  if (name == "ZPL_UID") return u64_bytes(z.uid);
  if (name == "ZPL_GID") return u64_bytes(z.gid);
  if (name == "ZPL_DACL_COUNT") return u64_bytes(z.ace_count);
  if (name == "ZPL_DACL_ACES") return z.aces;
  if (name == "ZPL_SYMLINK") return std::vector<uint8_t>(z.symlink.begin(), z.symlink.end());
  return std::nullopt;
}

}  // namespace

std::vector<uint8_t> trivial_aces(uint64_t mode) {
  const uint64_t owner = (mode >> 6) & 7, group = (mode >> 3) & 7, other = mode & 7;
  std::vector<uint8_t> out;
  put_ace(out, kAceDeny, kAceOwner, rwx_mask(~owner & 7));
  put_ace(out, kAceAllow, kAceOwner, rwx_mask(owner) | kOwnerOnly);
  put_ace(out, kAceDeny, kAceGroup, rwx_mask(~group & 7));
  put_ace(out, kAceAllow, kAceGroup, rwx_mask(group));
  put_ace(out, kAceDeny, kAceEveryone, rwx_mask(~other & 7) | kOwnerOnly);
  put_ace(out, kAceAllow, kAceEveryone, rwx_mask(other) | kEveryoneRead);
  return out;
}

ZnodeAttrs ZnodeAttrs::from_sa(const SaAttrs& sa) {
  ZnodeAttrs z;
  for (const SaAttr& a : sa.all()) {
    const std::string& n = a.name;
    if (n == "ZPL_ATIME") z.atime = ts_of(a.bytes);
    else if (n == "ZPL_MTIME") z.mtime = ts_of(a.bytes);
    else if (n == "ZPL_CTIME") z.ctime = ts_of(a.bytes);
    else if (n == "ZPL_CRTIME") z.crtime = ts_of(a.bytes);
    else if (n == "ZPL_GEN") z.gen = u64_of(a.bytes);
    else if (n == "ZPL_MODE") z.mode = u64_of(a.bytes);
    else if (n == "ZPL_SIZE") z.size = u64_of(a.bytes);
    else if (n == "ZPL_PARENT") z.parent = u64_of(a.bytes);
    else if (n == "ZPL_LINKS") z.links = u64_of(a.bytes);
    else if (n == "ZPL_XATTR") z.xattr = u64_of(a.bytes);
    else if (n == "ZPL_RDEV") z.rdev = u64_of(a.bytes);
    else if (n == "ZPL_FLAGS") z.flags = u64_of(a.bytes);
    else if (n == "ZPL_UID") z.uid = u64_of(a.bytes);
    else if (n == "ZPL_GID") z.gid = u64_of(a.bytes);
    else if (n == "ZPL_DACL_COUNT") z.ace_count = u64_of(a.bytes);
    else if (n == "ZPL_DACL_ACES") z.aces = a.bytes;
    else if (n == "ZPL_SYMLINK") z.symlink.assign(a.bytes.begin(), a.bytes.end());
    else if (n == "ZPL_ZNODE_ACL" && a.bytes.size() >= 16) {
      // Old layout: extern_obj u64, size u32, version u16, count u16, then the ACEs.
      z.acl_extern_obj = load<uint64_t>(a.bytes.data());
      uint32_t size = load<uint32_t>(a.bytes.data() + 8);
      z.ace_count = load<uint16_t>(a.bytes.data() + 14);
      if (z.acl_extern_obj == 0) z.aces.assign(a.bytes.begin() + 16, a.bytes.begin() + 16 + std::min<size_t>(size, a.bytes.size() - 16));
    } else if (n != "ZPL_PAD" && n != "ZPL_ZNODE_ACL") {
      z.other[n] = a.bytes;
    }
  }
  return z;
}

std::vector<uint8_t> encode_legacy_znode(const ZnodeAttrs& z) {
  std::vector<uint8_t> b(kLegacyZnodeBytes, 0);
  auto put_ts = [&](size_t off, const Timespec& t) {
    store<uint64_t>(b.data() + off, static_cast<uint64_t>(t.sec));
    store<uint64_t>(b.data() + off + 8, static_cast<uint64_t>(t.nsec));
  };
  put_ts(0, z.atime);
  put_ts(16, z.mtime);
  put_ts(32, z.ctime);
  put_ts(48, z.crtime);
  const uint64_t fields[] = {z.gen, z.mode, z.size, z.parent, z.links, z.xattr, z.rdev, z.flags, z.uid, z.gid};
  for (size_t i = 0; i < std::size(fields); i++) store<uint64_t>(b.data() + 64 + 8 * i, fields[i]);
  auto zap = z.other.find("ZPL_ZAP");
  if (zap != z.other.end()) store<uint64_t>(b.data() + 144, u64_of(zap->second));
  // znode_acl_phys: FUID-style ACEs inline when they fit, else the extern object stays.
  uint8_t* acl = b.data() + kLegacyAclOffset;
  store<uint64_t>(acl, z.acl_extern_obj);
  const size_t inline_room = kLegacyZnodeBytes - kLegacyAclOffset - 16;
  const size_t n = z.acl_extern_obj ? 0 : std::min(z.aces.size(), inline_room);
  store<uint32_t>(acl + 8, static_cast<uint32_t>(z.acl_extern_obj ? z.aces.size() : n));
  store<uint16_t>(acl + 12, 1);  // ZFS_ACL_VERSION_FUID
  store<uint16_t>(acl + 14, static_cast<uint16_t>(z.ace_count));
  if (n) std::memcpy(acl + 16, z.aces.data(), n);
  if (!z.symlink.empty() && z.symlink.size() <= kLegacyInlineSymlinkMax) b.insert(b.end(), z.symlink.begin(), z.symlink.end());
  return b;
}

namespace {

// The bytes attribute `def` takes in z's SA buffer (fixed sizes cut or zero-padded).
std::vector<uint8_t> sa_value(const ZnodeAttrs& z, const SaAttrDef& def) {
  std::vector<uint8_t> v;
  if (auto known = attr_bytes(z, def.name)) {
    v = std::move(*known);
  } else if (auto it = z.other.find(def.name); it != z.other.end()) {
    v = it->second;
  }
  if (def.length != 0) v.resize(def.length, 0);
  return v;
}

}  // namespace

Result<std::vector<uint8_t>> encode_sa_znode(const ZnodeAttrs& z, const SaRegistry& reg, uint64_t layout,
                                             size_t max_bytes) {
  const std::vector<uint16_t>* attrs = reg.layout(layout);
  if (!attrs) return make_error(EINVAL, "SA layout {} is not registered", layout);
  std::vector<std::vector<uint8_t>> values;
  std::vector<uint16_t> var_lens;
  for (uint16_t num : *attrs) {
    const SaAttrDef* def = reg.attr(num);
    if (!def) return make_error(EIO, "SA layout {} names unregistered attribute {}", layout, num);
    values.push_back(sa_value(z, *def));
    if (def->length == 0) {
      if (values.back().size() > UINT16_MAX)
        return make_error(EFBIG, "SA attribute {} of {} bytes is too long", def->name, values.back().size());
      var_lens.push_back(static_cast<uint16_t>(values.back().size()));
    }
  }
  const uint64_t hdr = roundup8(6 + 2 * var_lens.size());
  std::vector<uint8_t> out(hdr, 0);
  store<uint32_t>(out.data(), kSaMagic);
  store<uint16_t>(out.data() + 4, static_cast<uint16_t>((layout & 0x3FF) | ((hdr / 8) << 10)));
  for (size_t i = 0; i < var_lens.size(); i++) store<uint16_t>(out.data() + 6 + 2 * i, var_lens[i]);
  for (const auto& v : values) {
    out.insert(out.end(), v.begin(), v.end());
    out.resize(roundup8(out.size()), 0);
  }
  if (out.size() > max_bytes)
    return make_error(EOVERFLOW, "system attributes of {} bytes exceed the {}-byte buffer", out.size(), max_bytes);
  return out;
}

Result<SaSplit> split_sa_znode(const ZnodeAttrs& z, const SaRegistry& reg, const std::vector<uint16_t>& attrs,
                               size_t bonus_room) {
  struct Sized {
    uint64_t len;
    bool var;
  };
  std::vector<Sized> sizes;
  for (uint16_t num : attrs) {
    const SaAttrDef* def = reg.attr(num);
    if (!def) return make_error(EIO, "SA attribute {} is not registered", num);
    const uint64_t len = def->length != 0 ? def->length : sa_value(z, *def).size();
    if (def->length == 0 && len > UINT16_MAX)
      return make_error(EFBIG, "SA attribute {} of {} bytes is too long", def->name, len);
    sizes.push_back({len, def->length == 0});
  }
  // Bytes an SA buffer of attributes [first, last) needs: the header (magic, layout,
  // one u16 length per variable-size attribute, 8-aligned), then the values, each
  // starting 8-aligned (the last one's tail padding not counted, as ZFS counts).
  auto buffer_bytes = [&](size_t first, size_t last) {
    uint64_t nvar = 0, body = 0;
    for (size_t i = first; i < last; i++) {
      body = roundup8(body) + sizes[i].len;
      nvar += sizes[i].var;
    }
    return roundup8(6 + 2 * nvar) + body;
  };
  SaSplit split;
  if (buffer_bytes(0, attrs.size()) <= bonus_room) {
    split.bonus = attrs;
    return split;
  }
  if (bonus_room < kBlkptrSize) return make_error(EOVERFLOW, "no room for a spill blkptr in a {}-byte bonus", bonus_room);
  size_t keep = 0;
  while (keep < attrs.size() && buffer_bytes(0, keep + 1) <= bonus_room - kBlkptrSize) keep++;
  if (keep == 0) return make_error(EOVERFLOW, "SA attribute {} does not fit in the bonus", attrs[0]);
  const uint64_t spill = buffer_bytes(keep, attrs.size());
  if (spill > kMaxSpillBytes)
    return make_error(EFBIG, "system attributes need a spill block of {} bytes (at most {})", spill, kMaxSpillBytes);
  split.bonus.assign(attrs.begin(), attrs.begin() + static_cast<ptrdiff_t>(keep));
  split.spill.assign(attrs.begin() + static_cast<ptrdiff_t>(keep), attrs.end());
  return split;
}

std::optional<FileOwner> znode_owner(const Dnode& dn) {
  const std::vector<uint8_t>& b = dn.bonus;
  const bool swap = dn.bonus_foreign();
  auto u64_at = [&](size_t off) -> std::optional<uint64_t> {
    if (off + 8 > b.size()) return std::nullopt;
    const uint64_t v = load<uint64_t>(b.data() + off);
    return swap ? bswap(v) : v;
  };
  size_t base = 0;
  if (dn.bonustype == kOtZnode) {
    base = 104;  // znode_phys: uid at 128 and gid at 136, so base + 24 and + 32
  } else if (dn.bonustype == kOtSa) {
    if (b.size() < 8) return std::nullopt;
    const uint32_t magic = load<uint32_t>(b.data());
    if (magic == 0) return FileOwner{};  // an SA znode not filled in yet
    if (magic != kSaMagic && bswap(magic) != kSaMagic) return std::nullopt;
    const uint16_t info = magic == kSaMagic ? load<uint16_t>(b.data() + 4) : bswap(load<uint16_t>(b.data() + 4));
    base = size_t(info >> 10) * 8;  // the header; MODE SIZE GEN then UID at +24, GID at +32
    if (base < 8) return std::nullopt;
  } else {
    return std::nullopt;
  }
  auto uid = u64_at(base + 24), gid = u64_at(base + 32);
  if (!uid || !gid) return std::nullopt;
  return FileOwner{*uid, *gid};
}

}  // namespace fzfs
