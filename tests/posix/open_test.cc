// open(2): O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW and the errno cases.
#include <fcntl.h>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Open = PosixTest;

TEST_F(Open, CreatCreatesEmptyFileWithModeMaskedByUmask) {
  int fd = ::open(path("f").c_str(), O_WRONLY | O_CREAT, 0666);
  ASSERT_GE(fd, 0);
  ::close(fd);
  struct stat st = stat_of(path("f"));
  EXPECT_EQ(S_IFREG | 0644, st.st_mode);
  EXPECT_EQ(0, st.st_size);
  EXPECT_EQ(1u, st.st_nlink);
}

TEST_F(Open, CreatWithReadOnlyModeStillGivesAWritableDescriptor) {
  int fd = ::open(path("f").c_str(), O_RDWR | O_CREAT | O_EXCL, 0444);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(3, ::write(fd, "abc", 3));
  ::close(fd);
  EXPECT_EQ(S_IFREG | 0444, stat_of(path("f")).st_mode);
  EXPECT_EQ("abc", read_file(path("f")));
}

TEST_F(Open, CreatOnExistingFileKeepsItsContent) {
  write_file(path("f"), "content", 0600);
  EXPECT_EQ(0, open_err(path("f"), O_WRONLY | O_CREAT, 0777));
  EXPECT_EQ("content", read_file(path("f")));
  EXPECT_EQ(S_IFREG | 0600, stat_of(path("f")).st_mode) << "mode is only used on creation";
}

TEST_F(Open, CreatExclOnAnyExistingNameIsEexist) {
  write_file(path("f"), "keep");
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  ASSERT_OK(::symlink("f", path("link").c_str()));
  ASSERT_OK(::symlink("nowhere", path("dangling").c_str()));
  for (const char* name : {"f", "d", "link", "dangling"}) {
    EXPECT_EQ(EEXIST, open_err(path(name), O_WRONLY | O_CREAT | O_EXCL)) << name;
  }
  EXPECT_FALSE(exists(path("nowhere"))) << "O_EXCL must not follow a dangling symlink";
  EXPECT_EQ("keep", read_file(path("f")));
}

TEST_F(Open, CreatThroughDanglingSymlinkCreatesTheTarget) {
  ASSERT_OK(::symlink("target", path("link").c_str()));
  EXPECT_EQ(0, open_err(path("link"), O_WRONLY | O_CREAT, 0644));
  EXPECT_TRUE(S_ISREG(lstat_of(path("target")).st_mode));
}

TEST_F(Open, TruncEmptiesTheFileAndUpdatesMtimeCtime) {
  write_file(path("f"), "some data");
  struct stat before = stat_of(path("f"));
  tick();
  EXPECT_EQ(0, open_err(path("f"), O_WRONLY | O_TRUNC));
  struct stat after = stat_of(path("f"));
  EXPECT_EQ(0, after.st_size);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_TRUE(later(after.st_mtim, before.st_mtim));
  EXPECT_TRUE(later(after.st_ctim, before.st_ctim));
  EXPECT_EQ("", read_file(path("f")));
}

TEST_F(Open, AppendWritesAlwaysGoToTheEnd) {
  write_file(path("f"), "start");
  int fd = ::open(path("f").c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(4, ::write(fd, "-one", 4));
  EXPECT_EQ(0, ::lseek(fd, 0, SEEK_SET));
  EXPECT_EQ(4, ::write(fd, "-two", 4));
  EXPECT_EQ(13, ::lseek(fd, 0, SEEK_CUR));
  // Another writer extends the file; the next append lands after its bytes.
  int other = ::open(path("f").c_str(), O_WRONLY);
  ASSERT_GE(other, 0);
  EXPECT_EQ(3, ::pwrite(other, "XYZ", 3, 13));
  ::close(other);
  EXPECT_EQ(6, ::write(fd, "-three", 6));
  ::close(fd);
  EXPECT_EQ("start-one-twoXYZ-three", read_file(path("f")));
}

TEST_F(Open, DirectoryFlagOpensDirectoriesOnly) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  write_file(path("f"));
  ASSERT_OK(::symlink("d", path("dlink").c_str()));
  EXPECT_EQ(0, open_err(path("d"), O_RDONLY | O_DIRECTORY));
  EXPECT_EQ(0, open_err(path("dlink"), O_RDONLY | O_DIRECTORY));
  EXPECT_EQ(ENOTDIR, open_err(path("f"), O_RDONLY | O_DIRECTORY));
}

TEST_F(Open, NofollowOnSymlinkIsEloop) {
  write_file(path("f"), "x");
  ASSERT_OK(::symlink("f", path("link").c_str()));
  EXPECT_EQ(ELOOP, open_err(path("link"), O_RDONLY | O_NOFOLLOW));
  EXPECT_EQ(0, open_err(path("f"), O_RDONLY | O_NOFOLLOW));
  // Only the last component is protected.
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  write_file(path("d/g"));
  ASSERT_OK(::symlink("d", path("dlink").c_str()));
  EXPECT_EQ(0, open_err(path("dlink/g"), O_RDONLY | O_NOFOLLOW));
}

TEST_F(Open, WritingADirectoryIsEisdir) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  EXPECT_EQ(EISDIR, open_err(path("d"), O_WRONLY));
  EXPECT_EQ(EISDIR, open_err(path("d"), O_RDWR));
  EXPECT_EQ(EISDIR, open_err(path("d"), O_RDONLY | O_CREAT, 0644));
  EXPECT_EQ(0, open_err(path("d"), O_RDONLY));
}

TEST_F(Open, MissingFileOrParentIsEnoent) {
  EXPECT_EQ(ENOENT, open_err(path("missing"), O_RDONLY));
  EXPECT_EQ(ENOENT, open_err(path("nodir/f"), O_WRONLY | O_CREAT));
  ASSERT_OK(::symlink("nowhere", path("dangling").c_str()));
  EXPECT_EQ(ENOENT, open_err(path("dangling"), O_RDONLY));
  EXPECT_EQ(ENOENT, open_err("", O_RDONLY));
}

TEST_F(Open, FileUsedAsDirectoryIsEnotdir) {
  write_file(path("f"));
  EXPECT_EQ(ENOTDIR, open_err(path("f/x"), O_RDONLY));
  EXPECT_EQ(ENOTDIR, open_err(path("f/x"), O_WRONLY | O_CREAT));
  EXPECT_EQ(ENOTDIR, open_err(path("f") + "/", O_RDONLY));
}

TEST_F(Open, PermissionBitsAreEnforcedForNonOwners) {
  REQUIRE_ROOT();
  write_file(path("private"), "secret", 0600);
  write_file(path("readable"), "public", 0644);
  EXPECT_EQ(EACCES, as_nobody([&] { return open_err(path("private"), O_RDONLY); }));
  EXPECT_EQ(EACCES, as_nobody([&] { return open_err(path("readable"), O_WRONLY); }));
  EXPECT_EQ(EACCES, as_nobody([&] { return open_err(path("readable"), O_RDWR); }));
  EXPECT_EQ(0, as_nobody([&] { return open_err(path("readable"), O_RDONLY); }));
  EXPECT_EQ("public", read_file(path("readable")));
}

TEST_F(Open, OwnerBitsApplyToTheOwnerEvenIfOthersMayMore) {
  REQUIRE_ROOT();
  write_file(path("f"), "", 0066);
  ASSERT_OK(::chown(path("f").c_str(), kNobodyUid, kNobodyGid));
  EXPECT_EQ(EACCES, as_nobody([&] { return open_err(path("f"), O_RDONLY); }));
}

TEST_F(Open, GroupBitsApplyToGroupMembers) {
  REQUIRE_ROOT();
  write_file(path("f"), "group", 0640);
  ASSERT_OK(::chown(path("f").c_str(), 0, kNobodyGid));
  EXPECT_EQ(0, as_nobody([&] { return open_err(path("f"), O_RDONLY); }));
  EXPECT_EQ(EACCES, as_nobody([&] { return open_err(path("f"), O_WRONLY); }));
  ASSERT_OK(::chown(path("f").c_str(), 0, 0));  // no longer the caller's group: "other" bits
  EXPECT_EQ(EACCES, as_nobody([&] { return open_err(path("f"), O_RDONLY); }));
}

TEST_F(Open, CreatInUnwritableDirectoryIsEacces) {
  REQUIRE_ROOT();
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  EXPECT_EQ(EACCES, as_nobody([&] { return open_err(path("d/f"), O_WRONLY | O_CREAT); }));
  EXPECT_FALSE(exists(path("d/f")));
  ASSERT_OK(::chmod(path("d").c_str(), 0777));
  EXPECT_EQ(0, as_nobody([&] { return open_err(path("d/f"), O_WRONLY | O_CREAT, 0640); }));
  struct stat st = stat_of(path("d/f"));
  EXPECT_EQ(kNobodyUid, st.st_uid);
  EXPECT_EQ(kNobodyGid, st.st_gid);
}

TEST_F(Open, CreatUpdatesParentMtimeAndCtimeAndSetsFileTimesToNow) {
  struct stat before = stat_of(dir());
  tick();
  ASSERT_EQ(0, open_err(path("f"), O_WRONLY | O_CREAT));
  struct stat after = stat_of(dir());
  struct stat file = stat_of(path("f"));
  EXPECT_TRUE(later(after.st_mtim, before.st_mtim));
  EXPECT_TRUE(later(after.st_ctim, before.st_ctim));
  EXPECT_TRUE(later(file.st_mtim, before.st_mtim));
  EXPECT_TRUE(later(file.st_ctim, before.st_ctim));
  EXPECT_TRUE(later(file.st_atim, before.st_mtim));
}

TEST_F(Open, ReadOnlyDescriptorCannotWriteWriteOnlyCannotRead) {
  write_file(path("f"), "abc");
  int fd = ::open(path("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_ERRNO(EBADF, ::write(fd, "x", 1));
  ::close(fd);
  fd = ::open(path("f").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  char c;
  EXPECT_ERRNO(EBADF, ::read(fd, &c, 1));
  ::close(fd);
  EXPECT_EQ("abc", read_file(path("f")));
}

}  // namespace
}  // namespace fzfs::posix
