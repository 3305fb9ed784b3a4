#include "engine/zpl/sa.h"

#include <charconv>

#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

struct LegacyAttr {
  const char* name;
  uint16_t length;
  uint8_t bswap;
};

// The fixed legacy ZPL attributes 0..15, in number order (the fields of znode_phys).
constexpr LegacyAttr kLegacy[] = {
    {"ZPL_ATIME", 16, kSaBswapU64},  {"ZPL_MTIME", 16, kSaBswapU64},
    {"ZPL_CTIME", 16, kSaBswapU64},  {"ZPL_CRTIME", 16, kSaBswapU64},
    {"ZPL_GEN", 8, kSaBswapU64},     {"ZPL_MODE", 8, kSaBswapU64},
    {"ZPL_SIZE", 8, kSaBswapU64},    {"ZPL_PARENT", 8, kSaBswapU64},
    {"ZPL_LINKS", 8, kSaBswapU64},   {"ZPL_XATTR", 8, kSaBswapU64},
    {"ZPL_RDEV", 8, kSaBswapU64},    {"ZPL_FLAGS", 8, kSaBswapU64},
    {"ZPL_UID", 8, kSaBswapU64},     {"ZPL_GID", 8, kSaBswapU64},
    {"ZPL_PAD", 32, kSaBswapU64},    {"ZPL_ZNODE_ACL", 88, kSaBswapU8},
};
constexpr uint16_t kLegacyCount = sizeof(kLegacy) / sizeof(kLegacy[0]);
constexpr uint64_t kLegacyLayout = 0;
constexpr uint64_t kEmptyLayout = 1;

uint64_t roundup8(uint64_t x) { return (x + 7) & ~uint64_t{7}; }

void swap_value(std::vector<uint8_t>& v, uint8_t kind) {
  auto* p = v.data();
  size_t n = v.size();
  switch (kind) {
    case kSaBswapU64: bswap_u64_array(p, n); break;
    case kSaBswapU32: bswap_u32_array(p, n); break;
    case kSaBswapU16:
      for (size_t i = 0; i + 2 <= n; i += 2) store<uint16_t>(p + i, bswap(load<uint16_t>(p + i)));
      break;
    default: break;  // bytes need nothing; ACLs are swapped by their own parser
  }
}

// Reads the attributes of a layout laid out from data_off on; var_len(i) gives the
// length of the i-th variable-size attribute.
template <typename VarLen>
Result<std::vector<SaAttr>> read_attrs(std::span<const uint8_t> buf, const SaRegistry& reg,
                                       uint64_t layout_num, const std::vector<uint16_t>& layout,
                                       uint64_t data_off, bool swap, VarLen var_len) {
  std::vector<SaAttr> out;
  uint64_t off = data_off;
  size_t var_idx = 0;
  for (uint16_t num : layout) {
    const SaAttrDef* def = reg.attr(num);
    if (def == nullptr)
      return make_error(EIO, "SA layout {} names unregistered attribute {}", layout_num, num);
    if (def->bswap > kSaBswapAcl)
      return make_error(EIO, "SA attribute {} has unknown byteswap kind {}", def->name, def->bswap);
    uint64_t len = def->length != 0 ? def->length : var_len(var_idx++);
    if (off > buf.size() || len > buf.size() - off)
      return make_error(EIO, "SA attribute {} at offset {} length {} overruns the {}-byte buffer",
                        def->name, off, len, buf.size());
    SaAttr a{num, def->name, def->bswap, std::vector<uint8_t>(buf.begin() + off, buf.begin() + off + len)};
    if (swap) swap_value(a.bytes, a.bswap);
    out.push_back(std::move(a));
    off = roundup8(off + len);
  }
  return out;
}

}  // namespace

SaRegistry SaRegistry::legacy() {
  SaRegistry r;
  std::vector<uint16_t> all;
  for (uint16_t i = 0; i < kLegacyCount; i++) {
    r.attrs_[i] = SaAttrDef{i, kLegacy[i].name, kLegacy[i].length, kLegacy[i].bswap};
    all.push_back(i);
  }
  r.layouts_[kLegacyLayout] = all;
  r.layouts_[kEmptyLayout] = {};
  return r;
}

Result<SaRegistry> SaRegistry::from_entries(const std::vector<ZapEntry>& registry,
                                            const std::vector<ZapEntry>& layouts) {
  SaRegistry r;
  for (const ZapEntry& e : registry) {
    if (e.int_size != 8 || e.num_ints != 1 || e.ints.size() != 1)
      return make_error(EIO, "SA registry entry {}: expected one u64, got {} x {} bytes", e.name,
                        e.num_ints, e.int_size);
    uint64_t v = e.ints[0];
    uint16_t num = v & 0xFFFF;
    // The first name listed for a number wins, as in ZFS's table setup.
    r.attrs_.try_emplace(num, SaAttrDef{num, e.name, uint16_t((v >> 24) & 0xFFFF), uint8_t((v >> 16) & 0xFF)});
  }
  // Legacy numbers not claimed by the registry keep their built-in meaning.
  SaRegistry legacy = SaRegistry::legacy();
  for (auto& [num, def] : legacy.attrs_) r.attrs_.try_emplace(num, def);
  for (const ZapEntry& e : layouts) {
    uint64_t num = 0;
    auto [end, ec] = std::from_chars(e.name.data(), e.name.data() + e.name.size(), num);
    if (ec != std::errc() || end != e.name.data() + e.name.size() || e.name.empty())
      return make_error(EIO, "SA layouts: entry name \"{}\" is not a layout number", e.name);
    if (e.int_size > 2)
      return make_error(EIO, "SA layout {}: attributes stored as {}-byte integers", num, e.int_size);
    std::vector<uint16_t> attrs;
    if (e.int_size == 1) attrs.assign(e.bytes.begin(), e.bytes.end());
    else attrs.assign(e.ints.begin(), e.ints.end());
    r.layouts_[num] = std::move(attrs);
  }
  for (auto& [num, attrs] : legacy.layouts_) r.layouts_.try_emplace(num, attrs);
  return r;
}

Result<SaRegistry> SaRegistry::from_zaps(const ZapReader* registry, const ZapReader* layouts) {
  std::vector<ZapEntry> reg, lay;
  if (registry != nullptr) {
    auto all = registry->list_all();
    if (!all.ok()) return std::move(all.error()).context("SA registry");
    reg = std::move(*all);
  }
  if (layouts != nullptr) {
    auto all = layouts->list_all();
    if (!all.ok()) return std::move(all.error()).context("SA layouts");
    lay = std::move(*all);
  }
  return from_entries(reg, lay);
}

const SaAttrDef* SaRegistry::attr(uint16_t num) const {
  auto it = attrs_.find(num);
  return it == attrs_.end() ? nullptr : &it->second;
}

const SaAttrDef* SaRegistry::find(std::string_view name) const {
  for (auto& [num, def] : attrs_)
    if (def.name == name) return &def;
  return nullptr;
}

const std::vector<uint16_t>* SaRegistry::layout(uint64_t num) const {
  auto it = layouts_.find(num);
  return it == layouts_.end() ? nullptr : &it->second;
}

std::optional<uint64_t> SaRegistry::find_layout(const std::vector<uint16_t>& attrs) const {
  for (auto it = layouts_.lower_bound(kFirstWriterLayout); it != layouts_.end(); ++it)
    if (it->second == attrs) return it->first;
  return std::nullopt;
}

uint64_t SaRegistry::free_layout_number() const {
  uint64_t num = kFirstWriterLayout;
  for (auto it = layouts_.lower_bound(num); it != layouts_.end() && it->first == num; ++it) num++;
  return num;
}

const SaAttr* SaAttrs::find(std::string_view name) const {
  for (const SaAttr& a : attrs_)
    if (a.name == name) return &a;
  return nullptr;
}

Result<std::vector<uint64_t>> SaAttrs::u64_array(std::string_view name) const {
  const SaAttr* a = find(name);
  if (a == nullptr) return make_error(ENOENT, "SA attribute {} absent", name);
  if (a->bytes.size() % 8 != 0)
    return make_error(EIO, "SA attribute {} is {} bytes, not u64 words", name, a->bytes.size());
  std::vector<uint64_t> out(a->bytes.size() / 8);
  for (size_t i = 0; i < out.size(); i++) out[i] = load<uint64_t>(&a->bytes[8 * i]);
  return out;
}

Result<uint64_t> SaAttrs::u64(std::string_view name) const {
  FZ_TRY(auto words, u64_array(name));
  if (words.empty()) return make_error(EIO, "SA attribute {} is empty", name);
  return words[0];
}

Result<SaAttrs> parse_sa(std::span<const uint8_t> buf, const SaRegistry& reg) {
  if (buf.size() < 8) return make_error(EIO, "SA buffer of {} bytes has no header", buf.size());
  uint32_t magic = load<uint32_t>(buf.data());
  uint16_t info = load<uint16_t>(buf.data() + 4);
  bool swap;
  if (magic == kSaMagic) {
    swap = false;
  } else if (bswap(magic) == kSaMagic) {
    swap = true;
    info = bswap(info);
  } else if (magic == 0 && info == 0) {
    return SaAttrs();  // a new object that has no attributes yet
  } else {
    return make_error(EIO, "SA buffer: bad magic {:#x}", magic);
  }
  // Layout 0 means "none yet" in an SA buffer; it maps to the empty layout 1.
  uint64_t layout_num = info & 0x3FF;
  if (layout_num == kLegacyLayout) layout_num = kEmptyLayout;
  uint64_t hdr_size = uint64_t(info >> 10) * 8;
  const std::vector<uint16_t>* layout = reg.layout(layout_num);
  if (layout == nullptr) return make_error(EIO, "SA buffer: unknown layout {}", layout_num);
  uint64_t nvar = 0;
  for (uint16_t num : *layout) {
    const SaAttrDef* def = reg.attr(num);
    if (def != nullptr && def->length == 0) nvar++;
  }
  uint64_t want_hdr = roundup8(6 + 2 * nvar);
  if (hdr_size != want_hdr || hdr_size > buf.size())
    return make_error(EIO, "SA buffer: header size {} but layout {} needs {} (buffer {} bytes)",
                      hdr_size, layout_num, want_hdr, buf.size());
  auto var_len = [&](size_t i) -> uint64_t {
    uint16_t v = load<uint16_t>(buf.data() + 6 + 2 * i);  // inside the checked header
    return swap ? bswap(v) : v;
  };
  FZ_TRY(auto attrs, read_attrs(buf, reg, layout_num, *layout, hdr_size, swap, var_len));
  return SaAttrs(std::move(attrs), swap);
}

Result<SaAttrs> parse_legacy_znode(std::span<const uint8_t> buf, bool foreign, const SaRegistry& reg) {
  const std::vector<uint16_t>* layout = reg.layout(kLegacyLayout);
  if (layout == nullptr) return make_error(EIO, "SA: no legacy znode layout");
  auto no_var = [](size_t) -> uint64_t { return ~uint64_t{0}; };  // fails the bounds check
  FZ_TRY(auto attrs, read_attrs(buf, reg, kLegacyLayout, *layout, 0, foreign, no_var));
  return SaAttrs(std::move(attrs), foreign);
}

}  // namespace fzfs
