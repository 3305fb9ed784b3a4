// utimensat(2), futimens(2): explicit times, UTIME_NOW, UTIME_OMIT, ctime, privileges.
#include <fcntl.h>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Utimensat = PosixTest;

int set_times(const std::string& p, timespec atime, timespec mtime, int flags = 0) {
  timespec ts[2] = {atime, mtime};
  return err(::utimensat(AT_FDCWD, p.c_str(), ts, flags));
}

constexpr timespec at(time_t sec, long nsec) { return timespec{sec, nsec}; }
constexpr timespec kNow = {0, UTIME_NOW};
constexpr timespec kOmit = {0, UTIME_OMIT};

TEST_F(Utimensat, SetsExplicitTimesToTheNanosecond) {
  write_file(path("f"));
  ASSERT_EQ(0, set_times(path("f"), at(1000000000, 123456789), at(1500000000, 987654321)));
  struct stat st = stat_of(path("f"));
  EXPECT_EQ(at(1000000000, 123456789), st.st_atim) << to_string(st.st_atim);
  EXPECT_EQ(at(1500000000, 987654321), st.st_mtim) << to_string(st.st_mtim);
}

TEST_F(Utimensat, AcceptsTimesBeforeTheEpoch) {
  write_file(path("f"));
  ASSERT_EQ(0, set_times(path("f"), at(-86400, 0), at(-1, 999999999)));  // 1969
  struct stat st = stat_of(path("f"));
  EXPECT_EQ(at(-86400, 0), st.st_atim);
  EXPECT_EQ(at(-1, 999999999), st.st_mtim);
}

TEST_F(Utimensat, AcceptsTimesAfter2038) {
  write_file(path("f"));
  ASSERT_EQ(0, set_times(path("f"), at(2147483648, 0), at(4102444800, 5)));  // 2038, 2100
  struct stat st = stat_of(path("f"));
  EXPECT_EQ(at(2147483648, 0), st.st_atim);
  EXPECT_EQ(at(4102444800, 5), st.st_mtim);
}

TEST_F(Utimensat, WorksOnDirectories) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  ASSERT_EQ(0, set_times(path("d"), at(111, 1), at(222, 2)));
  struct stat st = stat_of(path("d"));
  EXPECT_EQ(at(111, 1), st.st_atim);
  EXPECT_EQ(at(222, 2), st.st_mtim);
}

TEST_F(Utimensat, UtimeNowSetsBothToTheCurrentTime) {
  write_file(path("f"));
  ASSERT_EQ(0, set_times(path("f"), at(1, 0), at(2, 0)));
  timespec before = now_realtime();
  tick();
  ASSERT_EQ(0, set_times(path("f"), kNow, kNow));
  struct stat st = stat_of(path("f"));
  EXPECT_TRUE(later(st.st_atim, before)) << to_string(st.st_atim);
  EXPECT_TRUE(later(st.st_mtim, before)) << to_string(st.st_mtim);
  EXPECT_FALSE(later(st.st_mtim, now_realtime()));
}

TEST_F(Utimensat, NullTimesMeansNow) {
  write_file(path("f"));
  ASSERT_EQ(0, set_times(path("f"), at(1, 0), at(2, 0)));
  ASSERT_OK(::utimensat(AT_FDCWD, path("f").c_str(), nullptr, 0));
  EXPECT_GT(stat_of(path("f")).st_mtim.tv_sec, 1000000000);
  EXPECT_GT(stat_of(path("f")).st_atim.tv_sec, 1000000000);
}

TEST_F(Utimensat, UtimeOmitLeavesThatTimeAlone) {
  write_file(path("f"));
  ASSERT_EQ(0, set_times(path("f"), at(100, 1), at(200, 2)));
  ASSERT_EQ(0, set_times(path("f"), kOmit, at(300, 3)));
  struct stat st = stat_of(path("f"));
  EXPECT_EQ(at(100, 1), st.st_atim);
  EXPECT_EQ(at(300, 3), st.st_mtim);
  ASSERT_EQ(0, set_times(path("f"), at(400, 4), kOmit));
  st = stat_of(path("f"));
  EXPECT_EQ(at(400, 4), st.st_atim);
  EXPECT_EQ(at(300, 3), st.st_mtim);
  ASSERT_EQ(0, set_times(path("f"), kNow, kOmit));
  st = stat_of(path("f"));
  EXPECT_GT(st.st_atim.tv_sec, 1000000000);
  EXPECT_EQ(at(300, 3), st.st_mtim);
}

TEST_F(Utimensat, ChangingTimesUpdatesCtime) {
  write_file(path("f"));
  struct stat before = stat_of(path("f"));
  tick();
  ASSERT_EQ(0, set_times(path("f"), at(5, 0), at(6, 0)));
  struct stat after = stat_of(path("f"));
  EXPECT_TRUE(later(after.st_ctim, before.st_ctim));
  EXPECT_FALSE(later(after.st_ctim, now_realtime()));
}

TEST_F(Utimensat, BothOmittedChangesNothing) {
  write_file(path("f"));
  ASSERT_EQ(0, set_times(path("f"), at(10, 0), at(20, 0)));
  struct stat before = stat_of(path("f"));
  tick();
  ASSERT_EQ(0, set_times(path("f"), kOmit, kOmit));
  struct stat after = stat_of(path("f"));
  EXPECT_EQ(before.st_atim, after.st_atim);
  EXPECT_EQ(before.st_mtim, after.st_mtim);
}

TEST_F(Utimensat, SymlinkNofollowSetsTheLinkNotTheTarget) {
  write_file(path("f"));
  ASSERT_EQ(0, set_times(path("f"), at(1, 0), at(2, 0)));
  ASSERT_OK(::symlink("f", path("l").c_str()));
  ASSERT_EQ(0, set_times(path("l"), at(7, 7), at(8, 8), AT_SYMLINK_NOFOLLOW));
  EXPECT_EQ(at(8, 8), lstat_of(path("l")).st_mtim);
  EXPECT_EQ(at(2, 0), stat_of(path("f")).st_mtim);
  ASSERT_EQ(0, set_times(path("l"), at(3, 0), at(4, 0)));
  EXPECT_EQ(at(4, 0), stat_of(path("f")).st_mtim);
  EXPECT_EQ(at(8, 8), lstat_of(path("l")).st_mtim);
}

TEST_F(Utimensat, FutimensOnDescriptor) {
  write_file(path("f"));
  int fd = ::open(path("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  timespec ts[2] = {at(31, 41), at(59, 26)};
  EXPECT_OK(::futimens(fd, ts));
  ::close(fd);
  EXPECT_EQ(at(59, 26), stat_of(path("f")).st_mtim);
}

TEST_F(Utimensat, InvalidNanosecondsIsEinval) {
  write_file(path("f"));
  EXPECT_EQ(EINVAL, set_times(path("f"), at(1, 1000000000), at(1, 0)));
  EXPECT_EQ(EINVAL, set_times(path("f"), at(1, 0), at(1, -5)));
}

TEST_F(Utimensat, MissingIsEnoentFileComponentIsEnotdir) {
  write_file(path("f"));
  EXPECT_EQ(ENOENT, set_times(path("missing"), kNow, kNow));
  EXPECT_EQ(ENOTDIR, set_times(path("f/x"), kNow, kNow));
}

TEST_F(Utimensat, NonOwnerWithWriteAccessMaySetNowButNotExplicitTimes) {
  REQUIRE_ROOT();
  write_file(path("f"), "", 0666);
  ASSERT_EQ(0, set_times(path("f"), at(1, 0), at(2, 0)));
  EXPECT_EQ(EPERM, as_nobody([&] { return set_times(path("f"), at(9, 0), at(9, 0)); }));
  EXPECT_EQ(at(2, 0), stat_of(path("f")).st_mtim);
  EXPECT_EQ(0, as_nobody([&] { return set_times(path("f"), kNow, kNow); }));
  EXPECT_GT(stat_of(path("f")).st_mtim.tv_sec, 1000000000);
}

TEST_F(Utimensat, NonOwnerWithoutWriteAccessMayNotSetNow) {
  REQUIRE_ROOT();
  write_file(path("f"), "", 0644);
  EXPECT_EQ(EACCES, as_nobody([&] { return set_times(path("f"), kNow, kNow); }));
  EXPECT_EQ(EACCES, as_nobody([&] { return err(::utimensat(AT_FDCWD, path("f").c_str(), nullptr, 0)); }));
}

TEST_F(Utimensat, OwnerMaySetExplicitTimesWithoutWriteAccess) {
  REQUIRE_ROOT();
  write_file(path("f"), "", 0444);
  ASSERT_OK(::chown(path("f").c_str(), kNobodyUid, kNobodyGid));
  EXPECT_EQ(0, as_nobody([&] { return set_times(path("f"), at(12, 0), at(13, 0)); }));
  EXPECT_EQ(at(13, 0), stat_of(path("f")).st_mtim);
}

}  // namespace
}  // namespace fzfs::posix
