// truncate(2), ftruncate(2): size changes, zero fill, no stale data, times, errno cases.
#include <fcntl.h>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Truncate = PosixTest;

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

TEST_F(Truncate, GrowingFillsWithZeros) {
  write_file(path("f"), "abc");
  ASSERT_OK(::truncate(path("f").c_str(), 100000));
  std::string data = read_file(path("f"));
  ASSERT_EQ(100000u, data.size());
  EXPECT_EQ("abc", data.substr(0, 3));
  EXPECT_EQ(std::string(100000 - 3, '\0'), data.substr(3));
}

TEST_F(Truncate, ShrinkingDropsTheTail) {
  write_file(path("f"), pattern(300000));
  ASSERT_OK(::truncate(path("f").c_str(), 1234));
  EXPECT_EQ(pattern(300000).substr(0, 1234), read_file(path("f")));
  EXPECT_EQ(1234, stat_of(path("f")).st_size);
}

TEST_F(Truncate, ShrinkThenGrowNeverShowsOldBytes) {
  // Within one block, across a block boundary, and a whole-file drop.
  for (off_t cut : {off_t{0}, off_t{1}, off_t{4095}, off_t{4097}, off_t{131071}, off_t{131073}}) {
    std::string old = pattern(400000);
    write_file(path("f"), old);
    ASSERT_OK(::truncate(path("f").c_str(), cut));
    ASSERT_OK(::truncate(path("f").c_str(), 400000));
    std::string now = read_file(path("f"));
    ASSERT_EQ(400000u, now.size());
    EXPECT_EQ(old.substr(0, static_cast<size_t>(cut)), now.substr(0, static_cast<size_t>(cut))) << cut;
    EXPECT_EQ(std::string(400000 - static_cast<size_t>(cut), '\0'), now.substr(static_cast<size_t>(cut)))
        << "stale bytes after truncate to " << cut;
  }
}

TEST_F(Truncate, FtruncateOnOpenDescriptorAndWriteAfterIt) {
  write_file(path("f"), pattern(10000));
  int fd = ::open(path("f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_OK(::ftruncate(fd, 10));
  ASSERT_EQ(2, ::pwrite(fd, "ZZ", 2, 20));
  ::close(fd);
  std::string expect = pattern(10) + std::string(10, '\0') + "ZZ";
  EXPECT_EQ(expect, read_file(path("f")));
}

TEST_F(Truncate, SizeChangeUpdatesMtimeAndCtime) {
  write_file(path("f"), "abcdef");
  for (off_t size : {off_t{2}, off_t{50000}}) {
    struct stat before = stat_of(path("f"));
    tick();
    ASSERT_OK(::truncate(path("f").c_str(), size));
    struct stat after = stat_of(path("f"));
    EXPECT_EQ(size, after.st_size);
    EXPECT_TRUE(later(after.st_mtim, before.st_mtim)) << size;
    EXPECT_TRUE(later(after.st_ctim, before.st_ctim)) << size;
  }
}

TEST_F(Truncate, DirectoryIsEisdir) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  EXPECT_ERRNO(EISDIR, ::truncate(path("d").c_str(), 0));
}

TEST_F(Truncate, NegativeLengthIsEinval) {
  write_file(path("f"), "abc");
  EXPECT_ERRNO(EINVAL, ::truncate(path("f").c_str(), -1));
  int fd = ::open(path("f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  EXPECT_ERRNO(EINVAL, ::ftruncate(fd, -1));
  ::close(fd);
  EXPECT_EQ("abc", read_file(path("f")));
}

TEST_F(Truncate, FtruncateOnReadOnlyDescriptorFails) {
  write_file(path("f"), "abc");
  int fd = ::open(path("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  // POSIX: EBADF or EINVAL when not open for writing; Linux says EINVAL.
  errno = 0;
  EXPECT_EQ(-1, ::ftruncate(fd, 0));
  EXPECT_TRUE(errno == EINVAL || errno == EBADF) << std::strerror(errno);
  ::close(fd);
  EXPECT_EQ("abc", read_file(path("f")));
}

TEST_F(Truncate, MissingIsEnoentFileComponentIsEnotdir) {
  write_file(path("f"));
  EXPECT_ERRNO(ENOENT, ::truncate(path("missing").c_str(), 0));
  EXPECT_ERRNO(ENOTDIR, ::truncate(path("f/x").c_str(), 0));
}

TEST_F(Truncate, FollowsSymlinks) {
  write_file(path("f"), "abcdef");
  ASSERT_OK(::symlink("f", path("l").c_str()));
  ASSERT_OK(::truncate(path("l").c_str(), 3));
  EXPECT_EQ("abc", read_file(path("f")));
  EXPECT_TRUE(S_ISLNK(lstat_of(path("l")).st_mode));
}

TEST_F(Truncate, WithoutWritePermissionIsEacces) {
  REQUIRE_ROOT();
  write_file(path("f"), "abc", 0644);
  EXPECT_EQ(EACCES, as_nobody([&] { return err(::truncate(path("f").c_str(), 0)); }));
  EXPECT_EQ("abc", read_file(path("f")));
  ASSERT_OK(::chmod(path("f").c_str(), 0646));
  EXPECT_EQ(0, as_nobody([&] { return err(::truncate(path("f").c_str(), 1)); }));
  EXPECT_EQ("a", read_file(path("f")));
}

}  // namespace
}  // namespace fzfs::posix
