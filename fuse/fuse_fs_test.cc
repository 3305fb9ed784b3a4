// FuseFs over a writable fake, without a kernel: the rules the FUSE layer adds on top of
// the Filesystem interface (owner, umask, setgid, EROFS/EXDEV, name length, lookup
// counts, listings after rewind). tests/fuse_fake_test.cc checks them through a mount.
#include "fuse/fuse_fs.h"

#include <sys/stat.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "tests/fake_pool.h"

namespace fzfs::fuse {
namespace {

using fzfs::testing::FakeFilesystem;
using fzfs::testing::FakePool;

class FuseFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = std::make_unique<FakePool>("fk");
    fake_ = pool_->add_filesystem("fk/rw");
    fake_->add_file(FakeFilesystem::kRoot, "old", "old");
    pool_->add_snapshot("fk/rw", "s1");
    fake_->set_writable(true);
    SnapshotSource snaps{
        [this] { return pool_->snapshots_of("fk/rw"); },
        [this](const std::string& s) { return pool_->open_filesystem("fk/rw@" + s); }};
    fs_ = std::make_unique<FuseFs>(fake_, snaps, false);
  }
  static constexpr uint64_t kRootId = 1;

  std::unique_ptr<FakePool> pool_;
  std::shared_ptr<FakeFilesystem> fake_;
  std::unique_ptr<FuseFs> fs_;
};

TEST_F(FuseFsTest, NewFilesBelongToTheCallerWithTheUmaskApplied) {
  const Caller c{1000, 2000, 022};
  auto f = fs_->create(kRootId, "f", S_IFREG | 0666, 0, c);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->attr.mode, S_IFREG | 0644u);
  EXPECT_EQ(f->attr.uid, 1000u);
  EXPECT_EQ(f->attr.gid, 2000u);
  EXPECT_EQ(f->id, f->attr.ino);  // tree 0, not the root: the id is the object number
  auto d = fs_->mkdir(kRootId, "d", 0777, c);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->attr.mode, S_IFDIR | 0755u);
  auto fifo = fs_->create(kRootId, "p", S_IFIFO | 0666, 123, c);
  ASSERT_TRUE(fifo.ok());
  EXPECT_EQ(fifo->attr.mode, S_IFIFO | 0644u);
  EXPECT_EQ(fifo->attr.rdev, 0u) << "rdev only for devices";
  auto dev = fs_->create(kRootId, "c", S_IFCHR | 0600, 0x0103, c);
  ASSERT_TRUE(dev.ok());
  EXPECT_EQ(dev->attr.rdev, 0x0103u);
  EXPECT_EQ(fs_->create(kRootId, "x", S_IFDIR | 0755, 0, c).error().code(), EINVAL);
  EXPECT_EQ(fs_->create(kRootId, "f", S_IFREG | 0666, 0, c).error().code(), EEXIST);
}

TEST_F(FuseFsTest, SetgidDirectoryPassesItsGroupAndItsBitToDirectories) {
  auto g = fs_->mkdir(kRootId, "g", 0775, Caller{0, 0, 0});
  ASSERT_TRUE(g.ok());
  SetAttr a;
  a.gid = 777;
  a.mode = 02775;
  ASSERT_TRUE(fs_->setattr(g->id, a).ok());
  const Caller c{1000, 2000, 0};
  auto f = fs_->create(g->id, "f", S_IFREG | 0644, 0, c);
  auto d = fs_->mkdir(g->id, "d", 0755, c);
  auto l = fs_->symlink(g->id, "l", "f", c);
  ASSERT_TRUE(f.ok() && d.ok() && l.ok());
  EXPECT_EQ(f->attr.gid, 777u);
  EXPECT_EQ(f->attr.mode, S_IFREG | 0644u);
  EXPECT_EQ(d->attr.gid, 777u);
  EXPECT_EQ(d->attr.mode, S_IFDIR | 02755u);
  EXPECT_EQ(l->attr.gid, 777u);
  EXPECT_EQ(l->attr.uid, 1000u);
}

TEST_F(FuseFsTest, SnapshotsAndDotZfsRefuseChangesAndTreesDoNotMix) {
  auto snap = fs_->lookup(kRootId, ".zfs");
  ASSERT_TRUE(snap.ok());
  auto snapdir = fs_->lookup(snap->id, "snapshot");
  ASSERT_TRUE(snapdir.ok());
  auto s1 = fs_->lookup(snapdir->id, "s1");
  ASSERT_TRUE(s1.ok());
  auto old = fs_->lookup(s1->id, "old");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(fs_->mutable_node(s1->id));
  EXPECT_TRUE(fs_->mutable_node(kRootId));
  const Caller c{};
  EXPECT_EQ(fs_->create(s1->id, "n", S_IFREG | 0644, 0, c).error().code(), EROFS);
  EXPECT_EQ(fs_->mkdir(snapdir->id, "s2", 0755, c).error().code(), EROFS);
  EXPECT_EQ(fs_->unlink(s1->id, "old").error().code(), EROFS);
  EXPECT_EQ(fs_->setattr(old->id, SetAttr{}).error().code(), EROFS);
  const uint8_t byte = 1;
  EXPECT_EQ(fs_->write(old->id, 0, {&byte, 1}).error().code(), EROFS);
  EXPECT_EQ(fs_->setxattr(old->id, "user.a", {&byte, 1}, 0).error().code(), EROFS);
  EXPECT_TRUE(fs_->fsync(old->id, false).ok());
  EXPECT_EQ(fs_->rename(s1->id, "old", kRootId, "x", 0).error().code(), EXDEV);
  EXPECT_EQ(fs_->rename(kRootId, "old", s1->id, "x", 0).error().code(), EXDEV);
  EXPECT_EQ(fs_->link(old->id, kRootId, "x").error().code(), EXDEV);
  EXPECT_EQ(fs_->rename(kRootId, "old", kRootId, "x", 4 /* RENAME_WHITEOUT */).error().code(), EINVAL);
  EXPECT_TRUE(fs_->rename(kRootId, "old", kRootId, "new", 0).ok());
}

TEST_F(FuseFsTest, NamesLongerThan255BytesAreEnametoolong) {
  const std::string ok(255, 'a'), too_long(256, 'a');
  EXPECT_TRUE(fs_->create(kRootId, ok, S_IFREG | 0644, 0, {}).ok());
  EXPECT_EQ(fs_->create(kRootId, too_long, S_IFREG | 0644, 0, {}).error().code(), ENAMETOOLONG);
  EXPECT_EQ(fs_->lookup(kRootId, too_long).error().code(), ENAMETOOLONG);
  EXPECT_EQ(fs_->rename(kRootId, ok, kRootId, too_long, 0).error().code(), ENAMETOOLONG);
  EXPECT_EQ(fs_->unlink(kRootId, too_long).error().code(), ENAMETOOLONG);
}

TEST_F(FuseFsTest, ForgetReachesTheFileSystemWhenTheCountDropsToZero) {
  auto f = fs_->create(kRootId, "f", S_IFREG | 0644, 0, {});
  ASSERT_TRUE(f.ok());
  fs_->remember(f->id);
  fs_->remember(f->id);
  ASSERT_TRUE(fs_->unlink(kRootId, "f").ok());
  EXPECT_TRUE(fake_->exists(f->attr.ino)) << "unlinked but still referenced";
  fs_->forget(f->id, 1);
  EXPECT_TRUE(fake_->forgotten().empty());
  fs_->forget(f->id, 1);
  EXPECT_EQ(fake_->forgotten(), std::vector<uint64_t>{f->attr.ino});
  EXPECT_FALSE(fake_->exists(f->attr.ino));
  // The root is never released; unknown ids are ignored; too many forgets are noticed.
  fs_->remember(kRootId);
  fs_->forget(kRootId, 1);
  fs_->forget(12345, 3);
  EXPECT_EQ(fake_->forgotten().size(), 1u);
  EXPECT_EQ(fs_->lookup_overdrops(), 0u);
  auto g = fs_->create(kRootId, "g", S_IFREG | 0644, 0, {});
  fs_->remember(g->id);
  fs_->forget(g->id, 2);
  EXPECT_EQ(fs_->lookup_overdrops(), 1u);
  // At the end of the session everything still held is forgotten.
  auto h = fs_->create(kRootId, "h", S_IFREG | 0644, 0, {});
  fs_->remember(h->id);
  fs_->shutdown();
  auto all = fake_->forgotten();
  EXPECT_NE(std::find(all.begin(), all.end(), h->attr.ino), all.end());
  EXPECT_EQ(fs_->lookup_count(h->id), 0u);
}

TEST_F(FuseFsTest, ListingIsTakenAgainWhenReadFromTheStartOnceMore) {
  auto first = fs_->list(kRootId);
  ASSERT_TRUE(first.ok());
  const uint64_t fh = fs_->open_handle(std::move(*first));
  auto names = [&](int64_t off) {
    std::vector<std::string> out;
    auto l = fs_->listing_at(fh, kRootId, off);
    EXPECT_TRUE(l.ok());
    for (const auto& e : **l) out.push_back(e.name);
    return out;
  };
  ASSERT_TRUE(fs_->create(kRootId, "later", S_IFREG | 0644, 0, {}).ok());
  const auto pass1 = names(0);  // the listing taken at opendir
  EXPECT_EQ(std::count(pass1.begin(), pass1.end(), "later"), 0);
  EXPECT_EQ(names(2), pass1) << "continuing a pass keeps its listing";
  const auto pass2 = names(0);  // rewinddir
  EXPECT_EQ(std::count(pass2.begin(), pass2.end(), "later"), 1);
  fs_->close_handle(fh);
  EXPECT_EQ(fs_->listing_at(fh, kRootId, 0).error().code(), EBADF);
}

}  // namespace
}  // namespace fzfs::fuse
