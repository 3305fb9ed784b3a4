// zfs set/inherit (prop_set.h) and dataset records (dsl_dataset_ops.h) on an in-memory
// MOS: what lands in the props ZAP and the dsl_dirs, read back through the ZAP reader.
#include "engine/dsl/prop_set.h"

#include <gtest/gtest.h>

#include "engine/dmu/dmu_types.h"
#include "engine/dsl/dataset_sync.h"
#include "engine/dsl/dsl_dataset_ops.h"
#include "engine/dsl/dsl_records.h"

namespace fzfs {
namespace {

TEST(PropSet, ParsesAndNormalizes) {
  auto c = parse_property("compression", "gzip", 23);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c->number, 10u);
  EXPECT_EQ(*parse_property("compression", "gzip-9", 23)->number, 13u);
  EXPECT_EQ(*parse_property("compression", "off", 23)->number, 2u);
  EXPECT_EQ(*parse_property("checksum", "sha256", 23)->number, 8u);
  EXPECT_EQ(*parse_property("copies", "3", 23)->number, 3u);
  EXPECT_EQ(*parse_property("recordsize", "16K", 23)->number, 16384u);
  EXPECT_EQ(*parse_property("quota", "1.5G", 23)->number, 3ull << 29);
  EXPECT_EQ(*parse_property("quota", "none", 23)->number, 0u);
  EXPECT_EQ(*parse_property("canmount", "noauto", 23)->number, 2u);
  EXPECT_EQ(parse_property("mountpoint", "/data/", 23)->str, "/data");
  EXPECT_EQ(parse_property("mountpoint", "legacy", 23)->str, "legacy");
  EXPECT_EQ(parse_property("com.example:tag", "any value", 23)->str, "any value");

  auto bad = parse_property("compression", "fast", 23);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "'compression' must be one of 'on | off | lzjb | gzip | gzip-[1-9] | zle'");
  EXPECT_EQ(parse_property("recordsize", "1000", 23).error().message(),
            "'recordsize' must be power of 2 from 512 to 128k");
  EXPECT_EQ(parse_property("recordsize", "256K", 23).error().message(),
            "'recordsize' must be power of 2 from 512 to 128k");
  EXPECT_EQ(parse_property("mountpoint", "rel", 23).error().message(),
            "'mountpoint' must be an absolute path, 'none', or 'legacy'");
  EXPECT_EQ(parse_property("quota", "12Q", 23).error().message(), "bad numeric value '12Q'");
  EXPECT_EQ(parse_property("quota", "0", 23).error().message(), "use 'none' to disable quota/refquota");
  EXPECT_EQ(parse_property("used", "1", 23).error().message(), "'used' is readonly");
  EXPECT_EQ(parse_property("bogus", "1", 23).error().message(), "invalid property 'bogus'");
  EXPECT_EQ(parse_property("Com.X:Y", "1", 23).error().message(), "invalid property 'Com.X:Y'");
  // Values newer than the pool.
  EXPECT_EQ(parse_property("compression", "zle", 19).error().code(), ENOTSUP);
  EXPECT_EQ(parse_property("compression", "gzip", 4).error().code(), ENOTSUP);
  EXPECT_EQ(parse_property("copies", "2", 1).error().code(), ENOTSUP);
  EXPECT_TRUE(parse_property("compression", "zle", 20).ok());
  EXPECT_FALSE(parse_property("compression", "lz4", 28).ok());

  EXPECT_TRUE(property_inheritable("compression"));
  EXPECT_TRUE(property_inheritable("a:b"));
  EXPECT_FALSE(property_inheritable("canmount"));
  EXPECT_FALSE(property_inheritable("quota"));
}

TEST(PropSet, SizeSyntax) {
  EXPECT_EQ(*parse_size_value("512"), 512u);
  EXPECT_EQ(*parse_size_value("1k"), 1024u);
  EXPECT_EQ(*parse_size_value("1KB"), 1024u);
  EXPECT_EQ(*parse_size_value("2M"), 2u << 20);
  EXPECT_EQ(*parse_size_value("0.5K"), 512u);
  EXPECT_FALSE(parse_size_value(""));
  EXPECT_FALSE(parse_size_value("K"));
  EXPECT_FALSE(parse_size_value("1.2.3"));
  EXPECT_FALSE(parse_size_value("1KK"));
  EXPECT_FALSE(parse_size_value("99999999999999999999999"));
  EXPECT_FALSE(parse_size_value("16E"));
}

// A MOS with an object directory and a root dsl_dir ("tank").
struct TestMos {
  std::unique_ptr<WritableObjset> mos = WritableObjset::create(nullptr, ObjsetType::kMeta, 1024, 14);
  uint64_t root = 0;
  uint64_t n = 1;
  TestMos() {
    auto od = mos->allocate(NewObject{kOtObjectDirectory, 512, 0, 0, 14});
    EXPECT_TRUE(od.ok());
    EXPECT_EQ(*od, kMosObjectDirectory);
    auto data = mos->object(*od);
    EXPECT_TRUE(ZapWriter::create(**data).ok());
    root = *mos->allocate(NewObject{kOtDslDir, 512, kOtDslDir, kDslDirBonusLen, 14});
    DslDirPhys d;
    d.props_zapobj = *mos_zap_create(*mos, kOtDslProps);
    d.child_dir_zapobj = *mos_zap_create(*mos, kOtDslDirChildMap);
    d.flags = kDdFlagUsedBreakdown;
    EXPECT_TRUE(write_dir(*mos, root, d).ok());
    EXPECT_TRUE(mos_zap_add(*mos, kMosObjectDirectory, "root_dataset", root).ok());
  }
  NewDataset create(uint64_t parent, const std::string& name, uint64_t version = 23) {
    NewDatasetParams p;
    p.version = version, p.parent_dir = parent, p.name = name, p.txg = 10, p.now = 1000;
    p.random = [this] { return n++; };
    auto r = create_dataset_records(*mos, p);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return *r;
  }
};

TEST(PropSet, SetAndInheritInPropsZap) {
  TestMos t;
  NewDataset a = t.create(t.root, "a");
  auto dir = read_dir(*t.mos, a.dir_obj);
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(set_dir_property(*t.mos, 23, a.dir_obj, *parse_property("compression", "gzip-3", 23), 0).ok());
  ASSERT_TRUE(set_dir_property(*t.mos, 23, a.dir_obj, *parse_property("mountpoint", "/x", 23), 0).ok());
  ASSERT_TRUE(set_dir_property(*t.mos, 23, a.dir_obj, *parse_property("org:note", "hi", 23), 0).ok());
  auto comp = mos_zap_lookup(*t.mos, dir->props_zapobj, "compression");
  ASSERT_TRUE(comp.ok() && *comp);
  EXPECT_EQ((*comp)->int_size, 8);
  EXPECT_EQ((*comp)->ints, std::vector<uint64_t>{7});
  auto mp = mos_zap_lookup(*t.mos, dir->props_zapobj, "mountpoint");
  ASSERT_TRUE(mp.ok() && *mp);
  EXPECT_EQ((*mp)->int_size, 1);
  EXPECT_EQ(std::string((*mp)->bytes.begin(), (*mp)->bytes.end()), std::string("/x\0", 3));
  ASSERT_TRUE(inherit_dir_property(*t.mos, 23, a.dir_obj, "compression").ok());
  ASSERT_TRUE(inherit_dir_property(*t.mos, 23, a.dir_obj, "org:note").ok());
  EXPECT_FALSE(*mos_zap_lookup(*t.mos, dir->props_zapobj, "compression"));
  EXPECT_FALSE(*mos_zap_lookup(*t.mos, dir->props_zapobj, "org:note"));
  EXPECT_TRUE(*mos_zap_lookup(*t.mos, dir->props_zapobj, "mountpoint"));
}

TEST(PropSet, QuotaReservationAndWriteCheck) {
  TestMos t;
  NewDataset a = t.create(t.root, "a");
  NewDataset b = t.create(a.dir_obj, "b");
  // Give b 10 MiB of use, as a sync would.
  DirDelta used;
  used.used = 10 << 20;
  used.breakdown[kDdUsedHead] = used.used;
  ASSERT_TRUE(apply_dir_delta(*t.mos, b.dir_obj, used).ok());

  auto low = set_dir_property(*t.mos, 23, b.dir_obj, *parse_property("quota", "5M", 23), 1ull << 30);
  ASSERT_FALSE(low.ok());
  EXPECT_EQ(low.error().message(), "size is less than current used or reserved space");
  ASSERT_TRUE(set_dir_property(*t.mos, 23, a.dir_obj, *parse_property("quota", "20M", 23), 1ull << 30).ok());
  EXPECT_EQ(read_dir(*t.mos, a.dir_obj)->quota, 20u << 20);
  auto q = mos_zap_lookup(*t.mos, read_dir(*t.mos, a.dir_obj)->props_zapobj, "quota");
  ASSERT_TRUE(q.ok() && *q);  // v22+: also in the props ZAP
  EXPECT_EQ((*q)->ints[0], 20u << 20);

  EXPECT_TRUE(check_quota(*t.mos, b.ds_obj, 9 << 20).ok());
  auto over = check_quota(*t.mos, b.ds_obj, 11 << 20);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code(), EDQUOT);

  // A reservation on b charges a for it: a's used grows to cover it.
  ASSERT_TRUE(set_dir_property(*t.mos, 23, b.dir_obj, *parse_property("reservation", "15M", 23), 1ull << 30).ok());
  EXPECT_EQ(read_dir(*t.mos, a.dir_obj)->used_bytes, 15u << 20);
  EXPECT_EQ(read_dir(*t.mos, a.dir_obj)->used_breakdown[kDdUsedChildRsrv], 5u << 20);
  EXPECT_EQ(read_dir(*t.mos, t.root)->used_bytes, 15u << 20);
  // Growth inside the reservation does not reach a's quota; past it, it does.
  EXPECT_TRUE(check_quota(*t.mos, b.ds_obj, 10 << 20).ok());
  EXPECT_FALSE(check_quota(*t.mos, b.ds_obj, 16 << 20).ok());
  auto big = set_dir_property(*t.mos, 23, b.dir_obj, *parse_property("reservation", "30M", 23), 1ull << 30);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().message(), "size is greater than available space");
  ASSERT_TRUE(set_dir_property(*t.mos, 23, b.dir_obj, *parse_property("reservation", "none", 23), 1ull << 30).ok());
  EXPECT_EQ(read_dir(*t.mos, a.dir_obj)->used_bytes, 10u << 20);
  EXPECT_EQ(read_dir(*t.mos, a.dir_obj)->used_breakdown[kDdUsedChildRsrv], 0u);
}

TEST(DatasetOps, CreateRenameDestroyRecords) {
  TestMos t;
  NewDataset a = t.create(t.root, "a", 26);
  NewDataset b = t.create(t.root, "b", 26);
  NewDataset c = t.create(a.dir_obj, "c", 26);
  EXPECT_EQ(*find_dir(*t.mos, "tank", "tank/a/c"), c.dir_obj);
  NewDatasetParams dup;
  dup.version = 26, dup.parent_dir = t.root, dup.name = "a", dup.random = [] { return 1; };
  EXPECT_EQ(create_dataset_records(*t.mos, dup).error().code(), EEXIST);
  auto ds = read_dataset(*t.mos, c.ds_obj);
  EXPECT_EQ(ds->dir_obj, c.dir_obj);
  EXPECT_EQ(ds->creation_txg, 10u);
  EXPECT_TRUE(ds->bp.is_hole());

  DirDelta used;
  used.used = 4096, used.compressed = 2048, used.uncompressed = 8192;
  used.breakdown[kDdUsedHead] = used.used;
  ASSERT_TRUE(apply_dir_delta(*t.mos, c.dir_obj, used).ok());
  EXPECT_EQ(read_dir(*t.mos, a.dir_obj)->used_bytes, 4096u);
  ASSERT_TRUE(rename_dir(*t.mos, c.dir_obj, b.dir_obj, "d").ok());
  EXPECT_EQ(*find_dir(*t.mos, "tank", "tank/b/d"), c.dir_obj);
  EXPECT_FALSE(find_dir(*t.mos, "tank", "tank/a/c").ok());
  EXPECT_EQ(read_dir(*t.mos, a.dir_obj)->used_bytes, 0u);
  EXPECT_EQ(read_dir(*t.mos, a.dir_obj)->compressed_bytes, 0u);
  EXPECT_EQ(read_dir(*t.mos, b.dir_obj)->used_bytes, 4096u);
  EXPECT_EQ(read_dir(*t.mos, b.dir_obj)->used_breakdown[kDdUsedChild], 4096u);
  EXPECT_EQ(read_dir(*t.mos, c.dir_obj)->parent_obj, b.dir_obj);
  EXPECT_EQ(rename_dir(*t.mos, c.dir_obj, t.root, "a").error().code(), EEXIST);

  EXPECT_EQ(destroy_dataset_records(*t.mos, 26, b.dir_obj).error().code(), EBUSY);
  used.used = -4096, used.compressed = -2048, used.uncompressed = -8192, used.breakdown[kDdUsedHead] = -4096;
  ASSERT_TRUE(apply_dir_delta(*t.mos, c.dir_obj, used).ok());
  ASSERT_TRUE(destroy_dataset_records(*t.mos, 26, c.dir_obj).ok());
  EXPECT_FALSE(find_dir(*t.mos, "tank", "tank/b/d").ok());
  EXPECT_FALSE(t.mos->dnode(c.ds_obj).ok());
  EXPECT_FALSE(t.mos->dnode(c.dir_obj).ok());
}

TEST(DatasetOps, NameRules) {
  EXPECT_EQ(dataset_name_problem("tank/a b:c.d-e_f"), "");
  EXPECT_EQ(dataset_name_problem("/tank"), "leading slash in name");
  EXPECT_EQ(dataset_name_problem("tank/"), "trailing slash in name");
  EXPECT_EQ(dataset_name_problem("tank//a"), "empty component in name");
  EXPECT_EQ(dataset_name_problem("tank/a*"), "invalid character '*' in name");
  EXPECT_EQ(dataset_name_problem("tank/" + std::string(300, 'a')), "dataset name is too long");
}

}  // namespace
}  // namespace fzfs
