// unlink(2), unlinkat(2): names go, open files live on, times and the errno cases.
#include <fcntl.h>
#include <gmock/gmock.h>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using ::testing::AnyOf;
using Unlink = PosixTest;

TEST_F(Unlink, RemovesTheNameOfEveryFileType) {
  write_file(path("f"));
  ASSERT_OK(::symlink("f", path("l").c_str()));
  ASSERT_OK(::mkfifo(path("p").c_str(), 0600));
  ASSERT_OK(::mknod(path("s").c_str(), S_IFSOCK | 0600, 0));
  for (const char* name : {"l", "f", "p", "s"}) {
    EXPECT_OK(::unlink(path(name).c_str()));
    EXPECT_FALSE(exists(path(name))) << name;
  }
  EXPECT_TRUE(list_dir(dir()).empty());
}

TEST_F(Unlink, SymlinkGoesAndTargetStays) {
  write_file(path("f"), "stay");
  ASSERT_OK(::symlink("f", path("l").c_str()));
  ASSERT_OK(::unlink(path("l").c_str()));
  EXPECT_EQ("stay", read_file(path("f")));
}

TEST_F(Unlink, OpenFileStaysReadableAndWritableWithZeroLinks) {
  write_file(path("f"), "still here");
  int fd = ::open(path("f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_OK(::unlink(path("f").c_str()));
  EXPECT_FALSE(exists(path("f")));
  struct stat st{};
  ASSERT_OK(::fstat(fd, &st));
  EXPECT_EQ(0u, st.st_nlink);
  EXPECT_EQ(5, ::pwrite(fd, "HERE!", 5, 6));
  char buf[16] = {};
  EXPECT_EQ(11, ::pread(fd, buf, sizeof buf, 0));
  EXPECT_STREQ("still HERE!", buf);
  ::close(fd);
}

TEST_F(Unlink, UpdatesParentTimesAndCtimeOfRemainingLink) {
  write_file(path("f"));
  ASSERT_OK(::link(path("f").c_str(), path("g").c_str()));
  struct stat dir_before = stat_of(dir());
  struct stat file_before = stat_of(path("g"));
  tick();
  ASSERT_OK(::unlink(path("f").c_str()));
  struct stat dir_after = stat_of(dir());
  struct stat file_after = stat_of(path("g"));
  EXPECT_TRUE(later(dir_after.st_mtim, dir_before.st_mtim));
  EXPECT_TRUE(later(dir_after.st_ctim, dir_before.st_ctim));
  EXPECT_TRUE(later(file_after.st_ctim, file_before.st_ctim));
  EXPECT_EQ(1u, file_after.st_nlink);
}

TEST_F(Unlink, DirectoryIsRefused) {
  // POSIX says EPERM; Linux returns EISDIR.
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  EXPECT_THAT(err(::unlink(path("d").c_str())), AnyOf(EISDIR, EPERM));
  EXPECT_TRUE(exists(path("d")));
  EXPECT_OK(::unlinkat(AT_FDCWD, path("d").c_str(), AT_REMOVEDIR));
  EXPECT_FALSE(exists(path("d")));
}

TEST_F(Unlink, MissingIsEnoentFileComponentIsEnotdir) {
  write_file(path("f"));
  EXPECT_ERRNO(ENOENT, ::unlink(path("missing").c_str()));
  EXPECT_ERRNO(ENOENT, ::unlink(path("nodir/x").c_str()));
  EXPECT_ERRNO(ENOTDIR, ::unlink(path("f/x").c_str()));
  EXPECT_ERRNO(ENOENT, ::unlink(""));
}

TEST_F(Unlink, SecondUnlinkOfTheSameNameIsEnoent) {
  write_file(path("f"));
  ASSERT_OK(::unlink(path("f").c_str()));
  EXPECT_ERRNO(ENOENT, ::unlink(path("f").c_str()));
}

TEST_F(Unlink, WithoutWritePermissionOnParentIsEacces) {
  REQUIRE_ROOT();
  ASSERT_OK(::mkdir(path("p").c_str(), 0755));
  write_file(path("p/f"), "", 0666);
  EXPECT_EQ(EACCES, as_nobody([&] { return err(::unlink(path("p/f").c_str())); }));
  EXPECT_TRUE(exists(path("p/f")));
  ASSERT_OK(::chmod(path("p").c_str(), 0777));
  EXPECT_EQ(0, as_nobody([&] { return err(::unlink(path("p/f").c_str())); }));
  EXPECT_FALSE(exists(path("p/f")));
}

TEST_F(Unlink, InStickyDirectoryOnlyFileOrDirectoryOwnerMayRemove) {
  REQUIRE_ROOT();
  make_dir(path("tmp"), 01777);
  write_file(path("tmp/roots"), "", 0666);
  write_file(path("tmp/nobodys"), "", 0600);
  ASSERT_OK(::chown(path("tmp/nobodys").c_str(), kNobodyUid, kNobodyGid));
  EXPECT_THAT(as_nobody([&] { return err(::unlink(path("tmp/roots").c_str())); }), AnyOf(EPERM, EACCES));
  EXPECT_TRUE(exists(path("tmp/roots")));
  EXPECT_EQ(0, as_nobody([&] { return err(::unlink(path("tmp/nobodys").c_str())); }));
  // The owner of the sticky directory may remove anything in it.
  make_dir(path("mine"), 01777);
  ASSERT_OK(::chown(path("mine").c_str(), kNobodyUid, kNobodyGid));
  write_file(path("mine/roots"), "", 0600);
  EXPECT_EQ(0, as_nobody([&] { return err(::unlink(path("mine/roots").c_str())); }));
}

TEST_F(Unlink, ManyFilesCreatedAndRemovedLeaveAnEmptyDirectory) {
  for (int i = 0; i < 1000; ++i) write_file(path("f" + std::to_string(i)));
  for (int i = 0; i < 1000; i += 2) ASSERT_OK(::unlink(path("f" + std::to_string(i)).c_str()));
  EXPECT_EQ(500u, list_dir(dir()).size());
  for (int i = 1; i < 1000; i += 2) ASSERT_OK(::unlink(path("f" + std::to_string(i)).c_str()));
  EXPECT_TRUE(list_dir(dir()).empty());
}

}  // namespace
}  // namespace fzfs::posix
