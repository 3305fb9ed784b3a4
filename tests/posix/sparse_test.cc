// st_size, st_blocks and holes: sparse writes read back as zeros and do not allocate
// the hole; dense data allocates at least its size.
#include <fcntl.h>
#include <unistd.h>

#include <random>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Sparse = PosixTest;

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen());
  return s;
}

// Flushes the file, then waits until st_blocks covers at least min_bytes: ZFS accounts
// blocks when the transaction group commits (up to a few seconds after an fsync that
// went to the intent log), so the count may lag; POSIX does not say when it is updated.
struct stat settled_stat(const std::string& p, off_t min_bytes) {
  int fd = ::open(p.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0);
  EXPECT_OK(::fsync(fd));
  EXPECT_OK(::syncfs(fd));
  ::close(fd);
  struct stat st = stat_of(p);
  for (int i = 0; i < 150 && st.st_blocks * 512 < min_bytes; ++i) {  // up to 15 s
    ::usleep(100000);
    st = stat_of(p);
  }
  return st;
}

TEST_F(Sparse, WriteFarPastEofSetsSizeAndLeavesAHoleOfZeros) {
  constexpr off_t kOffset = off_t{1} << 30;  // 1 GiB
  int fd = ::open(path("f").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(4, ::pwrite(fd, "head", 4, 0));
  ASSERT_EQ(4, ::pwrite(fd, "tail", 4, kOffset));
  char buf[8192];
  ASSERT_EQ(static_cast<ssize_t>(sizeof buf), ::pread(fd, buf, sizeof buf, kOffset / 2));
  EXPECT_EQ(std::string(sizeof buf, '\0'), std::string(buf, sizeof buf));
  ASSERT_EQ(8, ::pread(fd, buf, 8, kOffset - 4));
  EXPECT_EQ(std::string("\0\0\0\0tail", 8), std::string(buf, 8));
  ::close(fd);
  struct stat st = settled_stat(path("f"), 1);
  EXPECT_EQ(kOffset + 4, st.st_size);
  EXPECT_GT(st.st_blocks, 0);
  EXPECT_LT(st.st_blocks * 512, 16 << 20) << "the 1 GiB hole must not be allocated";
}

TEST_F(Sparse, TruncateUpAllocatesNothing) {
  write_file(path("f"));
  ASSERT_OK(::truncate(path("f").c_str(), off_t{100} << 20));
  struct stat st = settled_stat(path("f"), 0);
  EXPECT_EQ(off_t{100} << 20, st.st_size);
  EXPECT_LT(st.st_blocks * 512, 1 << 20);
}

TEST_F(Sparse, DenseRandomDataAllocatesAtLeastItsSize) {
  const std::string data = random_bytes(1 << 20, 7);  // incompressible
  write_file(path("f"), data);
  struct stat st = settled_stat(path("f"), 1 << 20);
  EXPECT_EQ(1 << 20, st.st_size);
  EXPECT_GE(st.st_blocks * 512, 1 << 20);
  EXPECT_EQ(data, read_file(path("f")));
}

TEST_F(Sparse, SeekDataAndSeekHoleFindTheWrittenRegion) {
  int fd = ::open(path("f").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  constexpr off_t kData = off_t{8} << 20;
  ASSERT_EQ(4096, ::pwrite(fd, random_bytes(4096, 1).data(), 4096, kData));
  ASSERT_OK(::ftruncate(fd, off_t{16} << 20));
  ASSERT_OK(::fsync(fd));
  off_t data = ::lseek(fd, 0, SEEK_DATA);
  ASSERT_NE(-1, data) << std::strerror(errno);
  // A file system may report holes coarsely (or not at all), but the data must lie
  // within the reported data region and never inside a reported hole.
  EXPECT_LE(data, kData);
  off_t hole = ::lseek(fd, kData, SEEK_HOLE);
  ASSERT_NE(-1, hole) << std::strerror(errno);
  EXPECT_GE(hole, kData + 4096);
  EXPECT_LE(hole, off_t{16} << 20);
  EXPECT_ERRNO(ENXIO, ::lseek(fd, off_t{16} << 20, SEEK_DATA));
  ::close(fd);
}

TEST_F(Sparse, OverwritingAHoleInTheMiddleKeepsBothSides) {
  int fd = ::open(path("f").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  const std::string a = random_bytes(5000, 2);
  const std::string b = random_bytes(7000, 3);
  const std::string c = random_bytes(3000, 4);
  ASSERT_EQ(5000, ::pwrite(fd, a.data(), a.size(), 0));
  ASSERT_EQ(7000, ::pwrite(fd, b.data(), b.size(), 1 << 20));
  ASSERT_EQ(3000, ::pwrite(fd, c.data(), c.size(), 300000));
  ::close(fd);
  std::string want((1 << 20) + 7000, '\0');
  want.replace(0, a.size(), a);
  want.replace(1 << 20, b.size(), b);
  want.replace(300000, c.size(), c);
  EXPECT_EQ(want, read_file(path("f")));
}

}  // namespace
}  // namespace fzfs::posix
