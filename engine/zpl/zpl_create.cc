#include "engine/zpl/zpl_create.h"

#include <sys/stat.h>

#include <string>
#include <vector>

#include "engine/dmu/dmu_types.h"
#include "engine/zpl/sa.h"
#include "engine/zpl/zap_object.h"
#include "engine/zpl/znode.h"

namespace fzfs {
namespace {

// Every ZPL system attribute a version-5 file system registers, by number.
struct ZplAttr {
  const char* name;
  uint16_t length;  // 0: variable
  uint8_t bswap;
};
constexpr ZplAttr kZplAttrs[] = {
    {"ZPL_ATIME", 16, kSaBswapU64},    {"ZPL_MTIME", 16, kSaBswapU64},  {"ZPL_CTIME", 16, kSaBswapU64},
    {"ZPL_CRTIME", 16, kSaBswapU64},   {"ZPL_GEN", 8, kSaBswapU64},     {"ZPL_MODE", 8, kSaBswapU64},
    {"ZPL_SIZE", 8, kSaBswapU64},      {"ZPL_PARENT", 8, kSaBswapU64},  {"ZPL_LINKS", 8, kSaBswapU64},
    {"ZPL_XATTR", 8, kSaBswapU64},     {"ZPL_RDEV", 8, kSaBswapU64},    {"ZPL_FLAGS", 8, kSaBswapU64},
    {"ZPL_UID", 8, kSaBswapU64},       {"ZPL_GID", 8, kSaBswapU64},     {"ZPL_PAD", 32, kSaBswapU64},
    {"ZPL_ZNODE_ACL", 88, kSaBswapU8}, {"ZPL_DACL_COUNT", 8, kSaBswapU64}, {"ZPL_SYMLINK", 0, kSaBswapU8},
    {"ZPL_SCANSTAMP", 32, kSaBswapU8}, {"ZPL_DACL_ACES", 0, kSaBswapAcl}, {"ZPL_DXATTR", 0, kSaBswapU8},
    {"ZPL_PROJID", 8, kSaBswapU64},
};

// The layout ZFS gives directories and regular files: its number and attributes.
constexpr uint64_t kDirLayout = 2;
const std::vector<uint64_t> kDirLayoutAttrs = {5, 6, 4, 12, 13, 7, 11, 0, 1, 2, 3, 8, 16, 19};

uint64_t registry_value(uint16_t num, const ZplAttr& a) {
  return uint64_t{num} | (uint64_t{a.bswap} << 16) | (uint64_t{a.length} << 24);
}

// zp_flags of a directory zpool/zfs create makes.
constexpr uint64_t kNewDirFlags = kZflagsNewFile | kZflagNoExecsDenied | kZflagAclAutoInherit;

ZnodeAttrs dir_znode(uint64_t obj, uint64_t mode, const ZplCreateParams& p) {
  ZnodeAttrs z;
  z.mode = S_IFDIR | mode;
  z.uid = p.uid;
  z.gid = p.gid;
  z.size = 2;  // "." and ".."
  z.links = 2;
  z.parent = obj;
  z.gen = p.txg;
  z.flags = kNewDirFlags;
  z.atime = z.mtime = z.ctime = z.crtime = p.now;
  z.aces = trivial_aces(mode);
  z.ace_count = z.aces.size() / 8;
  return z;
}

// The registry and layout entries of a new file system, as ZapEntry lists.
struct SaTables {
  std::vector<ZapEntry> registry, layouts;
};

SaTables sa_tables() {
  SaTables t;
  for (uint16_t num = 0; num < std::size(kZplAttrs); num++) {
    ZapEntry e;
    e.name = kZplAttrs[num].name;
    e.ints = {registry_value(num, kZplAttrs[num])};
    t.registry.push_back(std::move(e));
  }
  ZapEntry layout;
  layout.name = std::to_string(kDirLayout);
  layout.int_size = 2;
  layout.num_ints = kDirLayoutAttrs.size();
  layout.ints = kDirLayoutAttrs;
  t.layouts.push_back(std::move(layout));
  return t;
}

// The REGISTRY and LAYOUTS ZAPs, linked from the SA master node.
Status write_sa_tables(WritableObjset& os, uint64_t sa_master, const SaTables& t) {
  FZ_TRY(uint64_t reg_obj, new_zap_object(os, NewZap(kOtSaAttrRegistration)));
  FZ_TRY(uint64_t lay_obj, new_zap_object(os, NewZap(kOtSaAttrLayouts)));
  FZ_CHECK(zap_put(os, sa_master, "REGISTRY", reg_obj));
  FZ_CHECK(zap_put(os, sa_master, "LAYOUTS", lay_obj));
  for (const ZapEntry& e : t.registry) FZ_CHECK(zap_put(os, reg_obj, e.name, e.ints[0]));
  for (const ZapEntry& e : t.layouts) FZ_CHECK(zap_put(os, lay_obj, e.name, ZapValue::array(2, e.ints)));
  return Status::Ok();
}

// A directory object (an empty ZAP) whose znode is `z` in the version's encoding.
Result<uint64_t> create_dir(WritableObjset& os, uint64_t mode, const ZplCreateParams& p, uint64_t normflags,
                            const SaRegistry* sa) {
  const bool use_sa = sa != nullptr;
  NewZap nz(kOtDirectoryContents, use_sa ? uint8_t{kOtSa} : uint8_t{kOtZnode},
            static_cast<uint16_t>(use_sa ? kMaxBonusLen : kLegacyZnodeBytes));
  nz.with_normflags(normflags);
  FZ_TRY(uint64_t obj, new_zap_object(os, nz));
  ZnodeAttrs z = dir_znode(obj, mode, p);
  std::vector<uint8_t> bonus;
  if (use_sa) {
    FZ_TRY(bonus, encode_sa_znode(z, *sa, kDirLayout, kMaxBonusLen));
    bonus.resize(kMaxBonusLen, 0);  // ZFS gives SA znodes the whole bonus area
  } else {
    bonus = encode_legacy_znode(z);
  }
  FZ_CHECK(os.set_bonus(obj, bonus));
  return obj;
}

}  // namespace

uint64_t zpl_version_for_pool(uint64_t spa_version) {
  if (spa_version >= 24) return 5;
  if (spa_version >= 15) return 4;
  if (spa_version >= 9) return 3;
  return 2;
}

Status create_zpl(WritableObjset& os, const ZplCreateParams& p) {
  if (p.zpl_version < 1 || p.zpl_version > kZplVersionSa)
    return make_error(EINVAL, "ZPL version {} is not supported", p.zpl_version);
  const uint64_t master = 1;
  FZ_CHECK(new_zap_object(os, NewZap(kOtMasterNode).at(master)));
  FZ_CHECK(zap_put(os, master, "normalization", p.normalization));
  FZ_CHECK(zap_put(os, master, "utf8only", p.utf8only));
  FZ_CHECK(zap_put(os, master, "casesensitivity", p.casesensitivity));
  FZ_CHECK(zap_put(os, master, "VERSION", p.zpl_version));

  const bool use_sa = p.zpl_version >= kZplVersionSa;
  uint64_t sa_master = 0;
  if (use_sa) {
    FZ_TRY(sa_master, new_zap_object(os, NewZap(kOtSaMasterNode)));
    FZ_CHECK(zap_put(os, master, "SA_ATTRS", sa_master));
  }
  FZ_TRY(uint64_t unlinked, new_zap_object(os, NewZap(kOtUnlinkedSet)));
  FZ_CHECK(zap_put(os, master, "DELETE_QUEUE", unlinked));

  // Directory ZAPs fold case for insensitive file systems (U8_TEXTPREP_TOUPPER).
  const uint64_t normflags = p.normalization | (p.casesensitivity != 0 ? 0x2 : 0);
  if (use_sa) {
    // ZFS registers the attributes when the root znode is first synced, so the tables
    // take the object numbers after the root directory.
    const SaTables tables = sa_tables();
    FZ_TRY(SaRegistry reg, SaRegistry::from_entries(tables.registry, tables.layouts));
    FZ_TRY(uint64_t root, create_dir(os, 0755, p, normflags, &reg));
    FZ_CHECK(zap_put(os, master, "ROOT", root));
    return write_sa_tables(os, sa_master, tables);
  }
  FZ_TRY(uint64_t root, create_dir(os, 0755, p, normflags, nullptr));
  FZ_CHECK(zap_put(os, master, "ROOT", root));
  if (p.shares_dir) {
    FZ_TRY(uint64_t shares, create_dir(os, 0555, p, normflags, nullptr));
    FZ_CHECK(zap_put(os, master, "SHARES", shares));
  }
  return Status::Ok();
}

}  // namespace fzfs
