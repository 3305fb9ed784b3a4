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

#include <chrono>
#include <thread>

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

// Changes a tree through the engine and keeps the Model in step (TreeWriter's twin).
class EngineWriter {
 public:
  EngineWriter(Filesystem& fs, uint64_t root, Model& model) : fs_(fs), root_(root), model_(model) {}

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
    model_[rel] = Expected{S_IFDIR | perm};
  }
  void file(const std::string& rel, const std::string& content, uint32_t perm) {
    auto [d, n] = parent(rel);
    auto a = fs_.create(d, n, S_IFREG | perm, 0, Creds{0, 0});
    ok(a, "create " + rel);
    if (!content.empty()) ok(fs_.write(a->ino, 0, bytes_of(content)), "write " + rel);
    Expected e{S_IFREG | perm};
    e.nlink = 1, e.size = content.size(), e.content = content;
    model_[rel] = e;
  }
  void write_at(const std::string& rel, uint64_t off, const std::string& bytes) {
    ok(fs_.write(obj(rel), off, bytes_of(bytes)), "write " + rel);
    Expected& e = model_.at(rel);
    if (e.content.size() < off + bytes.size()) e.content.resize(off + bytes.size(), '\0');
    e.content.replace(off, bytes.size(), bytes);
    e.size = e.content.size();
    e.mtime.reset();
  }
  void sparse(const std::string& rel, const std::vector<std::pair<uint64_t, std::string>>& extents, uint64_t size) {
    auto [d, n] = parent(rel);
    auto a = fs_.create(d, n, S_IFREG | 0644, 0, Creds{0, 0});
    ok(a, "create " + rel);
    for (const auto& [off, b] : extents) ok(fs_.write(a->ino, off, bytes_of(b)), "write " + rel);
    SetAttr sa;
    sa.size = size;
    ok(fs_.setattr(a->ino, sa), "truncate " + rel);
    Expected e{S_IFREG | 0644};
    e.nlink = 1, e.size = size, e.sparse = true, e.extents = extents;
    model_[rel] = e;
  }
  void truncate(const std::string& rel, uint64_t size) {
    SetAttr sa;
    sa.size = size;
    ok(fs_.setattr(obj(rel), sa), "truncate " + rel);
    Expected& e = model_.at(rel);
    e.content.resize(size, '\0');
    e.size = size;
    e.mtime.reset();
  }
  void symlink(const std::string& rel, const std::string& target) {
    auto [d, n] = parent(rel);
    ok(fs_.symlink(d, n, target, Creds{0, 0}), "symlink " + rel);
    Expected e{S_IFLNK | 0777};
    e.nlink = 1, e.size = target.size(), e.target = target;
    model_[rel] = e;
  }
  void hardlink(const std::string& existing, const std::string& rel) {
    auto [d, n] = parent(rel);
    ok(fs_.link(obj(existing), d, n), "link " + rel);
    Expected& src = model_.at(existing);
    src.nlink = *src.nlink + 1;
    for (auto& [p, e] : model_)
      if (p != existing && e.content == src.content && e.nlink && S_ISREG(e.mode) && same_file(p, existing)) e.nlink = src.nlink;
    model_[rel] = src;
  }
  void node(const std::string& rel, uint32_t type, unsigned maj, unsigned min) {
    auto [d, n] = parent(rel);
    ok(fs_.create(d, n, type | 0640, makedev(maj, min), Creds{0, 0}), "mknod " + rel);
    Expected e{type | 0640};
    e.nlink = 1, e.rdev_major = maj, e.rdev_minor = min;
    model_[rel] = e;
  }
  void chmod(const std::string& rel, uint32_t perm) {
    SetAttr sa;
    sa.mode = perm;
    ok(fs_.setattr(obj(rel), sa), "chmod " + rel);
    Expected& e = model_.at(rel);
    e.mode = (e.mode & S_IFMT) | perm;
  }
  void chown(const std::string& rel, uint32_t uid, uint32_t gid) {
    SetAttr sa;
    sa.uid = uid, sa.gid = gid;
    ok(fs_.setattr(obj(rel), sa), "chown " + rel);
    model_.at(rel).uid = uid, model_.at(rel).gid = gid;
  }
  void set_mtime(const std::string& rel, int64_t mtime) {
    SetAttr sa;
    sa.mtime = Timespec{mtime, 0};
    sa.atime = Timespec{mtime, 0};
    ok(fs_.setattr(obj(rel), sa), "utimens " + rel);
    model_.at(rel).mtime = mtime;
  }
  void remove(const std::string& rel) {
    auto [d, n] = parent(rel);
    Expected e = model_.at(rel);
    if (S_ISDIR(e.mode)) ok(fs_.rmdir(d, n), "rmdir " + rel);
    else ok(fs_.unlink(d, n), "unlink " + rel);
    model_.erase(rel);
    if (e.nlink && *e.nlink > 1)
      for (auto& [p, x] : model_)
        if (same_file(p, rel)) x.nlink = *x.nlink - 1;
  }
  void rename(const std::string& from, const std::string& to) {
    auto [sd, sn] = parent(from);
    auto [td, tn] = parent(to);
    ok(fs_.rename(sd, sn, td, tn, 0), "rename " + from);
    model_.erase(to);
    std::map<std::string, Expected> moved;
    for (auto it = model_.begin(); it != model_.end();) {
      if (it->first == from || it->first.rfind(from + "/", 0) == 0) {
        moved[to + it->first.substr(from.size())] = it->second;
        it = model_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [p, e] : moved) model_[p] = e;
  }

 private:
  bool same_file(const std::string& a, const std::string& b) {
    auto oa = fs_.lookup(parent(a).first, parent(a).second);
    auto ob = fs_.lookup(parent(b).first, parent(b).second);
    return oa.ok() && ob.ok() && *oa == *ob;
  }

  Filesystem& fs_;
  uint64_t root_;
  Model& model_;
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
  EXPECT_TRUE(zf.zpool({"scrub", pool}).ok());
  CommandResult status;
  for (int i = 0; i < 600; i++) {
    status = zf.zpool({"status", "-v", pool});
    if (status.ok() && status.out.find("in progress") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_NE(status.out.find("with 0 errors"), std::string::npos) << status.describe();
  EXPECT_NE(status.out.find("No known data errors"), std::string::npos) << status.describe();
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
