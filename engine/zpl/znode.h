// A znode's attributes as the ZPL changes them, and their two on-disk encodings.
//
// Old layout (ZPL versions 1-4, bonus type ZNODE, 264 bytes; a symlink target of up to
// 56 bytes follows it in the bonus):
//   0 atime[2]  16 mtime[2]  32 ctime[2]  48 crtime[2]  64 gen  72 mode  80 size
//   88 parent  96 links  104 xattr  112 rdev  120 flags  128 uid  136 gid  144 zap
//   152 pad[3]  176 acl: extern_obj u64 | size u32 | version u16 | count u16 | 60 bytes of aces
//
// System attributes (ZPL 5, bonus type SA): a header (magic 0x2F505A, layout number,
// header size, lengths of variable-size attributes) then the attributes in the order
// their layout lists (see sa.h). Layout 2 of a new pool is the one ZFS gives files
// and directories: MODE SIZE GEN UID GID PARENT FLAGS ATIME MTIME CTIME CRTIME LINKS
// DACL_COUNT DACL_ACES (+ RDEV for devices, SYMLINK for symlinks: other layouts).
//
// ACL: every file gets the "trivial" ACL that mirrors its mode, six 8-byte ACEs
// (type u16, flags u16, access mask u32): DENY/ALLOW for owner@, group@, everyone@.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/dmu/dnode.h"
#include "engine/dmu/object_sync.h"
#include "engine/util/status.h"
#include "engine/zpl/filesystem.h"
#include "engine/zpl/sa.h"

namespace fzfs {

// zp_flags bits ZFS sets on what it creates.
inline constexpr uint64_t kZflagAclTrivial = 0x4;
inline constexpr uint64_t kZflagNoExecsDenied = 0x100;
inline constexpr uint64_t kZflagAclAutoInherit = 0x40;
inline constexpr uint64_t kZflagArchive = 0x0000000800000000ULL;
inline constexpr uint64_t kZflagAvModified = 0x0000040000000000ULL;
inline constexpr uint64_t kZflagsNewFile = kZflagAvModified | kZflagArchive | kZflagAclTrivial;

inline constexpr size_t kLegacyZnodeBytes = 264;
inline constexpr size_t kLegacyAclOffset = 176;
inline constexpr size_t kLegacyInlineSymlinkMax = 320 - kLegacyZnodeBytes;  // 56

struct ZnodeAttrs {
  uint64_t mode = 0, uid = 0, gid = 0, size = 0, links = 0, parent = 0, gen = 0;
  uint64_t flags = 0, rdev = 0, xattr = 0;
  Timespec atime, mtime, ctime, crtime;
  // The ACEs (8 bytes each for owner@/group@/everyone@ entries) and how many.
  std::vector<uint8_t> aces;
  uint64_t ace_count = 0;
  uint64_t acl_extern_obj = 0;  // old layout: ACL kept in an object (left as found)
  std::string symlink;          // target, for symlinks whose target lives in the znode
  // SA attributes this model does not name (ZPL_DXATTR, ZPL_PROJID, ...), kept as found.
  std::map<std::string, std::vector<uint8_t>> other;

  // From the parsed attributes of an existing znode (either encoding).
  static ZnodeAttrs from_sa(const SaAttrs& sa);
};

// The six ACEs of the trivial ACL for `mode` (ZFS's chmod rule).
std::vector<uint8_t> trivial_aces(uint64_t mode);

// The old-layout bonus: 264 bytes, plus the symlink target when it fits inline.
std::vector<uint8_t> encode_legacy_znode(const ZnodeAttrs& z);

// An SA buffer for `z` using layout `layout` of `reg` (attribute order and sizes): the
// bonus, or a spill block's contents. EOVERFLOW if it exceeds `max_bytes`.
Result<std::vector<uint8_t>> encode_sa_znode(const ZnodeAttrs& z, const SaRegistry& reg, uint64_t layout,
                                             size_t max_bytes);

// Where the attributes of an SA znode go. When all of `attrs` (in order) fit in the
// bonus they all stay there. Otherwise ZFS's rule: the bonus keeps the longest prefix
// that fits in the room left beside the spill blkptr (bonus_room - 128 bytes), and the
// rest continue, in order, in a spill block of their own layout.
struct SaSplit {
  std::vector<uint16_t> bonus;
  std::vector<uint16_t> spill;  // empty: no spill block
};
inline constexpr size_t kMaxSpillBytes = 128 * 1024;  // SPA_OLD_MAXBLOCKSIZE
Result<SaSplit> split_sa_znode(const ZnodeAttrs& z, const SaRegistry& reg, const std::vector<uint16_t>& attrs,
                               size_t bonus_room);

// Whose space a file system object is, for user/group accounting (ZFS's used callback
// of ZPL objsets): the uid and gid of a znode, read from the old bonus or from an SA
// bonus, where they are always the 4th and 5th attributes (MODE SIZE GEN UID GID...).
// nullopt for objects that are not znodes (bonus of another type, or none).
std::optional<FileOwner> znode_owner(const Dnode& dn);

}  // namespace fzfs
