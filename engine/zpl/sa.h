// System attributes (SA): how a ZPL file's metadata (mode, size, times, symlink
// target, xattrs...) is packed into its dnode's bonus buffer and spill block.
//
// The dataset's SA master node ZAP (the ZPL master node's "SA_ATTRS" entry) names two
// ZAPs:
//   "REGISTRY": attribute name -> u64, packed as
//        63            40 39        24 23     16 15          0
//       +----------------+------------+---------+-------------+
//       |     unused     |   length   | bswap   | attr number |
//       +----------------+------------+---------+-------------+
//     length 0 = variable (the buffer's header carries it); bswap = how to swap the
//     value in a foreign-order buffer (0 u64 words, 1 u32, 2 u16, 3 bytes, 4 ACL).
//   "LAYOUTS": layout number as a decimal string -> array of u16 attr numbers.
// Attributes 0..15 are the legacy ZPL set (ZPL_ATIME ... ZPL_ZNODE_ACL) with fixed
// numbers even when the registry does not list them; layout 0 is the old znode_phys
// (all 16, no header) and layout 1 is the empty layout.
//
// An SA buffer (bonus or spill):
//
//   0        4          6                          hdr_size (multiple of 8)
//   +--------+----------+--------------------------+---------------------------+
//   | magic  | layout   | u16 lengths of the       | attr values in layout     |
//   | 0x2F505A | info   | variable-size attrs, in  | order, each starting on   |
//   |  u32   |  u16     | layout order             | an 8-byte boundary        |
//   +--------+----------+--------------------------+---------------------------+
//   layout info: bits 0-9 layout number, bits 10-15 header size / 8.
//   hdr_size = roundup8(6 + 2 * number of variable-size attrs in the layout).
//
// The magic tells the writer's byte order; values of a foreign buffer are swapped per
// their registry bswap kind, except ACL values (kind 4), which are left as stored for
// the ACL code, since their layout is entry-by-entry.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/util/status.h"
#include "engine/zap/zap.h"

namespace fzfs {

inline constexpr uint32_t kSaMagic = 0x2F505A;

enum SaBswap : uint8_t {
  kSaBswapU64 = 0,
  kSaBswapU32 = 1,
  kSaBswapU16 = 2,
  kSaBswapU8 = 3,
  kSaBswapAcl = 4,
};

struct SaAttrDef {
  uint16_t num = 0;
  std::string name;
  uint16_t length = 0;  // 0: variable, length in the buffer header
  uint8_t bswap = kSaBswapU8;
};

class SaRegistry {
 public:
  // The legacy ZPL attributes and layouts 0 and 1 only (a pool without registry).
  static SaRegistry legacy();
  // From the entries of the REGISTRY and LAYOUTS ZAPs (empty when a ZAP is absent).
  static Result<SaRegistry> from_entries(const std::vector<ZapEntry>& registry,
                                         const std::vector<ZapEntry>& layouts);
  // Same, reading the ZAPs; either may be null.
  static Result<SaRegistry> from_zaps(const ZapReader* registry, const ZapReader* layouts);

  const SaAttrDef* attr(uint16_t num) const;
  const SaAttrDef* find(std::string_view name) const;
  const std::vector<uint16_t>* layout(uint64_t num) const;
  // Layouts 0 and 1 are the legacy ones; a writer picks from 2 up.
  static constexpr uint64_t kFirstWriterLayout = 2;
  // The writer layout (>= 2) listing exactly ATTRS in this order, if one is registered.
  std::optional<uint64_t> find_layout(const std::vector<uint16_t>& attrs) const;
  // The lowest writer layout number not yet registered.
  uint64_t free_layout_number() const;
  // Records a layout the writer just registered in the pool's LAYOUTS ZAP.
  void add_layout(uint64_t num, std::vector<uint16_t> attrs) { layouts_[num] = std::move(attrs); }

 private:
  std::map<uint16_t, SaAttrDef> attrs_;
  std::map<uint64_t, std::vector<uint16_t>> layouts_;
};

struct SaAttr {
  uint16_t num = 0;
  std::string name;
  uint8_t bswap = kSaBswapU8;
  std::vector<uint8_t> bytes;  // host order, except ACL values of a foreign buffer
};

class SaAttrs {
 public:
  SaAttrs() = default;
  SaAttrs(std::vector<SaAttr> attrs, bool foreign) : attrs_(std::move(attrs)), foreign_(foreign) {}

  const std::vector<SaAttr>& all() const { return attrs_; }
  // True when the buffer was written in the other byte order (ACL values unswapped).
  bool foreign() const { return foreign_; }
  const SaAttr* find(std::string_view name) const;
  // The first u64 of an attribute (ZPL_MODE, ZPL_SIZE...); ENOENT when absent.
  Result<uint64_t> u64(std::string_view name) const;
  // All u64 words of an attribute (ZPL_MTIME is {seconds, nanoseconds}).
  Result<std::vector<uint64_t>> u64_array(std::string_view name) const;

 private:
  std::vector<SaAttr> attrs_;
  bool foreign_ = false;
};

// Parses an SA bonus buffer or spill block (objects whose bonus type is DMU_OT_SA).
// The byte order is read from the magic, as ZFS does.
Result<SaAttrs> parse_sa(std::span<const uint8_t> buf, const SaRegistry& reg);

// Parses an old-style znode_phys bonus buffer (bonus type DMU_OT_ZNODE): layout 0 with
// no header; foreign says the dnode was written in the other byte order.
Result<SaAttrs> parse_legacy_znode(std::span<const uint8_t> buf, bool foreign, const SaRegistry& reg);

}  // namespace fzfs
