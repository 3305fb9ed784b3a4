// chmod(2), fchmod(2), fchmodat(2): mode bits, ctime, and who may change them.
#include <fcntl.h>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Chmod = PosixTest;

TEST_F(Chmod, SetsExactlyTheRequestedPermissionBitsOnFilesAndDirs) {
  write_file(path("f"));
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  for (mode_t mode : {0000, 0400, 0640, 0777, 01777, 04755, 02755, 06777}) {
    ASSERT_OK(::chmod(path("f").c_str(), mode));
    EXPECT_EQ(S_IFREG | mode, stat_of(path("f")).st_mode) << std::oct << mode;
    ASSERT_OK(::chmod(path("d").c_str(), mode));
    EXPECT_EQ(S_IFDIR | mode, stat_of(path("d")).st_mode) << std::oct << mode;
  }
}

TEST_F(Chmod, FchmodChangesTheOpenFile) {
  write_file(path("f"));
  int fd = ::open(path("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_OK(::fchmod(fd, 0604));
  ::close(fd);
  EXPECT_EQ(S_IFREG | 0604, stat_of(path("f")).st_mode);
}

TEST_F(Chmod, FollowsSymlinksAndLeavesTheLinkAlone) {
  write_file(path("target"), "", 0644);
  ASSERT_OK(::symlink("target", path("link").c_str()));
  mode_t link_mode = lstat_of(path("link")).st_mode;
  EXPECT_OK(::chmod(path("link").c_str(), 0600));
  EXPECT_EQ(S_IFREG | 0600, stat_of(path("target")).st_mode);
  EXPECT_EQ(link_mode, lstat_of(path("link")).st_mode);
}

TEST_F(Chmod, UpdatesCtimeButNotMtime) {
  write_file(path("f"));
  struct stat before = stat_of(path("f"));
  tick();
  ASSERT_OK(::chmod(path("f").c_str(), 0600));
  struct stat after = stat_of(path("f"));
  EXPECT_TRUE(later(after.st_ctim, before.st_ctim))
      << to_string(before.st_ctim) << " -> " << to_string(after.st_ctim);
  EXPECT_EQ(before.st_mtim, after.st_mtim);
}

TEST_F(Chmod, MissingPathIsEnoent) {
  EXPECT_ERRNO(ENOENT, ::chmod(path("missing").c_str(), 0644));
  EXPECT_ERRNO(ENOENT, ::chmod(path("missingdir/f").c_str(), 0644));
}

TEST_F(Chmod, FileUsedAsDirectoryIsEnotdir) {
  write_file(path("f"));
  EXPECT_ERRNO(ENOTDIR, ::chmod(path("f/x").c_str(), 0644));
}

TEST_F(Chmod, NonOwnerGetsEpermOwnerSucceeds) {
  REQUIRE_ROOT();
  write_file(path("root_file"), "", 0666);
  write_file(path("nobody_file"), "", 0644);
  ASSERT_OK(::chown(path("nobody_file").c_str(), kNobodyUid, kNobodyGid));
  EXPECT_EQ(EPERM, as_nobody([&] { return err(::chmod(path("root_file").c_str(), 0600)); }));
  EXPECT_EQ(S_IFREG | 0666, stat_of(path("root_file")).st_mode);
  EXPECT_EQ(0, as_nobody([&] { return err(::chmod(path("nobody_file").c_str(), 0600)); }));
  EXPECT_EQ(S_IFREG | 0600, stat_of(path("nobody_file")).st_mode);
}

TEST_F(Chmod, SearchPermissionMissingOnParentIsEacces) {
  REQUIRE_ROOT();
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  write_file(path("d/f"));
  ASSERT_OK(::chown(path("d/f").c_str(), kNobodyUid, kNobodyGid));
  auto try_chmod = [&] { return err(::chmod(path("d/f").c_str(), 0600)); };
  EXPECT_EQ(0, as_nobody(try_chmod));
  ASSERT_OK(::chmod(path("d").c_str(), 0644));  // no search (x) permission
  EXPECT_EQ(EACCES, as_nobody(try_chmod));
}

TEST_F(Chmod, NonMemberOwnerCannotSetSetgidOnAFile) {
  // POSIX: if the file's group is not the caller's (effective or supplementary) group,
  // S_ISGID is cleared without an error.
  REQUIRE_ROOT();
  write_file(path("f"));
  ASSERT_OK(::chown(path("f").c_str(), kNobodyUid, 0));
  EXPECT_EQ(0, as_nobody([&] { return err(::chmod(path("f").c_str(), 02755)); }));
  EXPECT_EQ(S_IFREG | 0755, stat_of(path("f")).st_mode);
}

TEST_F(Chmod, AppliesToTheDirectoryItselfWhenPathEndsWithSlash) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  EXPECT_OK(::chmod((path("d") + "/").c_str(), 0711));
  EXPECT_EQ(S_IFDIR | 0711, stat_of(path("d")).st_mode);
  write_file(path("f"));
  EXPECT_ERRNO(ENOTDIR, ::chmod((path("f") + "/").c_str(), 0600));
}

TEST_F(Chmod, FchmodatRelativeToDirectoryDescriptor) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  write_file(path("d/f"));
  int dfd = ::open(path("d").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dfd, 0);
  EXPECT_OK(::fchmodat(dfd, "f", 0611, 0));
  ::close(dfd);
  EXPECT_EQ(S_IFREG | 0611, stat_of(path("d/f")).st_mode);
}

}  // namespace
}  // namespace fzfs::posix
