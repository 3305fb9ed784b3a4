// zfs-fuse as a live oracle: for pool versions 1 to 23 it writes pools with what the
// conformance corpus lacks (every pool version, sparse files reaching 100 GiB, a fat
// ZAP directory, device nodes, owners, times, properties, snapshots, a clone), and
// fzfs must then show, read-only, exactly what was written.
//
// Each case: zfs-fuse creates the pool on file vdevs in a PoolWorkspace and the test
// writes a workload whose result it computes itself (a Model), observing the trees
// through zfs-fuse as well (the Observation fzfs must reproduce field by field, ctime
// and nlink included). Then zpool export, zfs-fuse stopped, fzpool import -o readonly=on
// and the same checks through the fzfs mounts. zfs-fuse has no .zfs directory, so a
// snapshot's oracle view is the live tree observed just before `zfs snapshot`.
//
// zfs-fuse does not support extended attributes (setxattr fails with EOPNOTSUPP even
// with xattr=on), so xattrs are not part of the workload; XattrsUnsupported records it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <ostream>
#include <sstream>

#include "tests/oracle_tree.h"
#include "tests/pool_fixture.h"
#include "tests/zfs_fuse.h"

namespace fzfs::test {
namespace {

constexpr uint64_t kGiB = 1ull << 30;
constexpr uint64_t kMiB = 1ull << 20;
constexpr const char* kUserProp = "com.example:prop";

struct OracleCase {
  std::string label;
  uint64_t version;
  bool raidz2;
};

void PrintTo(const OracleCase& c, std::ostream* os) { *os << c.label; }

// The properties the test reads back, in `zfs get` order and spelling.
struct PropValues {
  std::string compression = "off", copies = "1", recordsize = "128K", checksum = "on",
              user = "pool-value";
  std::string joined() const {
    return compression + "\n" + copies + "\n" + recordsize + "\n" + checksum + "\n" + user + "\n";
  }
};

struct DatasetSpec {
  std::string name;                        // below the pool
  std::vector<std::string> create_options;  // zfs create -o ...
  PropValues expect;
};

// One tree to check after import: a filesystem or snapshot, the Model of what it holds
// and zfs-fuse's view of it.
struct CheckedTree {
  std::string dataset;   // "pool/fs" or "pool/fs@before"
  Model model;
  Observation oracle;
};

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Datasets of the workload that this pool version can hold (gzip needs version 5,
// ditto blocks version 2).
std::vector<DatasetSpec> property_datasets(uint64_t version) {
  std::vector<DatasetSpec> out;
  auto add = [&](const std::string& name, const std::string& opt, auto tweak) {
    DatasetSpec d{name, {opt}, {}};
    tweak(d.expect);
    out.push_back(d);
  };
  if (version >= 5) add("gz", "compression=gzip-9", [](PropValues& p) { p.compression = "gzip-9"; });
  add("lz", "compression=lzjb", [](PropValues& p) { p.compression = "lzjb"; });
  if (version >= 2) add("c3", "copies=3", [](PropValues& p) { p.copies = "3"; });
  add("rs4k", "recordsize=4K", [](PropValues& p) { p.recordsize = "4K"; });
  add("sha", "checksum=sha256", [](PropValues& p) { p.checksum = "sha256"; });
  return out;
}

const std::vector<uint64_t> kSizes = {0, 1, 511, 4096, 131071, 131073};

// The main tree, as it is at snapshot @before.
void write_base(TreeWriter& w) {
  w.dir("files", 0755);
  for (uint64_t n : kSizes) w.file("files/size-" + std::to_string(n), random_bytes("size-" + std::to_string(n), n), 0644);
  w.file("files/random-5m", random_bytes("random-5m", 5 * kMiB), 0644);
  w.file("files/text-300k", text_bytes("text-300k", 300 << 10), 0644);
  // Data at 0, 1 GiB, 10 GiB and 100 GiB: several levels of indirect blocks, and holes
  // at every level in between; the file ends in a hole.
  std::vector<std::pair<uint64_t, std::string>> extents;
  for (uint64_t at : {uint64_t{0}, kGiB, 10 * kGiB, 100 * kGiB}) {
    extents.emplace_back(at, random_bytes("sparse@" + std::to_string(at), 8192));
  }
  w.sparse("files/sparse", extents, 100 * kGiB + (1 << 20), 0600);

  w.dir("bigdir", 0755);  // 5000 entries: a fat ZAP
  for (int i = 0; i < 5000; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "bigdir/entry-%05d", i);
    w.file(name, i % 50 == 0 ? text_bytes(name, 100 + i % 300) : "", 0644);
  }

  w.dir("links", 0755);
  w.symlink("links/short", "../files/size-1");
  std::string long_target;
  for (int i = 0; long_target.size() < 900; ++i) long_target += "segment-" + std::to_string(i) + "/";
  long_target.resize(900);
  w.symlink("links/long", long_target);
  w.hardlink("files/size-4096", "links/hard");

  w.dir("special", 0755);
  w.fifo("special/fifo", 0640);
  w.device("special/null", false, 1, 3, 0666);
  w.device("special/loop0", true, 7, 0, 0660);
  w.device("special/pts", false, 136, 7, 0620);
  w.device("special/blkext", true, 259, 255, 0600);  // major above 255
  // No minor above 255: zfs-fuse stores FUSE's 32-bit dev_t, which for such minors
  // cannot be told apart from OpenZFS-on-Linux's encoding (see engine/zpl/zpl_fs.cc).

  w.dir("perms", 0750);
  w.file("perms/owned", text_bytes("owned", 1000), 0640);
  w.chown("perms/owned", 1234, 5678);
  w.set_mtime("perms/owned", 1000000000, 1234567890);
  w.file("perms/setuid", random_bytes("setuid", 300), 04755);
  w.dir("perms/private", 0700);
  w.chown("perms/private", 1234, 5678);
  w.set_mtime("perms/private", 1400000000, 1500000000);
  w.set_mtime("perms", 1550000000, 1600000000);
  w.set_mtime("special", 1550000000, 1650000000);
}

// Between @before and @after.
void modify(TreeWriter& w) {
  w.write_at("files/random-5m", 1000000, random_bytes("patch", 5000));
  w.write_at("files/size-511", 511, random_bytes("append", 10000));
  w.remove("files/size-131071");
  w.rename("files/text-300k", "files/text-renamed");
  w.chmod("perms/owned", 0600);
  w.chown("perms/owned", 4321, 8765);
  for (int i = 0; i < 5000; i += 7) {
    char name[32];
    std::snprintf(name, sizeof name, "bigdir/entry-%05d", i);
    w.remove(name);
  }
  for (int i = 0; i < 50; ++i) w.file("bigdir/new-" + std::to_string(i), random_bytes("new" + std::to_string(i), 64), 0644);
  w.write_at("files/sparse", 50 * kGiB, random_bytes("sparse@50G", 4096));
  w.file("after.txt", text_bytes("after", 2000), 0644);
}

// After @after: the live filesystem differs from both snapshots.
void modify_live(TreeWriter& w) {
  w.file("post.txt", text_bytes("post", 777), 0644);
  w.truncate("files/size-1", 0);
  w.write_at("files/random-5m", 4 * kMiB, random_bytes("late", 100));
}

void modify_clone(TreeWriter& w) {
  w.file("clone-only.txt", text_bytes("clone", 4444), 0644);
  w.write_at("files/size-0", 0, "written in the clone");
  w.remove("bigdir/entry-00001");
}

// What each property dataset holds.
void write_payload(TreeWriter& w, const std::string& name) {
  for (uint64_t n : kSizes) w.file("size-" + std::to_string(n), random_bytes(name + std::to_string(n), n), 0644);
  w.file("random-1m", random_bytes(name + "-1m", kMiB), 0644);
  w.file("text-300k", text_bytes(name, 300 << 10), 0644);
}

void zfs_ok_in(ZfsFuse& zf, const std::vector<std::string>& args) {
  CommandResult r = zf.zfs(args);
  ASSERT_TRUE(r.ok()) << r.describe();
}

// A workspace and a zfs-fuse to write into it; whatever happens, the pool leaves
// zfs-fuse's cache and zfs-fuse stops.
class ZfsFuseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_EQ(missing_tools(), "");
    ws_ = std::make_unique<PoolWorkspace>();
    std::string scratch = ws_->dir() + "/zfs-fuse";
    mkdir(scratch.c_str(), 0755);
    zf_ = std::make_unique<ZfsFuse>(scratch);
    mountbase_ = ws_->dir() + "/zf";
  }

  void TearDown() override {
    if (zf_ && zf_->running()) {
      zf_->zpool({"export", "-f", pool_});  // never leave the pool in zfs-fuse's cache
      EXPECT_EQ(zf_->stop(), "");
    }
    zf_.reset();
    ws_.reset();  // exports what fzpool imported
  }

  // Creates VDEVS file vdevs of 128 MiB (sparse) and, under zfs-fuse, pool_ on them.
  void create_pool(uint64_t version, int vdevs, bool raidz2) {
    CommandResult stale = zf_->zpool({"list", "-H", "-o", "name"});
    if (stale.ok() && stale.out.find(pool_ + "\n") != std::string::npos) {
      zf_->zpool({"export", "-f", pool_});  // left in zfs-fuse's cache by an interrupted run
    }
    std::vector<std::string> args{"create", "-f", "-o", "version=" + std::to_string(version),
                                  "-m", mountbase_ + "/" + pool_, pool_};
    if (raidz2) args.push_back("raidz2");
    for (int i = 0; i < vdevs; ++i) {
      std::string dev = ws_->devices() + "/vdev" + std::to_string(i);
      FILE* f = std::fopen(dev.c_str(), "wx");
      ASSERT_NE(f, nullptr) << dev;
      std::fclose(f);
      ASSERT_EQ(::truncate(dev.c_str(), static_cast<off_t>(128 * kMiB)), 0) << dev;
      args.push_back(dev);
    }
    CommandResult r = zf_->zpool(args);
    ASSERT_TRUE(r.ok()) << r.describe();
  }

  std::unique_ptr<PoolWorkspace> ws_;
  std::unique_ptr<ZfsFuse> zf_;
  std::string pool_, mountbase_;
};

class ZfsFuseOracleTest : public ZfsFuseTest, public ::testing::WithParamInterface<OracleCase> {
 protected:
  void SetUp() override {
    pool_ = "fzorc_" + GetParam().label;
    ZfsFuseTest::SetUp();
  }

  void zfs_ok(const std::vector<std::string>& args) { zfs_ok_in(*zf_, args); }

  std::string oracle_mount(const std::string& dataset) const {
    return mountbase_ + "/" + dataset;  // mountpoints inherit: pool's path + relative name
  }

  // Observes a tree through zfs-fuse and checks the Model against it (the test's own
  // expectation and the oracle must agree before fzfs is judged).
  CheckedTree oracle_view(const std::string& dataset, const Model& model, const std::string& dir) {
    ObserveResult seen = observe(dir);
    EXPECT_TRUE(seen.errors.empty()) << "zfs-fuse " << dir << ":\n" << join(seen.errors);
    std::vector<std::string> diff = compare_model(model, seen.tree);
    EXPECT_TRUE(diff.empty()) << "the oracle (zfs-fuse) disagrees with the model for " << dataset << ":\n"
                              << join(diff);
    return CheckedTree{dataset, model, seen.tree};
  }

  std::map<std::string, std::string> fzfs_mounts() {
    std::map<std::string, std::string> table;
    CommandResult r = ws_->fzfs({"list", "-H", "-t", "filesystem", "-o", "name,mountpoint"});
    EXPECT_TRUE(r.ok()) << r.describe();
    for (const auto& line : lines_of(r.out)) {
      auto tab = line.find('\t');
      if (tab == std::string::npos) continue;
      std::string mp = line.substr(tab + 1);
      if (mp.empty() || mp[0] != '/') continue;
      if (mp.rfind(ws_->altroot(), 0) != 0) mp = ws_->mounted_at(mp);
      table[line.substr(0, tab)] = mp;
    }
    return table;
  }

  void check_through_fzfs(const CheckedTree& t, const std::map<std::string, std::string>& mounts) {
    SCOPED_TRACE("through fzfs: " + t.dataset);
    auto at = t.dataset.find('@');
    auto mount = mounts.find(t.dataset.substr(0, at));
    ASSERT_NE(mount, mounts.end()) << t.dataset << " is not mounted";
    std::string root = mount->second;
    if (at != std::string::npos) root += "/.zfs/snapshot/" + t.dataset.substr(at + 1);
    ObserveResult seen = observe(root);
    EXPECT_TRUE(seen.errors.empty()) << join(seen.errors);
    std::vector<std::string> vs_model = compare_model(t.model, seen.tree);
    EXPECT_TRUE(vs_model.empty()) << "differs from what was written:\n" << join(vs_model);
    std::vector<std::string> vs_oracle = compare_observations(t.oracle, seen.tree);
    EXPECT_TRUE(vs_oracle.empty()) << "differs from zfs-fuse's view:\n" << join(vs_oracle);
    for (const auto& [path, e] : t.model) {
      if (!e.sparse) continue;
      std::vector<std::string> holes = check_sparse(root + "/" + path, e);
      EXPECT_TRUE(holes.empty()) << join(holes);
    }
  }
};

TEST_P(ZfsFuseOracleTest, WrittenByZfsFuseReadByFzfs) {
  const OracleCase& c = GetParam();
  ASSERT_EQ(zf_->start(), "");
  RecordProperty("zfs_fuse_lock_wait_ms", static_cast<int>(zf_->lock_waited().count()));
  ASSERT_NO_FATAL_FAILURE(create_pool(c.version, c.raidz2 ? 4 : 1, c.raidz2));
  const std::string fs = pool_ + "/fs";
  zfs_ok({"set", std::string(kUserProp) + "=pool-value", pool_});
  zfs_ok({"create", fs});
  zfs_ok({"set", std::string(kUserProp) + "=fs-value", fs});

  std::vector<CheckedTree> trees;
  std::map<std::string, PropValues> props;  // dataset -> what `zfs get` must say
  props[pool_] = PropValues{};
  props[fs].user = "fs-value";

  // The main filesystem: @before, modifications, @after, more modifications.
  Model model;
  TreeWriter w(oracle_mount(fs), model);
  write_base(w);
  Model before = model;
  trees.push_back(oracle_view(fs + "@before", model, oracle_mount(fs)));
  zfs_ok({"snapshot", fs + "@before"});
  modify(w);
  trees.push_back(oracle_view(fs + "@after", model, oracle_mount(fs)));
  zfs_ok({"snapshot", fs + "@after"});
  modify_live(w);
  trees.push_back(oracle_view(fs, model, oracle_mount(fs)));

  // A clone of @before, changed after cloning. It inherits from its parent, the pool.
  const std::string clone = pool_ + "/clone";
  zfs_ok({"clone", fs + "@before", clone});
  props[clone] = PropValues{};
  Model clone_model = before;
  TreeWriter cw(oracle_mount(clone), clone_model);
  modify_clone(cw);
  trees.push_back(oracle_view(clone, clone_model, oracle_mount(clone)));

  for (const DatasetSpec& d : property_datasets(c.version)) {
    std::string name = pool_ + "/" + d.name;
    std::vector<std::string> args{"create"};
    for (const auto& o : d.create_options) args.insert(args.end(), {"-o", o});
    args.push_back(name);
    zfs_ok(args);
    props[name] = d.expect;
    Model m;
    TreeWriter pw(oracle_mount(name), m);
    write_payload(pw, d.name);
    trees.push_back(oracle_view(name, m, oracle_mount(name)));
  }

  // The sparse file through zfs-fuse, so that a disagreement below is fzfs's.
  for (const auto& [path, e] : model) {
    if (e.sparse) {
      std::vector<std::string> holes = check_sparse(oracle_mount(fs) + "/" + path, e);
      EXPECT_TRUE(holes.empty()) << "zfs-fuse: " << join(holes);
    }
  }

  std::vector<std::string> names;
  for (const auto& [name, p] : props) names.push_back(name);
  names.push_back(fs + "@before");
  names.push_back(fs + "@after");
  std::sort(names.begin(), names.end());
  CommandResult oracle_list = zf_->zfs({"list", "-H", "-t", "all", "-o", "name", "-r", pool_});
  ASSERT_TRUE(oracle_list.ok()) << oracle_list.describe();
  std::vector<std::string> oracle_names = lines_of(oracle_list.out);
  {
    std::vector<std::string> sorted = oracle_names;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, names) << "zfs-fuse lists other datasets than the test created";
  }
  for (const auto& [name, want] : props) {
    CommandResult r = zf_->zfs({"get", "-H", "-o", "value",
                                std::string("compression,copies,recordsize,checksum,") + kUserProp, name});
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.out, want.joined()) << "zfs-fuse's properties of " << name;
  }

  CommandResult exp = zf_->zpool({"export", pool_});
  ASSERT_TRUE(exp.ok()) << exp.describe();
  ASSERT_EQ(zf_->stop(), "");

  // fzfs's turn.
  // fzpool import -d DEVICES -o readonly=on -R ALTROOT POOL; teardown exports it.
  CommandResult imp = ws_->import_readonly(pool_);
  ASSERT_TRUE(imp.ok()) << imp.describe();

  CommandResult list = ws_->fzfs({"list", "-H", "-t", "all", "-o", "name", "-r", pool_});
  ASSERT_TRUE(list.ok()) << list.describe();
  std::vector<std::string> got = lines_of(list.out);
  std::vector<std::string> got_sorted = got;
  std::sort(got_sorted.begin(), got_sorted.end());
  EXPECT_EQ(got_sorted, names) << "fzfs list -H -t all -o name";
  EXPECT_EQ(got, oracle_names) << "same datasets, not in zfs-fuse's order";

  for (const auto& [name, want] : props) {
    CommandResult r = ws_->fzfs({"get", "-H", "-o", "value",
                                 std::string("compression,copies,recordsize,checksum,") + kUserProp, name});
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.out, want.joined()) << "fzfs get of " << name;
  }

  std::map<std::string, std::string> mounts = fzfs_mounts();
  for (const CheckedTree& t : trees) check_through_fzfs(t, mounts);

  CommandResult done = ws_->export_pool(pool_);
  EXPECT_TRUE(done.ok()) << done.describe();
}

INSTANTIATE_TEST_SUITE_P(PoolVersions, ZfsFuseOracleTest,
                         ::testing::Values(OracleCase{"v1", 1, false}, OracleCase{"v6", 6, false},
                                           OracleCase{"v10", 10, false}, OracleCase{"v15", 15, false},
                                           OracleCase{"v19", 19, false}, OracleCase{"v23", 23, false},
                                           OracleCase{"v23_raidz2", 23, true}),
                         [](const ::testing::TestParamInfo<OracleCase>& i) { return i.param.label; });

// Records that zfs-fuse cannot store extended attributes (so the cases above have none):
// if a later zfs-fuse can, this fails and the workload should grow xattrs.
TEST_F(ZfsFuseTest, XattrsUnsupported) {
  pool_ = "fzorc_xattr";
  ASSERT_EQ(zf_->start(), "");
  ASSERT_NO_FATAL_FAILURE(create_pool(23, 1, false));
  zfs_ok_in(*zf_, {"set", "xattr=on", pool_});
  std::string file = mountbase_ + "/" + pool_ + "/f";
  FILE* g = std::fopen(file.c_str(), "w");
  ASSERT_NE(g, nullptr) << file;
  std::fclose(g);
  int rc = setxattr(file.c_str(), "user.fzfs", "v", 1, 0);
  int err = errno;
  EXPECT_EQ(rc, -1) << "zfs-fuse now stores user xattrs: add them to the oracle workload";
  EXPECT_EQ(err, EOPNOTSUPP) << strerror(err);
}

}  // namespace
}  // namespace fzfs::test
