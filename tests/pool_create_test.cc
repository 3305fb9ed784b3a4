// Pool::create judged by zfs-fuse: for each layout fzfs creates a version-23 pool on
// sparse files and
//   1. imports it read-only itself and lists the root file system;
//   2. zfs-fuse imports it: `zpool status` ONLINE, `zpool scrub` with 0 errors, `zfs list`
//      shows the pool, a file written through its mount (so zfs-fuse's own txg syncs
//      run on our MOS), export;
//   3. fzfs imports it again and reads that file back byte for byte.
// OpenZFS's zdb then checks a fresh pool of every version 1-28 block by block, including
// the versions beyond zfs-fuse.
// Labelled "integration"; skips when zfs-fuse (or OpenZFS's zdb) is absent.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "engine/pool/pool.h"
#include "tests/openzfs_zdb.h"
#include "tests/pool_fixture.h"
#include "tests/process.h"
#include "tests/zfs_fuse.h"

namespace fzfs::test {
namespace {

struct Layout {
  std::string name;
  std::vector<std::string> words;  // "" = the next device file
  std::string version = "23";
};

std::string make_device(const std::string& dir, const std::string& name, uint64_t size) {
  const std::string p = dir + "/" + name;
  std::ofstream(p).close();
  std::filesystem::resize_file(p, size);
  return p;
}

std::vector<std::string> device_words(const Layout& lay, const std::string& dir) {
  std::vector<std::string> out;
  int n = 0;
  for (const auto& w : lay.words)
    out.push_back(w.empty() ? make_device(dir, "d" + std::to_string(n++), 128ull << 20) : w);
  return out;
}

std::string read_file(Filesystem& fs, const std::string& name, uint64_t size) {
  auto obj = fs.lookup(fs.root_object(), name);
  if (!obj.ok()) return "<lookup failed: " + obj.error().message() + ">";
  std::string out(size, '\0');
  auto n = fs.read(*obj, 0, std::span(reinterpret_cast<uint8_t*>(out.data()), size));
  if (!n.ok()) return "<read failed: " + n.error().message() + ">";
  out.resize(*n);
  return out;
}

class PoolCreate : public ::testing::TestWithParam<Layout> {};

TEST_P(PoolCreate, ZfsFuseImportsScrubsCleanAndWrites) {
  if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
  const Layout& lay = GetParam();
  const std::string pool = "pc" + lay.name;
  PoolWorkspace ws;

  CreateOptions opts;
  opts.pool = pool;
  opts.vdevs = device_words(lay, ws.devices());
  opts.pool_props["version"] = lay.version;
  auto created = Pool::create(opts);
  ASSERT_TRUE(created.ok()) << created.error().message();

  // --- 1. fzfs reads what it wrote ----------------------------------------------------------
  {
    auto p = Pool::import(ImportOptions{{ws.devices()}, pool});
    ASSERT_TRUE(p.ok()) << p.error().message();
    auto ds = (*p)->datasets();
    ASSERT_TRUE(ds.ok()) << ds.error().message();
    ASSERT_FALSE(ds->empty());
    EXPECT_EQ((*ds)[0].name, pool);
  }

  // --- 2. zfs-fuse: import, status, scrub, list, write a file, export -----------------------
  std::mt19937 rng(7);
  std::string content(300000, '\0');
  for (auto& c : content) c = static_cast<char>(rng());
  {
    const std::string scratch = ws.dir() + "/zfs-fuse";
    mkdir(scratch.c_str(), 0755);
    ZfsFuse zf(scratch);
    ASSERT_EQ(zf.start(), "");
    std::cout << "waited " << zf.lock_waited().count() << " ms for zfs-fuse\n";
    CommandResult imp = zf.zpool({"import", "-d", ws.devices(), "-R", ws.altroot(), pool});
    ASSERT_TRUE(imp.ok()) << imp.describe();
    CommandResult st = zf.zpool({"status", pool});
    EXPECT_NE(st.out.find("state: ONLINE"), std::string::npos) << st.describe();
    CommandResult scrub = zf.scrub_and_wait(pool);
    EXPECT_TRUE(scrub.ok()) << scrub.describe();
    CommandResult hist = zf.zpool({"history", pool});
    if (std::stoi(lay.version) >= 4)  // pool history arrived in version 4
      EXPECT_NE(hist.out.find("zpool create -o version=" + lay.version + " " + pool + " "), std::string::npos)
        << hist.describe();
    CommandResult list = zf.zfs({"list", "-H", "-o", "name", pool});
    EXPECT_TRUE(list.ok() && list.out == pool + "\n") << list.describe();
    // Space as zfs-fuse accounts it from our DSL records: a few hundred KiB used, the
    // rest of the 128 MiB devices available.
    CommandResult space = zf.zfs({"get", "-H", "-p", "-o", "value", "used,available", pool});
    ASSERT_TRUE(space.ok()) << space.describe();
    const auto values = lines_of(space.out);
    ASSERT_EQ(values.size(), 2u) << space.describe();
    EXPECT_LT(std::stoull(values[0]), 4ull << 20) << space.describe();
    EXPECT_GT(std::stoull(values[1]), 64ull << 20) << space.describe();
    CommandResult mp = zf.zfs({"get", "-H", "-o", "value", "mountpoint", pool});
    ASSERT_TRUE(mp.ok()) << mp.describe();
    const std::string file = mp.out.substr(0, mp.out.find('\n')) + "/hello.bin";
    {
      std::ofstream out(file, std::ios::binary);
      out.write(content.data(), static_cast<std::streamsize>(content.size()));
      EXPECT_TRUE(out.good()) << "writing " << file;
    }
    // Enough files that zfs-fuse grows the meta-dnode's object space past what one
    // level of block pointers reaches (3 x 32 dnodes).
    const std::string many = mp.out.substr(0, mp.out.find('\n')) + "/many";
    ASSERT_EQ(mkdir(many.c_str(), 0755), 0) << many;
    for (int i = 0; i < 300; i++) std::ofstream(many + "/f" + std::to_string(i)) << i;
    ::sync();
    // A second scrub after zfs-fuse's own syncs over our MOS.
    scrub = zf.scrub_and_wait(pool);
    EXPECT_TRUE(scrub.ok()) << scrub.describe();
    CommandResult exp = zf.zpool({"export", pool});
    EXPECT_TRUE(exp.ok()) << exp.describe();
    if (!exp.ok()) zf.zpool({"export", "-f", pool});
    EXPECT_EQ(zf.stop(), "");
  }

  // --- 3. fzfs reads zfs-fuse's file ----------------------------------------------------------
  auto p = Pool::import(ImportOptions{{ws.devices()}, pool});
  ASSERT_TRUE(p.ok()) << p.error().message();
  auto fs = (*p)->open_filesystem(pool);
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  EXPECT_TRUE(read_file(**fs, "hello.bin", content.size()) == content) << "hello.bin differs";
  auto many = (*fs)->lookup((*fs)->root_object(), "many");
  ASSERT_TRUE(many.ok()) << many.error().message();
  int entries = 0;
  ASSERT_TRUE((*fs)->readdir(*many, 0, [&](const DirEntry&) { return ++entries, true; }).ok());
  EXPECT_EQ(entries, 302);
}

// zfs-fuse's zdb traverses a freshly created pool and checks every block's checksum
// (-cc) and that the space maps match the blocks (-b): no leaks, no double allocation.
class PoolCreateZdb : public ::testing::TestWithParam<Layout> {};

TEST_P(PoolCreateZdb, FreshPoolHasNoLeaks) {
  if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
  if (access("/usr/sbin/zdb", X_OK) != 0) GTEST_SKIP() << "/usr/sbin/zdb is not installed";
  const Layout& lay = GetParam();
  PoolWorkspace ws;
  CreateOptions opts;
  opts.pool = "pczdb";
  opts.vdevs = device_words(lay, ws.devices());
  opts.pool_props["version"] = lay.version;
  auto created = Pool::create(opts);
  ASSERT_TRUE(created.ok()) << created.error().message();
  const std::string scratch = ws.dir() + "/zfs-fuse";
  mkdir(scratch.c_str(), 0755);
  ZfsFuse zf(scratch);
  ASSERT_EQ(zf.start(), "");
  CommandOptions co;
  co.timeout = std::chrono::seconds(300);
  co.scratch_dir = scratch;
  CommandResult zdb = run_command({"/usr/sbin/zdb", "-e", "-p", ws.devices(), "-bcc", "pczdb"}, co);
  EXPECT_EQ(zf.stop(), "");
  std::cout << zdb.out << zdb.err;
  EXPECT_TRUE(zdb.ok()) << zdb.describe();
  EXPECT_NE(zdb.out.find("No leaks (block sum matches space maps exactly)"), std::string::npos) << zdb.describe();
  EXPECT_EQ(zdb.out.find("leaked space"), std::string::npos) << zdb.describe();
  EXPECT_EQ(zdb.out.find("!= alloc"), std::string::npos) << zdb.describe();
}

INSTANTIATE_TEST_SUITE_P(ZfsFuse, PoolCreateZdb,
                         ::testing::Values(Layout{"stripe", {""}}, Layout{"raidz1", {"raidz", "", "", ""}},
                                           Layout{"raidz3", {"raidz3", "", "", "", ""}},
                                           Layout{"mirror_v15", {"mirror", "", ""}, "15"},
                                           Layout{"stripe_v1", {""}, "1"}),
                         [](const ::testing::TestParamInfo<Layout>& i) { return i.param.name; });

// OpenZFS's own zdb (tests/openzfs_zdb.h) on a fresh pool of every legacy version,
// including the ones past zfs-fuse (24-28: system attributes, deadlists, ...): every
// checksum verifies and the space maps hold exactly the blocks it finds.
class PoolCreateOpenZfs : public ::testing::TestWithParam<int> {};

TEST_P(PoolCreateOpenZfs, FreshPoolPassesOpenZfsZdb) {
  if (std::string why = OpenZfsZdb::unavailable(); !why.empty()) GTEST_SKIP() << why;
  PoolWorkspace ws;
  CreateOptions opts;
  opts.pool = "pcoz";
  opts.vdevs = device_words(GetParam() >= 3 ? Layout{"raidz2", {"raidz2", "", "", ""}} : Layout{"mirror", {"mirror", "", ""}},
                            ws.devices());
  opts.pool_props["version"] = std::to_string(GetParam());
  auto created = Pool::create(opts);
  ASSERT_TRUE(created.ok()) << created.error().message();
  CommandResult zdb = OpenZfsZdb::check_blocks(ws.devices(), "pcoz", ws.dir());
  EXPECT_TRUE(zdb.ok()) << zdb.describe();
}

INSTANTIATE_TEST_SUITE_P(Versions, PoolCreateOpenZfs, ::testing::Range(1, 29),
                         [](const ::testing::TestParamInfo<int>& i) { return "v" + std::to_string(i.param); });

// -O properties and -m land in the root dsl_dir's props ZAP as zfs-fuse reads them.
TEST(PoolCreateProps, ZfsFuseSeesRootProperties) {
  if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
  PoolWorkspace ws;
  CreateOptions opts;
  opts.pool = "pcprops";
  opts.vdevs = device_words(Layout{"stripe", {""}}, ws.devices());
  opts.pool_props = {{"version", "23"}, {"autoexpand", "on"}};
  opts.fs_props = {{"compression", "lzjb"}, {"atime", "off"}, {"com.example:note", "hello"}, {"quota", "50M"}};
  opts.mountpoint = "/custom/place";
  auto created = Pool::create(opts);
  ASSERT_TRUE(created.ok()) << created.error().message();
  const std::string scratch = ws.dir() + "/zfs-fuse";
  mkdir(scratch.c_str(), 0755);
  ZfsFuse zf(scratch);
  ASSERT_EQ(zf.start(), "");
  CommandResult imp = zf.zpool({"import", "-d", ws.devices(), "-R", ws.altroot(), "pcprops"});
  ASSERT_TRUE(imp.ok()) << imp.describe();
  CommandResult get = zf.zfs({"get", "-H", "-p", "-o", "property,value,source",
                              "compression,atime,com.example:note,quota,mountpoint", "pcprops"});
  CommandResult pget = zf.zpool({"get", "autoexpand", "pcprops"});
  CommandResult exp = zf.zpool({"export", "pcprops"});
  EXPECT_TRUE(exp.ok()) << exp.describe();
  EXPECT_EQ(zf.stop(), "");
  EXPECT_EQ(get.out, "compression\tlzjb\tlocal\n"
                     "atime\toff\tlocal\n"
                     "com.example:note\thello\tlocal\n"
                     "quota\t52428800\tlocal\n"
                     "mountpoint\t" + ws.altroot() + "/custom/place\tlocal\n")
      << get.describe();
  EXPECT_NE(pget.out.find("autoexpand  on"), std::string::npos) << pget.describe();
}

INSTANTIATE_TEST_SUITE_P(ZfsFuse, PoolCreate,
                         ::testing::Values(Layout{"stripe", {""}}, Layout{"mirror", {"mirror", "", ""}},
                                           Layout{"raidz1", {"raidz", "", ""}},
                                           Layout{"raidz2", {"raidz2", "", "", ""}},
                                           Layout{"raidz3", {"raidz3", "", "", "", ""}},
                                           Layout{"twomirrors", {"mirror", "", "", "mirror", "", ""}},
                                           Layout{"stripe_v15", {""}, "15"}, Layout{"mirror_v9", {"mirror", "", ""}, "9"},
                                           Layout{"stripe_v3", {""}, "3"}, Layout{"stripe_v1", {""}, "1"}),
                         [](const ::testing::TestParamInfo<Layout>& i) { return i.param.name; });

}  // namespace
}  // namespace fzfs::test
