// The ZPL write path through the engine's Filesystem interface on real zfs-fuse pools:
// fzfs imports a copy of a corpus pool read-write, builds a varied tree in it (files of
// many sizes, holes, a directory of 3500 entries, deep paths, renames, overwrites,
// truncates, deletes, links, modes, times, FIFOs and devices), and exports it. Then
//   - fzfs re-imports it and every old snapshot still matches the manifest;
//   - zfs-fuse imports it, scrubs it with 0 errors, and its mount shows exactly the
//     tree the test computed (the Model), byte for byte.
// Labelled "integration"; skips when zfs-fuse or the corpus is absent.
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "engine/pool/block_check.h"
#include "engine/pool/pool.h"
#include "engine/pool/pool_impl.h"
#include "tests/corpus.h"
#include "tests/manifest.h"
#include "tests/oracle_tree.h"
#include "tests/pool_fixture.h"
#include "tests/zfs_fuse.h"

namespace fzfs::test {
namespace {

std::span<const uint8_t> bytes_of(const std::string& s) {
  return std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Changes a tree through the engine and keeps the Model in step (TreeWriter's twin; the
// engine creates everything as root).
class EngineWriter {
 public:
  EngineWriter(Filesystem& fs, uint64_t root, Model& model) : fs_(fs), root_(root), keep_(model) {}

  uint64_t obj(const std::string& rel) {
    uint64_t o = root_;
    size_t pos = 0;
    while (pos < rel.size()) {
      size_t slash = rel.find('/', pos);
      std::string part = rel.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
      auto r = fs_.lookup(o, part);
      if (!r.ok()) throw std::runtime_error(rel + ": " + r.error().message());
      o = *r;
      if (slash == std::string::npos) break;
      pos = slash + 1;
    }
    return o;
  }
  std::pair<uint64_t, std::string> parent(const std::string& rel) {
    size_t slash = rel.rfind('/');
    if (slash == std::string::npos) return {root_, rel};
    return {obj(rel.substr(0, slash)), rel.substr(slash + 1)};
  }
  template <typename R>
  void ok(R r, const std::string& what) {
    if (!r.ok()) throw std::runtime_error(what + ": " + r.error().message());
  }

  void dir(const std::string& rel, uint32_t perm) {
    auto [d, n] = parent(rel);
    ok(fs_.mkdir(d, n, perm, Creds{0, 0}), "mkdir " + rel);
    keep_.add(rel, S_IFDIR | perm, 0, 0);
  }
  void file(const std::string& rel, const std::string& content, uint32_t perm) {
    auto [d, n] = parent(rel);
    auto a = fs_.create(d, n, S_IFREG | perm, 0, Creds{0, 0});
    ok(a, "create " + rel);
    if (!content.empty()) ok(fs_.write(a->ino, 0, bytes_of(content)), "write " + rel);
    Expected& e = keep_.add(rel, S_IFREG | perm, 0, 0);
    e.size = content.size(), e.content = content;
  }
  void write_at(const std::string& rel, uint64_t off, const std::string& bytes) {
    ok(fs_.write(obj(rel), off, bytes_of(bytes)), "write " + rel);
    keep_.write_at(rel, off, bytes);
  }
  void sparse(const std::string& rel, const std::vector<std::pair<uint64_t, std::string>>& extents, uint64_t size) {
    auto [d, n] = parent(rel);
    auto a = fs_.create(d, n, S_IFREG | 0644, 0, Creds{0, 0});
    ok(a, "create " + rel);
    for (const auto& [off, b] : extents) ok(fs_.write(a->ino, off, bytes_of(b)), "write " + rel);
    SetAttr sa;
    sa.size = size;
    ok(fs_.setattr(a->ino, sa), "truncate " + rel);
    Expected& e = keep_.add(rel, S_IFREG | 0644, 0, 0);
    e.size = size, e.sparse = true, e.extents = extents;
  }
  void truncate(const std::string& rel, uint64_t size) {
    SetAttr sa;
    sa.size = size;
    ok(fs_.setattr(obj(rel), sa), "truncate " + rel);
    keep_.truncate(rel, size);
  }
  void symlink(const std::string& rel, const std::string& target) {
    auto [d, n] = parent(rel);
    ok(fs_.symlink(d, n, target, Creds{0, 0}), "symlink " + rel);
    Expected& e = keep_.add(rel, S_IFLNK | 0777, 0, 0);
    e.size = target.size(), e.target = target;
  }
  void hardlink(const std::string& existing, const std::string& rel) {
    auto [d, n] = parent(rel);
    ok(fs_.link(obj(existing), d, n), "link " + rel);
    keep_.hardlink(existing, rel);
  }
  void node(const std::string& rel, uint32_t type, unsigned maj, unsigned min) {
    auto [d, n] = parent(rel);
    ok(fs_.create(d, n, type | 0640, makedev(maj, min), Creds{0, 0}), "mknod " + rel);
    Expected& e = keep_.add(rel, type | 0640, 0, 0);
    e.rdev_major = maj, e.rdev_minor = min;
  }
  void chmod(const std::string& rel, uint32_t perm) {
    SetAttr sa;
    sa.mode = perm;
    ok(fs_.setattr(obj(rel), sa), "chmod " + rel);
    keep_.chmod(rel, perm);
  }
  void chown(const std::string& rel, uint32_t uid, uint32_t gid) {
    SetAttr sa;
    sa.uid = uid, sa.gid = gid;
    ok(fs_.setattr(obj(rel), sa), "chown " + rel);
    keep_.chown(rel, uid, gid);
  }
  void set_mtime(const std::string& rel, int64_t mtime) {
    SetAttr sa;
    sa.mtime = Timespec{mtime, 0};
    sa.atime = Timespec{mtime, 0};
    ok(fs_.setattr(obj(rel), sa), "utimens " + rel);
    keep_.set_mtime(rel, mtime);
  }
  void remove(const std::string& rel) {
    auto [d, n] = parent(rel);
    if (S_ISDIR(keep_.at(rel).mode)) ok(fs_.rmdir(d, n), "rmdir " + rel);
    else ok(fs_.unlink(d, n), "unlink " + rel);
    keep_.remove(rel);
  }
  void rename(const std::string& from, const std::string& to) {
    auto [sd, sn] = parent(from);
    auto [td, tn] = parent(to);
    ok(fs_.rename(sd, sn, td, tn, 0), "rename " + from);
    keep_.rename(from, to);
  }

 private:
  Filesystem& fs_;
  uint64_t root_;
  ModelKeeper keep_;
};

// The workload: everything issue 3's first done-when item lists, under "w/".
void build_tree(EngineWriter& w) {
  w.dir("w", 0755);
  const size_t sizes[] = {0, 1, 511, 512, 513, 4095, 4096, 4097, 131071, 131072, 131073, 1000003, 3 << 20};
  for (size_t s : sizes) w.file("w/size-" + std::to_string(s), random_bytes("s" + std::to_string(s), s), 0644);
  w.file("w/text", text_bytes("text", 200000), 0600);
  w.sparse("w/sparse", {{0, random_bytes("sp0", 5000)}, {50 << 20, random_bytes("sp1", 70000)}}, 200 << 20);
  w.dir("w/big", 0755);
  for (int i = 0; i < 3500; i++) w.file(fmt::format("w/big/entry-{:05d}-{}", i, std::string(i % 40, 'x')), i % 7 ? "" : random_bytes("b" + std::to_string(i), i), 0644);
  std::string deep = "w";
  for (int i = 0; i < 24; i++) {
    deep += "/d" + std::to_string(i);
    w.dir(deep, 0755);
  }
  w.file(deep + "/leaf", "deep leaf\n", 0644);
  // Renames: in place, across directories, over an existing file, a directory.
  w.file("w/r1", "first", 0644);
  w.rename("w/r1", "w/r1-renamed");
  w.dir("w/rdir", 0755);
  w.rename("w/r1-renamed", "w/rdir/r1");
  w.file("w/victim", "to be replaced", 0644);
  w.file("w/replacer", "replacement", 0644);
  w.rename("w/replacer", "w/victim");
  w.rename("w/d0", "w/rdir/d0-moved");
  // Overwrites and truncates.
  w.write_at("w/size-131073", 1000, random_bytes("ow1", 70000));
  w.write_at("w/size-1000003", 999000, random_bytes("ow2", 9000));
  w.truncate("w/size-3145728", 200000);
  w.truncate("w/size-4096", 10000);
  w.truncate("w/text", 0);
  // Deletes, some of them in the big directory.
  for (int i = 0; i < 3500; i += 9) w.remove(fmt::format("w/big/entry-{:05d}-{}", i, std::string(i % 40, 'x')));
  w.remove("w/size-513");
  // Links, symlinks, special files, modes, owners, times.
  w.file("w/linked", "shared bytes", 0644);
  w.hardlink("w/linked", "w/rdir/link2");
  w.hardlink("w/linked", "w/link3");
  w.symlink("w/sym-short", "size-1");
  w.symlink("w/sym-long", std::string(200, 'L') + "/target");
  w.node("w/fifo", S_IFIFO, 0, 0);
  w.node("w/chr", S_IFCHR, 4, 64);
  w.node("w/blk", S_IFBLK, 8, 1);
  w.chmod("w/size-1", 0600);
  w.chmod("w/rdir", 0750);
  w.chown("w/size-512", 1234, 5678);
  w.set_mtime("w/size-4095", 1234567890);
  w.set_mtime("w/rdir/r1", 987654321);
}

class RwEngine : public ::testing::TestWithParam<std::string> {};

TEST_P(RwEngine, ZfsFuseSeesExactlyTheTreeFzfsWrote) {
  const std::string pool = GetParam();
  if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
  const PoolCase* pc = nullptr;
  auto cases = zfs_fuse_pools();
  for (const auto& c : cases)
    if (c.pool == pool) pc = &c;
  if (!pc) GTEST_SKIP() << "corpus pool " << pool << " absent";
  PoolManifest manifest = load_manifest(pc->manifest);
  const std::string dataset = pool + "/data";
  PoolWorkspace ws;
  for (const auto& src : pc->sources) ws.unpack(src);

  Model model;
  {
    ImportOptions opts{{ws.devices()}, pool};
    opts.readonly = false;
    auto p = Pool::import(opts);
    ASSERT_TRUE(p.ok()) << p.error().message();
    ASSERT_FALSE((*p)->readonly());
    auto fs = (*p)->open_filesystem(dataset);
    ASSERT_TRUE(fs.ok()) << fs.error().message();
    ASSERT_FALSE((*fs)->readonly());
    EngineWriter w(**fs, (*fs)->root_object(), model);
    try {
      build_tree(w);
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    Status s = (*p)->export_pool();
    ASSERT_TRUE(s.ok()) << s.error().message();
  }
  // Model paths relative to w/.
  Model want;
  for (const auto& [p, e] : model)
    if (p.rfind("w/", 0) == 0) want[p.substr(2)] = e;
  want[""] = model.at("w");

  {
    ImportOptions opts{{ws.devices()}, pool};
    auto ro = Pool::import(opts);
    ASSERT_TRUE(ro.ok()) << ro.error().message();
    // The snapshots zfs-fuse took before still hold exactly their bytes: what fzfs
    // stopped referencing went to the dead list, not back to free space.
    for (const auto& d : manifest.datasets) {
      if (!d.is_snapshot() || !d.files) continue;
      auto snap = (*ro)->open_filesystem(d.name);
      ASSERT_TRUE(snap.ok()) << d.name;
      EngineWriter reader(**snap, (*snap)->root_object(), model);
      for (const auto& [p, e] : *d.files) {
        if (!e.sha256 || !e.size) continue;
        std::string bytes(*e.size, '\0');
        auto n = (*snap)->read(reader.obj(p), 0, std::span(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size()));
        ASSERT_TRUE(n.ok()) << d.name << "/" << p;
        EXPECT_EQ(sha256_hex(bytes), *e.sha256) << d.name << "/" << p;
      }
    }
    auto* impl = dynamic_cast<PoolImpl*>(ro->get());
    auto report = check_block_allocation(*impl);
    ASSERT_TRUE(report.ok()) << report.error().message();
    EXPECT_TRUE(report->clean()) << "leaked " << report->leaked_bytes << " unallocated " << report->unallocated_bytes
                                 << " double " << report->double_bytes << ": "
                                 << (report->problems.empty() ? "" : report->problems[0]);
  }

  const std::string scratch = ws.dir() + "/zfs-fuse";
  mkdir(scratch.c_str(), 0755);
  ZfsFuse zf(scratch);
  ASSERT_EQ(zf.start(), "");
  CommandResult imp = zf.zpool({"import", "-d", ws.devices(), "-R", ws.altroot(), pool});
  ASSERT_TRUE(imp.ok()) << imp.describe();
  CommandResult status = zf.scrub_and_wait(pool);
  EXPECT_TRUE(status.ok()) << status.describe();
  CommandResult mp = zf.zfs({"get", "-H", "-o", "value", "mountpoint", dataset});
  ASSERT_TRUE(mp.ok()) << mp.describe();
  const std::string root = mp.out.substr(0, mp.out.find('\n')) + "/w";
  ObserveResult seen = observe(root);
  EXPECT_TRUE(seen.errors.empty()) << seen.errors.front();
  EXPECT_EQ(seen.tree.size(), want.size()) << "entries under w/ as zfs-fuse sees them";
  EXPECT_GT(want.size(), 3000u);
  auto diffs = compare_model(want, seen.tree);
  for (const auto& d : diffs) ADD_FAILURE() << d;
  for (const auto& [p, e] : want)
    if (e.sparse)
      for (const auto& d : check_sparse(root + "/" + p, e)) ADD_FAILURE() << d;
  CommandResult exp = zf.zpool({"export", pool});
  EXPECT_TRUE(exp.ok()) << exp.describe();
  if (!exp.ok()) zf.zpool({"export", "-f", pool});
  EXPECT_EQ(zf.stop(), "");
}

INSTANTIATE_TEST_SUITE_P(ZfsFuse, RwEngine, ::testing::Values("zf-stripe", "zf-mirror", "zf-raidz1", "zf-raidz2", "zf-raidz3"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace fzfs::test
