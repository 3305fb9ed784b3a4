// Pool::create on sparse files, judged by fzfs's own reader: the pool imports, lists its
// root file system, whose root directory is empty and owned by the creator, and every
// allocated byte is accounted for. zfs-fuse's verdict is in tests/pool_create_test.cc.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/dsl/dsl_pool.h"
#include "engine/pool/block_check.h"
#include "engine/pool/pool.h"
#include "engine/pool/pool_create.h"
#include "engine/pool/pool_impl.h"

namespace fzfs {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "fzfs-create-XXXXXX").string();
    dir_ = mkdtemp(t.data());
  }
  ~TempDir() {
    if (std::getenv("FZFS_TEST_KEEP")) {
      std::fprintf(stderr, "kept %s\n", dir_.c_str());
      return;
    }
    std::filesystem::remove_all(dir_);
  }
  std::string file(const std::string& name, uint64_t size) {
    std::string p = dir_ + "/" + name;
    FILE* f = fopen(p.c_str(), "w");
    fclose(f);
    std::filesystem::resize_file(p, size);
    return p;
  }
  const std::string& path() const { return dir_; }

 private:
  std::string dir_;
};

struct Layout {
  const char* name;
  std::vector<std::string> words;  // "" = a device
  uint64_t version;
  uint64_t ashift;
};

std::string layout_name(const ::testing::TestParamInfo<Layout>& i) { return i.param.name; }

class CreateLayout : public ::testing::TestWithParam<Layout> {};

TEST_P(CreateLayout, ImportsListsAndAccountsForEveryBlock) {
  const Layout& lay = GetParam();
  TempDir tmp;
  CreateOptions opts;
  opts.pool = "tank";
  int n = 0;
  for (const auto& w : lay.words) opts.vdevs.push_back(w.empty() ? tmp.file("d" + std::to_string(n++), 96ull << 20) : w);
  opts.pool_props["version"] = std::to_string(lay.version);
  opts.pool_props["ashift"] = std::to_string(lay.ashift);
  auto r = Pool::create(opts);
  ASSERT_TRUE(r.ok()) << r.error().message();

  ImportOptions io{{tmp.path()}, "tank"};
  auto cands = Pool::discover({tmp.path()});
  ASSERT_TRUE(cands.ok());
  ASSERT_EQ(cands->size(), 1u);
  EXPECT_EQ((*cands)[0].state, "ONLINE");
  EXPECT_EQ((*cands)[0].version, lay.version);

  auto pool = Pool::import(io);
  ASSERT_TRUE(pool.ok()) << pool.error().message();
  EXPECT_EQ((*pool)->version(), lay.version);
  auto ds = (*pool)->datasets();
  ASSERT_TRUE(ds.ok()) << ds.error().message();
  ASSERT_EQ(ds->size(), 1u);
  EXPECT_EQ((*ds)[0].name, "tank");
  auto fs = (*pool)->open_filesystem("tank");
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  auto attr = (*fs)->getattr((*fs)->root_object());
  ASSERT_TRUE(attr.ok()) << attr.error().message();
  EXPECT_EQ(attr->mode, S_IFDIR | 0755u);
  EXPECT_EQ(attr->uid, geteuid());
  EXPECT_EQ(attr->nlink, 2u);
  std::vector<std::string> names;
  ASSERT_TRUE((*fs)->readdir((*fs)->root_object(), 0, [&](const DirEntry& e) {
    names.push_back(e.name);
    return true;
  }).ok());
  EXPECT_EQ(names, (std::vector<std::string>{".", ".."}));

  auto* impl = dynamic_cast<PoolImpl*>(pool->get());
  ASSERT_NE(impl, nullptr);
  auto report = check_block_allocation(*impl);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_TRUE(report->clean()) << "leaked " << report->leaked_bytes << " unallocated " << report->unallocated_bytes
                               << " double " << report->double_bytes << ": "
                               << (report->problems.empty() ? "" : report->problems[0]);
  // Every allocated byte is charged to the root dsl_dir: the root dataset's blocks as
  // its own, the MOS's through $MOS (raidz space is deflated, so compare only others).
  auto root_dir = impl->dsl().dir(impl->dsl().root_dir_obj());
  ASSERT_TRUE(root_dir.ok());
  if (std::find(lay.words.begin(), lay.words.end(), "raidz") == lay.words.end() &&
      lay.words[0].rfind("raidz", 0) != 0)
    EXPECT_EQ(root_dir->used_bytes, report->total.asize);
  // The MOS config names each top-level vdev's metaslab array.
  const NvList* tree = impl->dsl().mos_config().get_nvlist("vdev_tree");
  ASSERT_NE(tree, nullptr);
  for (const NvList& top : *tree->get_nvlist_array("children")) EXPECT_TRUE(top.get_u64("metaslab_array"));
  EXPECT_EQ(impl->dsl().mos_config().get_u64("state"), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Pools, CreateLayout,
    ::testing::Values(Layout{"stripe_v23", {""}, 23, 9}, Layout{"stripe_v28", {""}, 28, 9},
                      Layout{"two_stripes_v28_ashift12", {"", ""}, 28, 12},
                      Layout{"mirror_v23", {"mirror", "", ""}, 23, 9},
                      Layout{"raidz1_v28", {"raidz", "", ""}, 28, 9},
                      Layout{"raidz2_v23_ashift12", {"raidz2", "", "", ""}, 23, 12},
                      Layout{"raidz3_v28", {"raidz3", "", "", "", ""}, 28, 9}, Layout{"stripe_v15", {""}, 15, 9},
                      Layout{"stripe_v9", {""}, 9, 9}),
    layout_name);

TEST(CreateErrors, ZpoolMessages) {
  TempDir tmp;
  const std::string a = tmp.file("a", 96ull << 20), b = tmp.file("b", 96ull << 20),
                    c = tmp.file("c", 96ull << 20), small = tmp.file("small", 32ull << 20);
  auto msg = [](const CreateOptions& o) {
    auto r = Pool::create(o);
    return r.ok() ? std::string("<ok>") : r.error().message();
  };
  CreateOptions o;
  o.pool = "tank";
  o.vdevs = {small};
  EXPECT_EQ(msg(o), "cannot create 'tank': one or more devices is less than the minimum size (64M)");
  o.vdevs = {a, "mirror", b, c};
  EXPECT_EQ(msg(o),
            "invalid vdev specification\nuse '-f' to override the following errors:\n"
            "mismatched replication level: both file and mirror vdevs are present");
  o.vdevs = {a};
  o.pool_props["version"] = "29";
  EXPECT_EQ(msg(o), "cannot create 'tank': property 'version' number 29 is invalid.");
  o.pool_props["version"] = "abc";
  EXPECT_EQ(msg(o), "cannot create 'tank': bad numeric value 'abc'");
  o.pool_props = {{"foo", "bar"}};
  EXPECT_EQ(msg(o), "property 'foo' is not a valid pool property");
  o.pool_props.clear();
  o.fs_props = {{"compression", "bogus"}};
  EXPECT_EQ(msg(o), "cannot create 'tank': 'compression' must be one of 'on | off | lzjb | gzip | gzip-[1-9] | zle'");
  o.fs_props = {{"foo", "bar"}};
  EXPECT_EQ(msg(o), "cannot create 'tank': invalid property 'foo'");
  o.fs_props.clear();
  o.pool = "1tp";
  EXPECT_EQ(msg(o), "cannot create '1tp': name must begin with a letter\npool name may have been omitted");
  // Nothing was written: no labels anywhere.
  auto found = Pool::discover({tmp.path()});
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
}

TEST(CreateErrors, DeviceOfAnExportedPoolNeedsForce) {
  TempDir tmp;
  CreateOptions o;
  o.pool = "tank";
  o.vdevs = {tmp.file("a", 96ull << 20)};
  ASSERT_TRUE(Pool::create(o).ok());
  o.pool = "other";
  auto again = Pool::create(o);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message(), "invalid vdev specification\nuse '-f' to override the following errors:\n" +
                                         o.vdevs[0] + " is part of exported pool 'tank'");
  o.force = true;
  auto forced = Pool::create(o);
  ASSERT_TRUE(forced.ok()) << forced.error().message();
  auto found = Pool::discover({tmp.path()});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].name, "other");
}

TEST(CreateDryRun, DescribesWithoutWriting) {
  TempDir tmp;
  CreateOptions o;
  o.pool = "tp";
  o.dry_run = true;
  const std::string a = tmp.file("a", 96ull << 20), b = tmp.file("b", 96ull << 20), c = tmp.file("c", 96ull << 20);
  o.vdevs = {"raidz", a, b, c};
  auto r = Pool::create(o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "would create 'tp' with the following layout:\n\n\ttp\n\t  raidz1\n\t    " + a + "\n\t    " + b +
                    "\n\t    " + c + "\n");
  auto found = Pool::discover({tmp.path()});
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
}

TEST(CreateProps, RootPropertiesAndMountpointAreStored) {
  TempDir tmp;
  CreateOptions o;
  o.pool = "tank";
  o.vdevs = {tmp.file("a", 96ull << 20)};
  o.fs_props = {{"compression", "lzjb"}, {"atime", "off"}, {"com.example:note", "hello"}, {"quota", "50M"}};
  o.mountpoint = "/mnt/somewhere";
  ASSERT_TRUE(Pool::create(o).ok());
  auto pool = Pool::import(ImportOptions{{tmp.path()}, "tank"});
  ASSERT_TRUE(pool.ok()) << pool.error().message();
  auto ds = (*pool)->datasets();
  ASSERT_TRUE(ds.ok());
  const auto& props = (*ds)[0].props;
  EXPECT_EQ(props.at("compression").value, "lzjb");
  EXPECT_EQ(props.at("atime").value, "off");
  EXPECT_EQ(props.at("mountpoint").value, "/mnt/somewhere");
  EXPECT_EQ(props.at("com.example:note").value, "hello");
  EXPECT_EQ(props.at("quota").number, 50ull << 20);
}

}  // namespace
}  // namespace fzfs
