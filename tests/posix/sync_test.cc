// fsync(2), fdatasync(2), syncfs(2) on files and directories, and statfs(2) figures that
// are consistent with each other.
#include <fcntl.h>
#include <sys/statvfs.h>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Sync = PosixTest;
using Statfs = PosixTest;

TEST_F(Sync, FsyncAndFdatasyncOfAWrittenFileSucceedAndKeepTheData) {
  int fd = ::open(path("f").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(7, ::write(fd, "durable", 7));
  EXPECT_OK(::fsync(fd));
  ASSERT_EQ(4, ::pwrite(fd, "DATA", 4, 100));
  EXPECT_OK(::fdatasync(fd));
  EXPECT_OK(::syncfs(fd));
  ::close(fd);
  std::string want = "durable" + std::string(93, '\0') + "DATA";
  EXPECT_EQ(want, read_file(path("f")));
}

TEST_F(Sync, FsyncOfADirectorySucceeds) {
  write_file(path("f"));
  int fd = ::open(dir().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  EXPECT_OK(::fsync(fd));
  ::close(fd);
}

TEST_F(Statfs, FiguresAreConsistent) {
  struct statvfs sv{};
  ASSERT_OK(::statvfs(dir().c_str(), &sv));
  EXPECT_GT(sv.f_bsize, 0u);
  EXPECT_GT(sv.f_frsize, 0u);
  EXPECT_GT(sv.f_blocks, 0u);
  EXPECT_LE(sv.f_bfree, sv.f_blocks);
  EXPECT_LE(sv.f_bavail, sv.f_bfree);
  EXPECT_GE(sv.f_namemax, 255u);
}

TEST_F(Statfs, SameFileSystemForEveryPathInside) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  write_file(path("d/f"));
  struct statvfs a{}, b{};
  ASSERT_OK(::statvfs(dir().c_str(), &a));
  ASSERT_OK(::statvfs(path("d/f").c_str(), &b));
  EXPECT_EQ(a.f_fsid, b.f_fsid);
  EXPECT_EQ(a.f_blocks, b.f_blocks);
  EXPECT_EQ(stat_of(dir()).st_dev, stat_of(path("d/f")).st_dev);
}

}  // namespace
}  // namespace fzfs::posix
