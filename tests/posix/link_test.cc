// link(2), linkat(2): hard links share the inode, count links, touch the right times.
#include <fcntl.h>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Link = PosixTest;

TEST_F(Link, BothNamesReachTheSameInodeAndData) {
  write_file(path("a"), "shared bytes");
  ASSERT_OK(::link(path("a").c_str(), path("b").c_str()));
  struct stat a = stat_of(path("a"));
  struct stat b = stat_of(path("b"));
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(2u, a.st_nlink);
  EXPECT_EQ(2u, b.st_nlink);
  write_file(path("b"), "changed through b");
  EXPECT_EQ("changed through b", read_file(path("a")));
}

TEST_F(Link, CountsUpAndDownWithLinksAndUnlinks) {
  write_file(path("f"));
  for (int i = 1; i <= 5; ++i) {
    ASSERT_OK(::link(path("f").c_str(), path("l" + std::to_string(i)).c_str()));
    EXPECT_EQ(static_cast<nlink_t>(i + 1), stat_of(path("f")).st_nlink);
  }
  for (int i = 5; i >= 1; --i) {
    ASSERT_OK(::unlink(path("l" + std::to_string(i)).c_str()));
    EXPECT_EQ(static_cast<nlink_t>(i), stat_of(path("f")).st_nlink);
  }
}

TEST_F(Link, AcrossDirectories) {
  ASSERT_OK(::mkdir(path("d1").c_str(), 0755));
  ASSERT_OK(::mkdir(path("d2").c_str(), 0755));
  write_file(path("d1/f"), "x");
  EXPECT_OK(::link(path("d1/f").c_str(), path("d2/g").c_str()));
  EXPECT_EQ(stat_of(path("d1/f")).st_ino, stat_of(path("d2/g")).st_ino);
  EXPECT_EQ(std::multiset<std::string>{"g"}, list_dir(path("d2")));
}

TEST_F(Link, UpdatesFileCtimeAndParentMtimeAndCtime) {
  write_file(path("f"));
  struct stat file_before = stat_of(path("f"));
  struct stat dir_before = stat_of(dir());
  tick();
  ASSERT_OK(::link(path("f").c_str(), path("g").c_str()));
  struct stat file_after = stat_of(path("f"));
  struct stat dir_after = stat_of(dir());
  EXPECT_TRUE(later(file_after.st_ctim, file_before.st_ctim));
  EXPECT_EQ(file_before.st_mtim, file_after.st_mtim);
  EXPECT_TRUE(later(dir_after.st_mtim, dir_before.st_mtim));
  EXPECT_TRUE(later(dir_after.st_ctim, dir_before.st_ctim));
}

TEST_F(Link, ExistingNewNameIsEexist) {
  write_file(path("a"), "a");
  write_file(path("b"), "b");
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  ASSERT_OK(::symlink("nowhere", path("dangling").c_str()));
  EXPECT_ERRNO(EEXIST, ::link(path("a").c_str(), path("b").c_str()));
  EXPECT_ERRNO(EEXIST, ::link(path("a").c_str(), path("d").c_str()));
  EXPECT_ERRNO(EEXIST, ::link(path("a").c_str(), path("dangling").c_str()));
  EXPECT_EQ("b", read_file(path("b")));
  EXPECT_EQ(1u, stat_of(path("a")).st_nlink);
}

TEST_F(Link, MissingSourceOrTargetDirectoryIsEnoent) {
  write_file(path("f"));
  EXPECT_ERRNO(ENOENT, ::link(path("missing").c_str(), path("new").c_str()));
  EXPECT_ERRNO(ENOENT, ::link(path("f").c_str(), path("nodir/new").c_str()));
  EXPECT_FALSE(exists(path("new")));
}

TEST_F(Link, FileUsedAsDirectoryIsEnotdir) {
  write_file(path("f"));
  EXPECT_ERRNO(ENOTDIR, ::link(path("f/x").c_str(), path("new").c_str()));
  EXPECT_ERRNO(ENOTDIR, ::link(path("f").c_str(), path("f/new").c_str()));
}

TEST_F(Link, HardLinkToADirectoryIsEperm) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  EXPECT_ERRNO(EPERM, ::link(path("d").c_str(), path("dlink").c_str()));
  EXPECT_FALSE(exists(path("dlink")));
  EXPECT_EQ(2u, stat_of(path("d")).st_nlink);
}

TEST_F(Link, LinkOfASymlinkLinksTheSymlinkItself) {
  write_file(path("target"));
  ASSERT_OK(::symlink("target", path("sym").c_str()));
  // linkat without AT_SYMLINK_FOLLOW does not follow (Linux link(2) behaves the same).
  ASSERT_OK(::linkat(AT_FDCWD, path("sym").c_str(), AT_FDCWD, path("sym2").c_str(), 0));
  struct stat st = lstat_of(path("sym2"));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(lstat_of(path("sym")).st_ino, st.st_ino);
  EXPECT_EQ(2u, st.st_nlink);
  EXPECT_EQ(1u, stat_of(path("target")).st_nlink);
  // With AT_SYMLINK_FOLLOW the target gets the new link.
  ASSERT_OK(::linkat(AT_FDCWD, path("sym").c_str(), AT_FDCWD, path("t2").c_str(), AT_SYMLINK_FOLLOW));
  EXPECT_EQ(stat_of(path("target")).st_ino, lstat_of(path("t2")).st_ino);
  EXPECT_EQ(2u, stat_of(path("target")).st_nlink);
}

TEST_F(Link, NoWritePermissionOnTargetDirectoryIsEacces) {
  REQUIRE_ROOT();
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  write_file(path("f"), "", 0644);
  ASSERT_OK(::chown(path("f").c_str(), kNobodyUid, kNobodyGid));
  EXPECT_EQ(EACCES, as_nobody([&] { return err(::link(path("f").c_str(), path("d/l").c_str())); }));
  ASSERT_OK(::chmod(path("d").c_str(), 0777));
  EXPECT_EQ(0, as_nobody([&] { return err(::link(path("f").c_str(), path("d/l").c_str())); }));
  EXPECT_EQ(2u, stat_of(path("f")).st_nlink);
}

TEST_F(Link, SurvivesUnlinkOfTheOriginalName) {
  write_file(path("a"), "keep me");
  ASSERT_OK(::link(path("a").c_str(), path("b").c_str()));
  ASSERT_OK(::unlink(path("a").c_str()));
  EXPECT_EQ("keep me", read_file(path("b")));
  EXPECT_EQ(1u, stat_of(path("b")).st_nlink);
}

}  // namespace
}  // namespace fzfs::posix
