// Issue 3's first proof, for every layout and two pool versions: `fzpool create -o
// version=V`, a varied workload through the fzfs FUSE mount, export; then two other
// implementations judge the pool:
//   - OpenZFS's zdb (userspace, tests/openzfs_zdb.h) verifies every block's checksum and
//     that the space maps hold exactly the blocks it found (-bcc), and places every file
//     system object on a path the workload made (-ddddd);
//   - zfs-fuse (version 23 only, its limit) imports the pool, scrubs it with 0 errors,
//     and its mount shows exactly what the workload wrote.
// Version 28 (system-attribute znodes) has no second reader of file contents, so fzfs
// imports it again read-only and must show the workload from disk.
// The same workload runs on a plain directory too, and must produce the same tree
// there: that checks the test's own model.
// Labelled "integration"; skips when neither oracle is installed, or the tools are absent.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "tests/openzfs_zdb.h"
#include "tests/oracle_tree.h"
#include "tests/pool_fixture.h"
#include "tests/zfs_fuse.h"

namespace fzfs::test {
namespace {

// The workload (relative to the writer's root): sizes, holes, a directory of 3200
// entries, deep paths, renames, overwrites, truncates, deletes, links, modes, times.
// Symlink targets of every size: old znodes keep short ones in the bonus and long ones
// in a data block; system-attribute znodes keep them in the bonus while they fit and
// move them to a spill block (one sector, or several for the 3000-byte target) after.
void workload(TreeWriter& w) {
  const size_t sizes[] = {0, 1, 511, 512, 513, 4095, 4096, 4097, 131071, 131072, 131073, 1000003, 5 << 20};
  for (size_t s : sizes) w.file("size-" + std::to_string(s), random_bytes("s" + std::to_string(s), s), 0644);
  w.file("text", text_bytes("text", 300000), 0600);
  w.sparse("sparse", {{0, random_bytes("sp0", 5000)}, {64 << 20, random_bytes("sp1", 70000)}}, 300 << 20, 0644);
  w.dir("big", 0755);
  for (int i = 0; i < 3200; i++) w.file("big/entry-" + std::to_string(i), i % 5 ? "" : random_bytes("b" + std::to_string(i), i), 0644);
  std::string deep = "deep";
  w.dir(deep, 0755);
  for (int i = 0; i < 30; i++) {
    deep += "/level-" + std::to_string(i);
    w.dir(deep, 0755);
  }
  w.file(deep + "/leaf", "deep leaf\n", 0644);
  w.file("r1", "first", 0644);
  w.rename("r1", "r1-renamed");
  w.dir("rdir", 0755);
  w.rename("r1-renamed", "rdir/r1");
  w.file("victim", "to be replaced", 0644);
  w.file("replacer", "replacement", 0644);
  w.rename("replacer", "victim");
  w.dir("movedir", 0755);
  w.file("movedir/inside", "moves with its directory", 0644);
  w.rename("movedir", "rdir/movedir");
  w.write_at("size-131073", 1000, random_bytes("ow1", 70000));
  w.write_at("size-1000003", 999000, random_bytes("ow2", 9000));
  w.truncate("size-5242880", 200000);
  w.truncate("size-4096", 10000);
  w.truncate("text", 0);
  for (int i = 0; i < 3200; i += 7) w.remove("big/entry-" + std::to_string(i));
  w.remove("size-513");
  w.file("linked", "shared bytes", 0644);
  w.hardlink("linked", "rdir/link2");
  w.hardlink("linked", "link3");
  w.symlink("sym-short", "size-1");
  w.symlink("sym-long", std::string(300, 'L') + "/target");
  w.symlink("sym-huge", std::string(2993, 'H') + "/target");
  w.fifo("fifo", 0640);
  w.device("chr", false, 4, 64, 0640);
  w.device("blk", true, 8, 1, 0640);
  w.chmod("size-1", 0600);
  w.chmod("rdir", 0750);
  w.chown("size-512", 1234, 5678);
  w.set_mtime("size-4095", 1234567890, 1234567890);
  w.set_mtime("rdir/r1", 987654321, 987654321);
}

void expect_tree(const std::string& root, const Model& model, const std::string& who) {
  ObserveResult seen = observe(root);
  for (const auto& e : seen.errors) ADD_FAILURE() << who << ": " << e;
  EXPECT_EQ(seen.tree.size(), model.size()) << who;
  for (const auto& d : compare_model(model, seen.tree)) ADD_FAILURE() << who << ": " << d;
  for (const auto& [p, e] : model)
    if (e.sparse)
      for (const auto& d : check_sparse(root + "/" + p, e)) ADD_FAILURE() << who << ": " << d;
}

struct Layout {
  std::string name;
  std::vector<std::string> words;  // device names in devices/, with mirror/raidzN words
  int version = 23;
};
void PrintTo(const Layout& l, std::ostream* os) { *os << l.name << " v" << l.version; }

// OpenZFS's zdb on the exported pool: every checksum, exact space accounting, and every
// object of the file system on a path of the model (below /w) or the root itself.
void expect_openzfs_accepts(PoolWorkspace& ws, const std::string& pool, const Model& model) {
  const std::string scratch = ws.dir() + "/openzfs";
  mkdir(scratch.c_str(), 0755);
  CommandResult blocks = OpenZfsZdb::check_blocks(ws.devices(), pool, scratch);
  EXPECT_TRUE(blocks.ok()) << blocks.describe();
  OpenZfsZdb::Paths found = OpenZfsZdb::object_paths(ws.devices(), pool, scratch);
  EXPECT_TRUE(found.result.ok()) << found.result.describe();
  for (const auto& problem : found.problems) ADD_FAILURE() << "zdb: " << problem;
  std::set<std::string> seen;
  for (const std::string& path : found.paths) {
    seen.insert(path);
    if (path == "/" || path == "/w") continue;
    if (path.rfind("/w/", 0) != 0 || !model.count(path.substr(3)))
      ADD_FAILURE() << "zdb places an object at " << path << ", which the workload did not make";
  }
  // Each object is shown once, under one of its names: every path of a file with a
  // single link, and every directory, must be there.
  for (const auto& [rel, e] : model)
    if (!rel.empty() && (S_ISDIR(e.mode) || e.nlink.value_or(1) == 1))
      EXPECT_TRUE(seen.count("/w/" + rel)) << "zdb does not find /w/" << rel;
}

void expect_zfs_fuse_accepts(PoolWorkspace& ws, const std::string& pool, const Model& model) {
  const std::string scratch = ws.dir() + "/zfs-fuse";
  mkdir(scratch.c_str(), 0755);
  ZfsFuse zf(scratch);
  ASSERT_EQ(zf.start(), "");
  const std::string zroot = ws.dir() + "/zfroot";
  CommandResult imp = zf.zpool({"import", "-d", ws.devices(), "-R", zroot, pool});
  ASSERT_TRUE(imp.ok()) << imp.describe();
  CommandResult status = zf.scrub_and_wait(pool);
  EXPECT_TRUE(status.ok()) << status.describe();
  EXPECT_NE(status.out.find("ONLINE"), std::string::npos) << status.describe();
  expect_tree(zroot + "/" + pool + "/w", model, "zfs-fuse");
  CommandResult zexp = zf.zpool({"export", pool});
  EXPECT_TRUE(zexp.ok()) << zexp.describe();
  if (!zexp.ok()) zf.zpool({"export", "-f", pool});
  EXPECT_EQ(zf.stop(), "");
}

class LayoutWorkload : public ::testing::TestWithParam<Layout> {};

TEST_P(LayoutWorkload, OtherImplementationsAcceptTheWorkload) {
  const Layout& layout = GetParam();
  const std::string no_zdb = OpenZfsZdb::unavailable();
  const std::string no_zfs_fuse = layout.version <= 23 ? ZfsFuse::unavailable() : "version " +
                                  std::to_string(layout.version) + " is past zfs-fuse's 23";
  if (!no_zdb.empty() && !no_zfs_fuse.empty()) GTEST_SKIP() << no_zdb << "; " << no_zfs_fuse;
  if (std::string why = missing_tools(); !why.empty()) GTEST_SKIP() << why;
  PoolWorkspace ws;
  const std::string pool = "lw" + layout.name;
  std::vector<std::string> vdevs;
  for (const auto& w : layout.words) {
    if (w == "mirror" || w.rfind("raidz", 0) == 0) vdevs.push_back(w);
    else vdevs.push_back(ws.make_device(w, 512ULL << 20));
  }
  CommandResult made =
      ws.create_pool(pool, vdevs, {"-o", "version=" + std::to_string(layout.version), "-m", "/" + pool});
  ASSERT_TRUE(made.ok()) << made.describe();

  // The reference: the workload on a plain directory.
  Model plain_model;
  const std::string plain = ws.dir() + "/plain";
  mkdir(plain.c_str(), 0755);
  {
    TreeWriter w(plain, plain_model);
    ASSERT_NO_THROW(workload(w));
  }
  expect_tree(plain, plain_model, "plain directory");

  // The same workload through the fzfs mount.
  Model model;
  const std::string mnt = ws.mounted_at("/" + pool) + "/w";
  ASSERT_EQ(mkdir(mnt.c_str(), 0755), 0) << mnt;
  {
    TreeWriter w(mnt, model);
    try {
      workload(w);
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
  }
  expect_tree(mnt, model, "fzfs mount");
  CommandResult exp = ws.export_pool(pool);
  ASSERT_TRUE(exp.ok()) << exp.describe();

  if (no_zdb.empty()) expect_openzfs_accepts(ws, pool, model);
  if (no_zfs_fuse.empty()) {
    expect_zfs_fuse_accepts(ws, pool, model);
  } else {
    // No second reader of contents: what fzfs reads back from disk after a fresh import.
    CommandResult imp = ws.import_readonly(pool);
    ASSERT_TRUE(imp.ok()) << imp.describe();
    expect_tree(ws.mounted_at("/" + pool) + "/w", model, "fzfs, re-imported");
    CommandResult again = ws.export_pool(pool);
    EXPECT_TRUE(again.ok()) << again.describe();
  }
}

std::vector<Layout> layouts(int version) {
  return {Layout{"stripe", {"a"}, version}, Layout{"mirror", {"mirror", "a", "b"}, version},
          Layout{"raidz1", {"raidz1", "a", "b", "c"}, version},
          Layout{"raidz2", {"raidz2", "a", "b", "c", "d"}, version},
          Layout{"raidz3", {"raidz3", "a", "b", "c", "d", "e"}, version}};
}

std::string layout_name(const ::testing::TestParamInfo<Layout>& i) { return i.param.name; }

// Version 23: old znodes, what zfs-fuse imports. Version 28: system-attribute znodes,
// the default of `fzpool create`.
INSTANTIATE_TEST_SUITE_P(V23, LayoutWorkload, ::testing::ValuesIn(layouts(23)), layout_name);
INSTANTIATE_TEST_SUITE_P(V28, LayoutWorkload, ::testing::ValuesIn(layouts(28)), layout_name);

}  // namespace
}  // namespace fzfs::test
