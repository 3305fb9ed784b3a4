// create_zpl in an objset that was never synced: the objects, their ZAP entries and the
// root directory's znode, read back through the ZAP reader and the SA/znode parsers.
#include "engine/zpl/zpl_create.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "engine/dmu/dmu_types.h"
#include "engine/zap/zap.h"
#include "engine/zpl/sa.h"

namespace fzfs {
namespace {

std::map<std::string, uint64_t> zap_u64s(WritableObjset& os, uint64_t obj) {
  std::map<std::string, uint64_t> out;
  auto data = os.object_data(obj);
  EXPECT_TRUE(data.ok());
  auto zap = ZapReader::open(**data);
  EXPECT_TRUE(zap.ok()) << zap.error().message();
  auto all = zap->list_all();
  EXPECT_TRUE(all.ok());
  for (const ZapEntry& e : *all)
    if (e.int_size == 8 && e.ints.size() == 1) out[e.name] = e.ints[0];
  return out;
}

ZplCreateParams params(uint64_t version) {
  ZplCreateParams p;
  p.zpl_version = version;
  p.txg = 4;
  p.now = Timespec{1700000000, 123456789};
  p.uid = 1000;
  p.gid = 100;
  return p;
}

TEST(ZplCreate, OldZnodeFileSystem) {
  auto os = WritableObjset::create(nullptr, ObjsetType::kZfs, 2048, 14);
  ASSERT_TRUE(create_zpl(*os, params(4)).ok());
  auto master = zap_u64s(*os, 1);
  EXPECT_EQ(master, (std::map<std::string, uint64_t>{{"DELETE_QUEUE", 2}, {"ROOT", 3}, {"SHARES", 4}, {"VERSION", 4},
                                                     {"casesensitivity", 0}, {"normalization", 0}, {"utf8only", 0}}));
  EXPECT_EQ(os->dnode(1)->type, kOtMasterNode);
  EXPECT_EQ(os->dnode(2)->type, kOtUnlinkedSet);
  for (uint64_t dir : {3, 4}) {
    auto dn = os->dnode(dir);
    ASSERT_TRUE(dn.ok());
    EXPECT_EQ(dn->type, kOtDirectoryContents);
    EXPECT_EQ(dn->bonustype, kOtZnode);
    EXPECT_TRUE(zap_u64s(*os, dir).empty());
    auto sa = parse_legacy_znode(dn->bonus, false, SaRegistry::legacy());
    ASSERT_TRUE(sa.ok()) << sa.error().message();
    EXPECT_EQ(*sa->u64("ZPL_MODE"), S_IFDIR | (dir == 3 ? 0755u : 0555u));
    EXPECT_EQ(*sa->u64("ZPL_PARENT"), dir);
    EXPECT_EQ(*sa->u64("ZPL_LINKS"), 2u);
    EXPECT_EQ(*sa->u64("ZPL_SIZE"), 2u);
    EXPECT_EQ(*sa->u64("ZPL_GEN"), 4u);
    EXPECT_EQ(*sa->u64("ZPL_UID"), 1000u);
    EXPECT_EQ(*sa->u64("ZPL_FLAGS"), 0x40800000144u);
    EXPECT_EQ(*sa->u64_array("ZPL_MTIME"), (std::vector<uint64_t>{1700000000, 123456789}));
  }
}

TEST(ZplCreate, SystemAttributeFileSystem) {
  auto os = WritableObjset::create(nullptr, ObjsetType::kZfs, 2048, 14);
  ZplCreateParams p = params(5);
  p.casesensitivity = 1;
  ASSERT_TRUE(create_zpl(*os, p).ok());
  auto master = zap_u64s(*os, 1);
  EXPECT_EQ(master, (std::map<std::string, uint64_t>{{"DELETE_QUEUE", 3}, {"ROOT", 4}, {"SA_ATTRS", 2}, {"VERSION", 5},
                                                     {"casesensitivity", 1}, {"normalization", 0}, {"utf8only", 0}}));
  EXPECT_EQ(zap_u64s(*os, 2), (std::map<std::string, uint64_t>{{"LAYOUTS", 6}, {"REGISTRY", 5}}));
  EXPECT_EQ(os->dnode(5)->type, kOtSaAttrRegistration);
  EXPECT_EQ(os->dnode(6)->type, kOtSaAttrLayouts);
  auto reg_data = os->object_data(5);
  auto lay_data = os->object_data(6);
  ASSERT_TRUE(reg_data.ok() && lay_data.ok());
  auto reg_zap = ZapReader::open(**reg_data);
  auto lay_zap = ZapReader::open(**lay_data);
  ASSERT_TRUE(reg_zap.ok() && lay_zap.ok());
  auto reg = SaRegistry::from_zaps(&*reg_zap, &*lay_zap);
  ASSERT_TRUE(reg.ok()) << reg.error().message();
  EXPECT_EQ(reg->find("ZPL_DACL_ACES")->num, 19);
  EXPECT_EQ(reg->find("ZPL_PROJID")->num, 21);
  ASSERT_NE(reg->layout(2), nullptr);
  EXPECT_EQ(reg->layout(2)->size(), 14u);

  auto dn = os->dnode(4);
  ASSERT_TRUE(dn.ok());
  EXPECT_EQ(dn->bonustype, kOtSa);
  EXPECT_EQ(dn->bonus.size(), 320u);
  auto sa = parse_sa(dn->bonus, *reg);
  ASSERT_TRUE(sa.ok()) << sa.error().message();
  EXPECT_EQ(*sa->u64("ZPL_MODE"), S_IFDIR | 0755u);
  EXPECT_EQ(*sa->u64("ZPL_PARENT"), 4u);
  EXPECT_EQ(*sa->u64("ZPL_GID"), 100u);
  EXPECT_EQ(*sa->u64("ZPL_DACL_COUNT"), 6u);
  EXPECT_EQ(sa->find("ZPL_DACL_ACES")->bytes.size(), 48u);
  // Case-insensitive: directory ZAPs fold case.
  auto root_data = os->object_data(4);
  ASSERT_TRUE(root_data.ok());
  auto root_zap = ZapReader::open(**root_data);
  ASSERT_TRUE(root_zap.ok());
  EXPECT_EQ(root_zap->normflags(), 2u);  // U8_TEXTPREP_TOUPPER
}

TEST(ZplCreate, VersionMap) {
  EXPECT_EQ(zpl_version_for_pool(1), 2u);
  EXPECT_EQ(zpl_version_for_pool(9), 3u);
  EXPECT_EQ(zpl_version_for_pool(15), 4u);
  EXPECT_EQ(zpl_version_for_pool(23), 4u);
  EXPECT_EQ(zpl_version_for_pool(24), 5u);
  EXPECT_EQ(zpl_version_for_pool(28), 5u);
}

}  // namespace
}  // namespace fzfs
