// mkfifo(3) and mknod(2): special files of every type, their modes and errno cases.
#include <fcntl.h>
#include <sys/sysmacros.h>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Mkfifo = PosixTest;
using Mknod = PosixTest;

TEST_F(Mkfifo, CreatesAFifoWithModeMaskedByUmask) {
  ASSERT_OK(::mkfifo(path("fifo").c_str(), 0666));
  struct stat st = lstat_of(path("fifo"));
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(0644u, st.st_mode & 07777);
  EXPECT_EQ(1u, st.st_nlink);
  EXPECT_EQ(0, st.st_size);
}

TEST_F(Mkfifo, CarriesBytesBetweenEnds) {
  ASSERT_OK(::mkfifo(path("fifo").c_str(), 0600));
  int rd = ::open(path("fifo").c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(rd, 0) << std::strerror(errno);
  int wr = ::open(path("fifo").c_str(), O_WRONLY | O_NONBLOCK);
  ASSERT_GE(wr, 0) << std::strerror(errno);
  EXPECT_EQ(5, ::write(wr, "hello", 5));
  char buf[8] = {};
  EXPECT_EQ(5, ::read(rd, buf, sizeof buf));
  EXPECT_STREQ("hello", buf);
  ::close(wr);
  ::close(rd);
  EXPECT_EQ(0, stat_of(path("fifo")).st_size) << "pipe data never reaches the file system";
}

TEST_F(Mkfifo, UpdatesParentMtimeAndCtime) {
  struct stat before = stat_of(dir());
  tick();
  ASSERT_OK(::mkfifo(path("fifo").c_str(), 0600));
  struct stat after = stat_of(dir());
  EXPECT_TRUE(later(after.st_mtim, before.st_mtim));
  EXPECT_TRUE(later(after.st_ctim, before.st_ctim));
}

TEST_F(Mkfifo, ExistingNameIsEexist) {
  write_file(path("f"));
  ASSERT_OK(::mkfifo(path("fifo").c_str(), 0600));
  ASSERT_OK(::symlink("nowhere", path("dangling").c_str()));
  EXPECT_ERRNO(EEXIST, ::mkfifo(path("f").c_str(), 0600));
  EXPECT_ERRNO(EEXIST, ::mkfifo(path("fifo").c_str(), 0600));
  EXPECT_ERRNO(EEXIST, ::mkfifo(path("dangling").c_str(), 0600));
  EXPECT_TRUE(S_ISREG(stat_of(path("f")).st_mode));
}

TEST_F(Mkfifo, MissingParentIsEnoentFileParentIsEnotdir) {
  write_file(path("f"));
  EXPECT_ERRNO(ENOENT, ::mkfifo(path("nodir/fifo").c_str(), 0600));
  EXPECT_ERRNO(ENOTDIR, ::mkfifo(path("f/fifo").c_str(), 0600));
}

TEST_F(Mkfifo, NoWritePermissionOnParentIsEacces) {
  REQUIRE_ROOT();
  ASSERT_OK(::mkdir(path("p").c_str(), 0755));
  EXPECT_EQ(EACCES, as_nobody([&] { return err(::mkfifo(path("p/fifo").c_str(), 0600)); }));
  ASSERT_OK(::chmod(path("p").c_str(), 0777));
  EXPECT_EQ(0, as_nobody([&] { return err(::mkfifo(path("p/fifo").c_str(), 0600)); }));
  EXPECT_EQ(kNobodyUid, lstat_of(path("p/fifo")).st_uid);
}

TEST_F(Mknod, CreatesRegularFifoAndSocketNodes) {
  ASSERT_OK(::mknod(path("reg").c_str(), S_IFREG | 0640, 0));
  ASSERT_OK(::mknod(path("fifo").c_str(), S_IFIFO | 0640, 0));
  ASSERT_OK(::mknod(path("sock").c_str(), S_IFSOCK | 0640, 0));
  EXPECT_EQ(S_IFREG | 0640, lstat_of(path("reg")).st_mode);
  EXPECT_EQ(0, lstat_of(path("reg")).st_size);
  EXPECT_EQ(S_IFIFO | 0640, lstat_of(path("fifo")).st_mode);
  EXPECT_EQ(S_IFSOCK | 0640, lstat_of(path("sock")).st_mode);
}

TEST_F(Mknod, DeviceNodesKeepTheirMajorAndMinor) {
  REQUIRE_ROOT();
  ASSERT_OK(::mknod(path("chr").c_str(), S_IFCHR | 0600, makedev(1, 3)));
  ASSERT_OK(::mknod(path("blk").c_str(), S_IFBLK | 0600, makedev(7, 129)));
  ASSERT_OK(::mknod(path("big").c_str(), S_IFCHR | 0600, makedev(4095, 1048575)));
  struct stat chr = lstat_of(path("chr"));
  struct stat blk = lstat_of(path("blk"));
  struct stat big = lstat_of(path("big"));
  EXPECT_TRUE(S_ISCHR(chr.st_mode));
  EXPECT_EQ(makedev(1, 3), chr.st_rdev);
  EXPECT_TRUE(S_ISBLK(blk.st_mode));
  EXPECT_EQ(makedev(7, 129), blk.st_rdev);
  EXPECT_EQ(4095u, major(big.st_rdev));
  EXPECT_EQ(1048575u, minor(big.st_rdev));
}

TEST_F(Mknod, DeviceNodeAsNonRootIsEperm) {
  REQUIRE_ROOT();
  ASSERT_OK(::chmod(dir().c_str(), 0777));
  EXPECT_EQ(EPERM, as_nobody([&] { return err(::mknod(path("chr").c_str(), S_IFCHR | 0600, makedev(1, 3))); }));
  EXPECT_FALSE(exists(path("chr")));
  // An unprivileged FIFO is fine.
  EXPECT_EQ(0, as_nobody([&] { return err(::mknod(path("fifo").c_str(), S_IFIFO | 0600, 0)); }));
}

TEST_F(Mknod, ExistingNameIsEexistBadTypeIsEinval) {
  write_file(path("f"));
  EXPECT_ERRNO(EEXIST, ::mknod(path("f").c_str(), S_IFIFO | 0600, 0));
  // A directory cannot be made with mknod (POSIX leaves it undefined; Linux says EPERM
  // for S_IFDIR and EINVAL for a non-existent type).
  EXPECT_ERRNO(EINVAL, ::mknod(path("x").c_str(), 0170000 | 0600, 0));
  EXPECT_FALSE(exists(path("x")));
}

TEST_F(Mknod, MissingParentIsEnoent) {
  EXPECT_ERRNO(ENOENT, ::mknod(path("nodir/x").c_str(), S_IFIFO | 0600, 0));
}

}  // namespace
}  // namespace fzfs::posix
