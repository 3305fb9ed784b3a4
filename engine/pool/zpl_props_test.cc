// Dataset properties acting on a live read-write file system:
// reads and listings store atimes by the relatime rule (and not at all with atime=off),
// the stored atime survives export and import, and xattr=off turns user attributes
// off (EOPNOTSUPP), readonly=on refuses every change (EROFS) and recordsize applies to
// files that are still one block, each change taking effect on the open file system at
// `zfs set`.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/pool/pool.h"

namespace fzfs {

// For EXPECT_EQ on times (found by argument lookup, so outside the unnamed namespace).
static bool operator==(const Timespec& a, const Timespec& b) { return a.sec == b.sec && a.nsec == b.nsec; }

namespace {

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "fzfs-zplprops-XXXXXX").string();
    dir_ = mkdtemp(t.data());
  }
  ~TempDir() {
    if (!std::getenv("FZFS_TEST_KEEP")) std::filesystem::remove_all(dir_);
  }
  const std::string& path() const { return dir_; }

 private:
  std::string dir_;
};

bool later(const Timespec& a, const Timespec& b) { return a.sec > b.sec || (a.sec == b.sec && a.nsec > b.nsec); }
std::string str(const Timespec& t) { return std::to_string(t.sec) + "." + std::to_string(t.nsec); }

std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

class ZplProps : public ::testing::TestWithParam<uint64_t> {
 protected:
  void SetUp() override {
    std::string dev = tmp_.path() + "/d0";
    FILE* f = fopen(dev.c_str(), "w");
    fclose(f);
    std::filesystem::resize_file(dev, 96ull << 20);
    CreateOptions opts;
    opts.pool = "zp";
    opts.vdevs = {dev};
    opts.pool_props["version"] = std::to_string(GetParam());
    auto r = Pool::create(opts);
    ASSERT_TRUE(r.ok()) << r.error().message();
    import(false);
  }
  void import(bool readonly) {
    ImportOptions io{{tmp_.path()}, "zp"};
    io.readonly = readonly;
    auto p = Pool::import(io);
    ASSERT_TRUE(p.ok()) << p.error().message();
    pool_ = std::move(*p);
    auto fs = pool_->open_filesystem("zp");
    ASSERT_TRUE(fs.ok()) << fs.error().message();
    fs_ = *fs;
  }
  void set(const std::string& prop, const std::string& value) {
    Status s = pool_->set_property("zp", prop, value);
    ASSERT_TRUE(s.ok()) << s.error().message();
  }
  Attr attr(uint64_t obj) {
    auto a = fs_->getattr(obj);
    EXPECT_TRUE(a.ok()) << a.error().message();
    return a.ok() ? *a : Attr{};
  }
  void read_all(uint64_t obj) {
    std::vector<uint8_t> buf(4096);
    auto n = fs_->read(obj, 0, buf);
    ASSERT_TRUE(n.ok()) << n.error().message();
  }
  void list(uint64_t dir) {
    Status s = fs_->readdir(dir, 0, [](const DirEntry&) { return true; });
    ASSERT_TRUE(s.ok()) << s.error().message();
  }
  uint64_t make_file(const std::string& name, const std::string& data) {
    auto a = fs_->create(fs_->root_object(), name, S_IFREG | 0644, 0, Creds{geteuid(), getegid()});
    EXPECT_TRUE(a.ok()) << a.error().message();
    if (!a.ok()) return 0;
    auto n = fs_->write(a->ino, 0, bytes(data));
    EXPECT_TRUE(n.ok()) << n.error().message();
    return a->ino;
  }

  TempDir tmp_;
  std::unique_ptr<Pool> pool_;
  std::shared_ptr<Filesystem> fs_;
};

TEST_P(ZplProps, ReadsStoreAtimeByTheRelatimeRule) {
  const uint64_t f = make_file("f", "some bytes");
  const Attr written = attr(f);
  ASSERT_FALSE(later(written.atime, written.mtime));  // created, then written: atime <= mtime

  read_all(f);
  const Attr first = attr(f);
  EXPECT_TRUE(later(first.atime, written.mtime)) << str(first.atime) << " vs mtime " << str(written.mtime);
  EXPECT_EQ(first.mtime, written.mtime);
  EXPECT_EQ(first.ctime, written.ctime) << "an access is not a change";

  // Read again within 24 hours, nothing changed in between: the atime stays.
  read_all(f);
  EXPECT_EQ(attr(f).atime, first.atime);

  // A write moves mtime past the atime: the next read is recorded again.
  ASSERT_TRUE(fs_->write(f, 0, bytes("more")).ok());
  const Attr rewritten = attr(f);
  read_all(f);
  EXPECT_TRUE(later(attr(f).atime, rewritten.mtime));

  // Listing a directory is an access of it; the root changed when "f" was added.
  const uint64_t root = fs_->root_object();
  const Attr root0 = attr(root);
  ASSERT_FALSE(later(root0.atime, root0.mtime));
  list(root);
  const Attr root1 = attr(root);
  EXPECT_TRUE(later(root1.atime, root0.mtime));
  list(root);
  EXPECT_EQ(attr(root).atime, root1.atime);
}

TEST_P(ZplProps, AtimeOffStoresNothingAndOnResumes) {
  const uint64_t f = make_file("f", "data");
  const uint64_t root = fs_->root_object();
  set("atime", "off");
  const Attr before = attr(f), root_before = attr(root);
  read_all(f);
  list(root);
  EXPECT_EQ(attr(f).atime, before.atime);
  EXPECT_EQ(attr(root).atime, root_before.atime);

  // An explicit atime (utimensat) is stored whatever the property says.
  SetAttr sa;
  sa.atime = Timespec{1000000000, 5};
  auto set_attr = fs_->setattr(f, sa);
  ASSERT_TRUE(set_attr.ok()) << set_attr.error().message();
  EXPECT_EQ(attr(f).atime, (Timespec{1000000000, 5}));

  // Back on (inherited default) on the live file system: the explicit atime is older
  // than the ctime that setattr moved, so the next read records a new one.
  Status s = pool_->inherit_property("zp", "atime");
  ASSERT_TRUE(s.ok()) << s.error().message();
  const Attr changed = attr(f);
  read_all(f);
  EXPECT_TRUE(later(attr(f).atime, changed.ctime));
}

TEST_P(ZplProps, RelatimeOffStoresEveryAccess) {
  const uint64_t f = make_file("f", "data");
  read_all(f);
  const Attr first = attr(f);
  ASSERT_TRUE(later(first.atime, first.mtime));
  // relatime=on (the default): a second read within a day keeps the atime.
  read_all(f);
  ASSERT_EQ(attr(f).atime, first.atime);

  // relatime=off on the live file system: every access is stored ("strictatime").
  set("relatime", "off");
  auto all = pool_->datasets();
  ASSERT_TRUE(all.ok()) << all.error().message();
  ASSERT_FALSE(all->empty());
  EXPECT_EQ(all->front().props.at("relatime").value, "off") << "zfs get shows what was set";
  read_all(f);
  const Attr second = attr(f);
  EXPECT_TRUE(later(second.atime, first.atime)) << str(second.atime) << " vs " << str(first.atime);
  read_all(f);
  EXPECT_TRUE(later(attr(f).atime, second.atime));
}

TEST_P(ZplProps, StoredAtimeSurvivesExportAndImport) {
  const uint64_t f = make_file("f", "data");
  read_all(f);
  const Attr read = attr(f);
  ASSERT_TRUE(later(read.atime, read.mtime));
  fs_.reset();
  Status s = pool_->export_pool();
  ASSERT_TRUE(s.ok()) << s.error().message();
  pool_.reset();
  import(true);
  auto again = fs_->lookup(fs_->root_object(), "f");
  ASSERT_TRUE(again.ok()) << again.error().message();
  const Attr imported = attr(*again);
  EXPECT_EQ(imported.atime, read.atime);
  EXPECT_EQ(imported.mtime, read.mtime);
  // A read-only import never stores an atime.
  read_all(*again);
  EXPECT_EQ(attr(*again).atime, read.atime);
}

TEST_P(ZplProps, XattrOffRefusesUserAttributes) {
  const uint64_t f = make_file("f", "data");
  ASSERT_TRUE(fs_->setxattr(f, "user.kept", bytes("v1"), 0).ok());

  set("xattr", "off");
  auto code = [](const Status& s) { return s.ok() ? 0 : s.error().code(); };
  EXPECT_EQ(code(fs_->setxattr(f, "user.new", bytes("v2"), 0)), EOPNOTSUPP);
  EXPECT_EQ(code(fs_->removexattr(f, "user.kept")), EOPNOTSUPP);
  auto got = fs_->getxattr(f, "user.kept");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code(), EOPNOTSUPP);
  auto names = fs_->listxattr(f);
  ASSERT_TRUE(names.ok()) << names.error().message();
  EXPECT_TRUE(names->empty()) << (*names)[0];

  set("xattr", "on");
  got = fs_->getxattr(f, "user.kept");
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(std::string(got->begin(), got->end()), "v1");
  ASSERT_TRUE(fs_->setxattr(f, "user.new", bytes("v2"), 0).ok());
  names = fs_->listxattr(f);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"user.kept", "user.new"}));
  EXPECT_TRUE(fs_->removexattr(f, "user.kept").ok());
}

TEST_P(ZplProps, ReadonlyOnRefusesChangesOnTheLiveFileSystem) {
  const uint64_t f = make_file("f", "data");
  const uint64_t root = fs_->root_object();
  set("readonly", "on");
  const Attr before = attr(f);
  auto code = [](const auto& r) { return r.ok() ? 0 : r.error().code(); };
  const Creds me{geteuid(), getegid()};
  EXPECT_EQ(code(fs_->create(root, "g", S_IFREG | 0644, 0, me)), EROFS);
  EXPECT_EQ(code(fs_->mkdir(root, "d", 0755, me)), EROFS);
  EXPECT_EQ(code(fs_->write(f, 0, bytes("x"))), EROFS);
  EXPECT_EQ(code(fs_->unlink(root, "f")), EROFS);
  EXPECT_EQ(code(fs_->rename(root, "f", root, "h", 0)), EROFS);
  SetAttr sa;
  sa.mode = 0600;
  EXPECT_EQ(code(fs_->setattr(f, sa)), EROFS);
  EXPECT_EQ(code(fs_->setxattr(f, "user.a", bytes("v"), 0)), EROFS);
  // Reads still work and store no atime, as on a read-only mount.
  std::vector<uint8_t> buf(16);
  auto n = fs_->read(f, 0, buf);
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(std::string(buf.begin(), buf.begin() + *n), "data");
  EXPECT_EQ(attr(f).atime, before.atime);
  EXPECT_EQ(attr(f).mode, before.mode);

  set("readonly", "off");
  auto g = fs_->create(root, "g", S_IFREG | 0644, 0, me);
  ASSERT_TRUE(g.ok()) << g.error().message();
  ASSERT_TRUE(fs_->write(f, 0, bytes("DATA")).ok());
}

// As in ZFS, a recordsize change applies at once to files that still have one block:
// they grow up to the new size; files already made of several blocks keep theirs.
TEST_P(ZplProps, RecordsizeChangeActsOnTheLiveFileSystem) {
  const std::string kib100(100 * 1024, 'r');
  const uint64_t big = make_file("big", kib100);  // one 100 KiB block under the default 128K
  EXPECT_EQ(attr(big).blksize, 100u * 1024);
  set("recordsize", "16K");
  const uint64_t small = make_file("small", kib100);
  EXPECT_EQ(attr(small).blksize, 16u * 1024);
  EXPECT_EQ(attr(big).blksize, 100u * 1024);
  set("recordsize", "128K");
  const uint64_t grown = make_file("grown", "x");
  ASSERT_TRUE(fs_->write(grown, 0, bytes(kib100)).ok());
  EXPECT_EQ(attr(grown).blksize, 100u * 1024);
  ASSERT_TRUE(fs_->write(small, 200 * 1024, bytes("tail")).ok());
  EXPECT_EQ(attr(small).blksize, 16u * 1024) << "a file of several blocks keeps its block size";
  std::vector<uint8_t> buf(kib100.size());
  auto n = fs_->read(small, 0, buf);
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(std::string(buf.begin(), buf.end()), kib100);
}

// Version 23: old znodes (zfs-fuse's pools); version 28: system attributes.
INSTANTIATE_TEST_SUITE_P(Versions, ZplProps, ::testing::Values(uint64_t{23}, uint64_t{28}),
                         [](const ::testing::TestParamInfo<uint64_t>& i) { return "v" + std::to_string(i.param); });

}  // namespace
}  // namespace fzfs
