// Times of file data: write marks mtime and ctime, reads and failed calls change
// neither, and directory listings do not count as modifications.
#include <fcntl.h>
#include <sys/mman.h>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Timestamps = PosixTest;

TEST_F(Timestamps, WriteUpdatesMtimeAndCtime) {
  write_file(path("f"), "abc");
  struct stat before = stat_of(path("f"));
  tick();
  int fd = ::open(path("f").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(1, ::pwrite(fd, "Z", 1, 1));
  ::close(fd);
  struct stat after = stat_of(path("f"));
  EXPECT_TRUE(later(after.st_mtim, before.st_mtim))
      << to_string(before.st_mtim) << " -> " << to_string(after.st_mtim);
  EXPECT_TRUE(later(after.st_ctim, before.st_ctim));
  EXPECT_EQ(3, after.st_size);
}

TEST_F(Timestamps, EveryWriteMovesMtimeForward) {
  write_file(path("f"));
  int fd = ::open(path("f").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  timespec last = stat_of(path("f")).st_mtim;
  for (int i = 0; i < 5; ++i) {
    tick();
    ASSERT_EQ(1, ::write(fd, "x", 1));
    struct stat st{};
    ASSERT_OK(::fstat(fd, &st));
    EXPECT_TRUE(later(st.st_mtim, last)) << "write " << i;
    last = st.st_mtim;
  }
  ::close(fd);
}

TEST_F(Timestamps, ReadChangesNeitherMtimeNorCtime) {
  write_file(path("f"), "abc");
  struct stat before = stat_of(path("f"));
  tick();
  EXPECT_EQ("abc", read_file(path("f")));
  struct stat after = stat_of(path("f"));
  EXPECT_EQ(before.st_mtim, after.st_mtim);
  EXPECT_EQ(before.st_ctim, after.st_ctim);
}

TEST_F(Timestamps, ZeroByteWriteLeavesContentAndSize) {
  // A write of zero bytes has no effect on a regular file's contents or size.
  write_file(path("f"), "abc");
  int fd = ::open(path("f").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(0, ::write(fd, "", 0));
  ::close(fd);
  EXPECT_EQ("abc", read_file(path("f")));
}

TEST_F(Timestamps, FailedCallsChangeNoTimes) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  write_file(path("d/f"));
  struct stat before = stat_of(path("d"));
  tick();
  EXPECT_ERRNO(EEXIST, ::mkdir(path("d/f").c_str(), 0755));
  EXPECT_ERRNO(ENOENT, ::unlink(path("d/missing").c_str()));
  EXPECT_ERRNO(ENOENT, ::rename(path("d/missing").c_str(), path("d/x").c_str()));
  struct stat after = stat_of(path("d"));
  EXPECT_EQ(before.st_mtim, after.st_mtim);
  EXPECT_EQ(before.st_ctim, after.st_ctim);
}

TEST_F(Timestamps, ListingADirectoryDoesNotModifyIt) {
  write_file(path("f"));
  struct stat before = stat_of(dir());
  tick();
  list_dir(dir());
  struct stat after = stat_of(dir());
  EXPECT_EQ(before.st_mtim, after.st_mtim);
  EXPECT_EQ(before.st_ctim, after.st_ctim);
}

TEST_F(Timestamps, WriteThroughSharedMappingUpdatesMtimeByMsync) {
  write_file(path("f"), std::string(4096, 'a'));
  struct stat before = stat_of(path("f"));
  tick();
  int fd = ::open(path("f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  void* m = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(MAP_FAILED, m) << std::strerror(errno);
  static_cast<char*>(m)[10] = 'M';
  ASSERT_OK(::msync(m, 4096, MS_SYNC));
  ::munmap(m, 4096);
  ::close(fd);
  struct stat after = stat_of(path("f"));
  EXPECT_TRUE(later(after.st_mtim, before.st_mtim));
  EXPECT_TRUE(later(after.st_ctim, before.st_ctim));
  EXPECT_EQ('M', read_file(path("f"))[10]);
}

TEST_F(Timestamps, ChangeTimeIsNeverInTheFuture) {
  timespec start = now_realtime();
  write_file(path("f"), "x");
  struct stat st = stat_of(path("f"));
  timespec end = now_realtime();
  EXPECT_FALSE(later(st.st_ctim, end)) << to_string(st.st_ctim) << " > " << to_string(end);
  EXPECT_FALSE(later(st.st_mtim, end));
  // Allow the file system's clock to be coarser than CLOCK_REALTIME by one second.
  EXPECT_GE(st.st_ctim.tv_sec + 1, start.tv_sec);
}

}  // namespace
}  // namespace fzfs::posix
