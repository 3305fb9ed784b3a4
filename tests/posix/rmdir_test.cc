// rmdir(2): removes only empty directories, fixes link counts and parent times.
#include <fcntl.h>
#include <gmock/gmock.h>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using ::testing::AnyOf;
using Rmdir = PosixTest;

TEST_F(Rmdir, RemovesEmptyDirectoryAndLowersParentLinkCount) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  nlink_t parent = stat_of(dir()).st_nlink;
  ASSERT_OK(::rmdir(path("d").c_str()));
  EXPECT_FALSE(exists(path("d")));
  EXPECT_EQ(parent - 1, stat_of(dir()).st_nlink);
  EXPECT_TRUE(list_dir(dir()).empty());
}

TEST_F(Rmdir, UpdatesParentMtimeAndCtime) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  struct stat before = stat_of(dir());
  tick();
  ASSERT_OK(::rmdir(path("d").c_str()));
  struct stat after = stat_of(dir());
  EXPECT_TRUE(later(after.st_mtim, before.st_mtim));
  EXPECT_TRUE(later(after.st_ctim, before.st_ctim));
}

TEST_F(Rmdir, NonEmptyDirectoryIsEnotemptyOrEexist) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  write_file(path("d/.hidden"));
  EXPECT_THAT(err(::rmdir(path("d").c_str())), AnyOf(ENOTEMPTY, EEXIST));
  EXPECT_TRUE(exists(path("d/.hidden")));
  ASSERT_OK(::unlink(path("d/.hidden").c_str()));
  ASSERT_OK(::mkdir(path("d/sub").c_str(), 0755));
  EXPECT_THAT(err(::rmdir(path("d").c_str())), AnyOf(ENOTEMPTY, EEXIST));
  ASSERT_OK(::rmdir(path("d/sub").c_str()));
  EXPECT_OK(::rmdir(path("d").c_str()));
}

TEST_F(Rmdir, DirectoryEmptiedByUnlinksIsRemovable) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  for (int i = 0; i < 100; ++i) write_file(path("d/f" + std::to_string(i)));
  for (int i = 0; i < 100; ++i) ASSERT_OK(::unlink(path("d/f" + std::to_string(i)).c_str()));
  EXPECT_OK(::rmdir(path("d").c_str()));
}

TEST_F(Rmdir, FileIsEnotdirMissingIsEnoent) {
  write_file(path("f"));
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  ASSERT_OK(::symlink("d", path("dlink").c_str()));
  EXPECT_ERRNO(ENOTDIR, ::rmdir(path("f").c_str()));
  EXPECT_ERRNO(ENOTDIR, ::rmdir(path("dlink").c_str()));
  EXPECT_ERRNO(ENOTDIR, ::rmdir(path("f/x").c_str()));
  EXPECT_ERRNO(ENOENT, ::rmdir(path("missing").c_str()));
  EXPECT_ERRNO(ENOENT, ::rmdir(path("nodir/x").c_str()));
  EXPECT_TRUE(exists(path("d")));
}

TEST_F(Rmdir, DotIsEinvalDotDotIsRefused) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  EXPECT_ERRNO(EINVAL, ::rmdir(path("d/.").c_str()));
  EXPECT_THAT(err(::rmdir(path("d/..").c_str())), AnyOf(ENOTEMPTY, EEXIST, EBUSY, EINVAL));
  EXPECT_TRUE(exists(path("d")));
}

TEST_F(Rmdir, OpenDirectoryHandleSeesNoEntriesAfterRemoval) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  int fd = ::open(path("d").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_OK(::rmdir(path("d").c_str()));
  struct stat st{};
  ASSERT_OK(::fstat(fd, &st));
  EXPECT_EQ(0u, st.st_nlink);
  EXPECT_ERRNO(ENOENT, ::openat(fd, "new", O_WRONLY | O_CREAT, 0644));
  ::close(fd);
}

TEST_F(Rmdir, WithoutWritePermissionOnParentIsEacces) {
  REQUIRE_ROOT();
  ASSERT_OK(::mkdir(path("p").c_str(), 0755));
  ASSERT_OK(::mkdir(path("p/d").c_str(), 0777));
  EXPECT_EQ(EACCES, as_nobody([&] { return err(::rmdir(path("p/d").c_str())); }));
  EXPECT_TRUE(exists(path("p/d")));
  ASSERT_OK(::chmod(path("p").c_str(), 0777));
  EXPECT_EQ(0, as_nobody([&] { return err(::rmdir(path("p/d").c_str())); }));
}

TEST_F(Rmdir, InStickyDirectoryNonOwnerIsRefused) {
  REQUIRE_ROOT();
  make_dir(path("tmp"), 01777);
  ASSERT_OK(::mkdir(path("tmp/roots").c_str(), 0777));
  ASSERT_OK(::mkdir(path("tmp/nobodys").c_str(), 0777));
  ASSERT_OK(::chown(path("tmp/nobodys").c_str(), kNobodyUid, kNobodyGid));
  EXPECT_THAT(as_nobody([&] { return err(::rmdir(path("tmp/roots").c_str())); }), AnyOf(EPERM, EACCES));
  EXPECT_TRUE(exists(path("tmp/roots")));
  EXPECT_EQ(0, as_nobody([&] { return err(::rmdir(path("tmp/nobodys").c_str())); }));
}

}  // namespace
}  // namespace fzfs::posix
