// mkdir(2): mode, ownership, link counts, parent times and the errno cases.
#include <fcntl.h>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Mkdir = PosixTest;

TEST_F(Mkdir, CreatesEmptyDirectoryWithModeMaskedByUmask) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0777));
  struct stat st = stat_of(path("d"));
  EXPECT_EQ(S_IFDIR | 0755, st.st_mode);  // umask 022 from the fixture
  EXPECT_TRUE(list_dir(path("d")).empty());
  ::umask(077);
  ASSERT_OK(::mkdir(path("e").c_str(), 0777));
  EXPECT_EQ(S_IFDIR | 0700, stat_of(path("e")).st_mode);
}

TEST_F(Mkdir, NewDirectoryHasTwoLinksAndRaisesParentCount) {
  nlink_t parent = stat_of(dir()).st_nlink;
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  EXPECT_EQ(2u, stat_of(path("d")).st_nlink);
  EXPECT_EQ(parent + 1, stat_of(dir()).st_nlink);
  write_file(path("f"));  // files do not count in the parent's links
  EXPECT_EQ(parent + 1, stat_of(dir()).st_nlink);
}

TEST_F(Mkdir, DotAndDotDotReachItselfAndParent) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  EXPECT_EQ(stat_of(path("d")).st_ino, stat_of(path("d/.")).st_ino);
  EXPECT_EQ(stat_of(dir()).st_ino, stat_of(path("d/..")).st_ino);
}

TEST_F(Mkdir, OwnerIsTheCallerAndTimesAreNow) {
  REQUIRE_ROOT();
  ASSERT_OK(::chmod(dir().c_str(), 0777));
  timespec start = now_realtime();
  tick();
  EXPECT_EQ(0, as_nobody([&] { return err(::mkdir(path("d").c_str(), 0755)); }));
  struct stat st = stat_of(path("d"));
  EXPECT_EQ(kNobodyUid, st.st_uid);
  EXPECT_EQ(kNobodyGid, st.st_gid);
  EXPECT_TRUE(later(st.st_mtim, start));
  EXPECT_TRUE(later(st.st_ctim, start));
  EXPECT_TRUE(later(st.st_atim, start));
}

TEST_F(Mkdir, UpdatesParentMtimeAndCtime) {
  struct stat before = stat_of(dir());
  tick();
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  struct stat after = stat_of(dir());
  EXPECT_TRUE(later(after.st_mtim, before.st_mtim));
  EXPECT_TRUE(later(after.st_ctim, before.st_ctim));
}

TEST_F(Mkdir, InSetgidDirectoryInheritsGroupAndSetgidBit) {
  REQUIRE_ROOT();
  ASSERT_OK(::mkdir(path("sg").c_str(), 0777));
  ASSERT_OK(::chown(path("sg").c_str(), 0, 4321));
  ASSERT_OK(::chmod(path("sg").c_str(), 02777));
  ASSERT_OK(::mkdir(path("sg/d").c_str(), 0755));
  struct stat st = stat_of(path("sg/d"));
  EXPECT_EQ(4321u, st.st_gid);
  EXPECT_TRUE(st.st_mode & S_ISGID);
  write_file(path("sg/f"));
  EXPECT_EQ(4321u, stat_of(path("sg/f")).st_gid);
}

TEST_F(Mkdir, ExistingNameOfAnyTypeIsEexist) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  write_file(path("f"));
  ASSERT_OK(::symlink("nowhere", path("dangling").c_str()));
  ASSERT_OK(::symlink("d", path("dirlink").c_str()));
  for (const char* name : {"d", "f", "dangling", "dirlink"}) {
    EXPECT_ERRNO(EEXIST, ::mkdir(path(name).c_str(), 0755));
  }
  EXPECT_FALSE(exists(path("nowhere")));
  EXPECT_ERRNO(EEXIST, ::mkdir(dir().c_str(), 0755));
}

TEST_F(Mkdir, MissingParentIsEnoent) {
  EXPECT_ERRNO(ENOENT, ::mkdir(path("a/b").c_str(), 0755));
  EXPECT_FALSE(exists(path("a")));
  EXPECT_ERRNO(ENOENT, ::mkdir("", 0755));
}

TEST_F(Mkdir, FileAsParentIsEnotdir) {
  write_file(path("f"));
  EXPECT_ERRNO(ENOTDIR, ::mkdir(path("f/d").c_str(), 0755));
}

TEST_F(Mkdir, NoWritePermissionOnParentIsEacces) {
  REQUIRE_ROOT();
  ASSERT_OK(::mkdir(path("p").c_str(), 0755));
  EXPECT_EQ(EACCES, as_nobody([&] { return err(::mkdir(path("p/d").c_str(), 0755)); }));
  EXPECT_FALSE(exists(path("p/d")));
  ASSERT_OK(::chmod(path("p").c_str(), 0777));
  EXPECT_EQ(0, as_nobody([&] { return err(::mkdir(path("p/d").c_str(), 0755)); }));
}

TEST_F(Mkdir, NoSearchPermissionOnAncestorIsEacces) {
  REQUIRE_ROOT();
  make_dir(path("p"), 0777);
  make_dir(path("p/q"), 0777);
  EXPECT_EQ(0, as_nobody([&] { return err(::mkdir(path("p/q/ok").c_str(), 0755)); }));
  ASSERT_OK(::chmod(path("p").c_str(), 0666));
  EXPECT_EQ(EACCES, as_nobody([&] { return err(::mkdir(path("p/q/d").c_str(), 0755)); }));
}

TEST_F(Mkdir, TrailingSlashIsAccepted) {
  ASSERT_OK(::mkdir((path("d") + "/").c_str(), 0755));
  EXPECT_TRUE(S_ISDIR(stat_of(path("d")).st_mode));
}

TEST_F(Mkdir, DeepPathsWork) {
  std::string p = dir();
  for (int i = 0; i < 64; ++i) {
    p += "/level" + std::to_string(i);
    ASSERT_OK(::mkdir(p.c_str(), 0755));
  }
  write_file(p + "/leaf", "deep");
  EXPECT_EQ("deep", read_file(p + "/leaf"));
}

}  // namespace
}  // namespace fzfs::posix
