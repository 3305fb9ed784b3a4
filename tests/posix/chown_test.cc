// chown(2), fchown(2), lchown(2): ownership, -1 meaning "unchanged", ctime, privileges.
#include <fcntl.h>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Chown = PosixTest;

TEST_F(Chown, RootSetsUidAndGid) {
  REQUIRE_ROOT();
  write_file(path("f"));
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  for (const char* name : {"f", "d"}) {
    EXPECT_OK(::chown(path(name).c_str(), 1234, 5678));
    struct stat st = stat_of(path(name));
    EXPECT_EQ(1234u, st.st_uid) << name;
    EXPECT_EQ(5678u, st.st_gid) << name;
  }
}

TEST_F(Chown, MinusOneLeavesThatIdUnchanged) {
  REQUIRE_ROOT();
  write_file(path("f"));
  ASSERT_OK(::chown(path("f").c_str(), 100, 200));
  EXPECT_OK(::chown(path("f").c_str(), static_cast<uid_t>(-1), 300));
  EXPECT_EQ(100u, stat_of(path("f")).st_uid);
  EXPECT_EQ(300u, stat_of(path("f")).st_gid);
  EXPECT_OK(::chown(path("f").c_str(), 400, static_cast<gid_t>(-1)));
  EXPECT_EQ(400u, stat_of(path("f")).st_uid);
  EXPECT_EQ(300u, stat_of(path("f")).st_gid);
}

TEST_F(Chown, FchownChangesTheOpenFile) {
  REQUIRE_ROOT();
  write_file(path("f"));
  int fd = ::open(path("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_OK(::fchown(fd, 321, 654));
  ::close(fd);
  EXPECT_EQ(321u, stat_of(path("f")).st_uid);
  EXPECT_EQ(654u, stat_of(path("f")).st_gid);
}

TEST_F(Chown, ChownFollowsSymlinkLchownChangesTheLink) {
  REQUIRE_ROOT();
  write_file(path("target"));
  ASSERT_OK(::symlink("target", path("link").c_str()));
  EXPECT_OK(::chown(path("link").c_str(), 11, 12));
  EXPECT_EQ(11u, stat_of(path("target")).st_uid);
  EXPECT_EQ(0u, lstat_of(path("link")).st_uid);
  EXPECT_OK(::lchown(path("link").c_str(), 21, 22));
  EXPECT_EQ(21u, lstat_of(path("link")).st_uid);
  EXPECT_EQ(22u, lstat_of(path("link")).st_gid);
  EXPECT_EQ(11u, stat_of(path("target")).st_uid);
}

TEST_F(Chown, UpdatesCtimeButNotMtime) {
  REQUIRE_ROOT();
  write_file(path("f"));
  struct stat before = stat_of(path("f"));
  tick();
  ASSERT_OK(::chown(path("f").c_str(), 77, 77));
  struct stat after = stat_of(path("f"));
  EXPECT_TRUE(later(after.st_ctim, before.st_ctim));
  EXPECT_EQ(before.st_mtim, after.st_mtim);
}

TEST_F(Chown, UnprivilegedCallerCannotGiveAwayAFile) {
  REQUIRE_ROOT();
  write_file(path("f"));
  ASSERT_OK(::chown(path("f").c_str(), kNobodyUid, kNobodyGid));
  EXPECT_EQ(EPERM, as_nobody([&] { return err(::chown(path("f").c_str(), 1000, static_cast<gid_t>(-1))); }));
  EXPECT_EQ(kNobodyUid, stat_of(path("f")).st_uid);
}

TEST_F(Chown, UnprivilegedOwnerCannotChooseAGroupItIsNotIn) {
  REQUIRE_ROOT();
  write_file(path("f"));
  ASSERT_OK(::chown(path("f").c_str(), kNobodyUid, kNobodyGid));
  EXPECT_EQ(EPERM, as_nobody([&] { return err(::chown(path("f").c_str(), static_cast<uid_t>(-1), 0)); }));
  EXPECT_EQ(kNobodyGid, stat_of(path("f")).st_gid);
}

TEST_F(Chown, UnprivilegedNonOwnerGetsEperm) {
  REQUIRE_ROOT();
  write_file(path("f"), "", 0666);
  EXPECT_EQ(EPERM, as_nobody([&] { return err(::chown(path("f").c_str(), kNobodyUid, kNobodyGid)); }));
  EXPECT_EQ(0u, stat_of(path("f")).st_uid);
}

TEST_F(Chown, UnprivilegedOwnerChangingGroupClearsSetuidAndSetgid) {
  REQUIRE_ROOT();
  write_file(path("f"));
  ASSERT_OK(::chown(path("f").c_str(), kNobodyUid, 0));
  ASSERT_OK(::chmod(path("f").c_str(), 06755));
  EXPECT_EQ(0, as_nobody([&] { return err(::chown(path("f").c_str(), static_cast<uid_t>(-1), kNobodyGid)); }));
  struct stat st = stat_of(path("f"));
  EXPECT_EQ(kNobodyGid, st.st_gid);
  EXPECT_EQ(S_IFREG | 0755, st.st_mode) << std::oct << st.st_mode;
}

TEST_F(Chown, MissingPathIsEnoentAndFileComponentIsEnotdir) {
  write_file(path("f"));
  EXPECT_ERRNO(ENOENT, ::chown(path("missing").c_str(), 0, 0));
  EXPECT_ERRNO(ENOTDIR, ::chown(path("f/x").c_str(), 0, 0));
}

TEST_F(Chown, DanglingSymlinkIsEnoentButLchownWorks) {
  REQUIRE_ROOT();
  ASSERT_OK(::symlink("nowhere", path("link").c_str()));
  EXPECT_ERRNO(ENOENT, ::chown(path("link").c_str(), 5, 5));
  EXPECT_OK(::lchown(path("link").c_str(), 5, 5));
  EXPECT_EQ(5u, lstat_of(path("link")).st_uid);
}

}  // namespace
}  // namespace fzfs::posix
