// symlink(2), readlink(2): link contents, sizes, traversal and the errno cases.
#include <fcntl.h>
#include <limits.h>

#include <vector>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Symlink = PosixTest;

std::string readlink_of(const std::string& p) {
  std::string buf(PATH_MAX + 1, '\0');
  ssize_t n = ::readlink(p.c_str(), buf.data(), buf.size());
  if (n < 0) {
    ADD_FAILURE() << "readlink " << p << ": " << std::strerror(errno);
    return {};
  }
  buf.resize(static_cast<size_t>(n));
  return buf;
}

TEST_F(Symlink, StoresTheTargetTextExactlyAndSizeIsItsLength) {
  const std::vector<std::string> targets = {"t", "../somewhere/else", "/absolute/path", "with space and \xc3\xa9",
                                            std::string(1023, 'x'), std::string(4095, 'y')};
  for (size_t i = 0; i < targets.size(); ++i) {
    const std::string& target = targets[i];
    std::string name = "link" + std::to_string(i);
    ASSERT_OK(::symlink(target.c_str(), path(name).c_str()));
    EXPECT_EQ(target, readlink_of(path(name)));
    struct stat st = lstat_of(path(name));
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    EXPECT_EQ(static_cast<off_t>(target.size()), st.st_size);
  }
}

TEST_F(Symlink, ReadlinkTruncatesToTheBufferWithoutNul) {
  ASSERT_OK(::symlink("abcdef", path("l").c_str()));
  char buf[4] = {'#', '#', '#', '#'};
  EXPECT_EQ(3, ::readlink(path("l").c_str(), buf, 3));
  EXPECT_EQ(std::string("abc#"), std::string(buf, 4));
}

TEST_F(Symlink, IsFollowedForFilesAndDirectories) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  write_file(path("d/f"), "through");
  ASSERT_OK(::symlink("d", path("dl").c_str()));
  ASSERT_OK(::symlink("dl/f", path("fl").c_str()));
  EXPECT_EQ("through", read_file(path("fl")));
  EXPECT_EQ("through", read_file(path("dl/f")));
  EXPECT_EQ(stat_of(path("d/f")).st_ino, stat_of(path("fl")).st_ino);
  ASSERT_OK(::symlink(path("d/f").c_str(), path("abs").c_str()));
  EXPECT_EQ("through", read_file(path("abs")));
}

TEST_F(Symlink, DanglingLinkIsCreatedAndFollowingItIsEnoent) {
  ASSERT_OK(::symlink("nowhere", path("l").c_str()));
  EXPECT_TRUE(S_ISLNK(lstat_of(path("l")).st_mode));
  struct stat st;
  EXPECT_ERRNO(ENOENT, ::stat(path("l").c_str(), &st));
}

TEST_F(Symlink, ExistingNameIsEexist) {
  write_file(path("f"), "f");
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  ASSERT_OK(::symlink("x", path("l").c_str()));
  for (const char* name : {"f", "d", "l"}) EXPECT_ERRNO(EEXIST, ::symlink("y", path(name).c_str()));
  EXPECT_EQ("x", readlink_of(path("l")));
  EXPECT_EQ("f", read_file(path("f")));
}

TEST_F(Symlink, MissingParentIsEnoentFileParentIsEnotdir) {
  write_file(path("f"));
  EXPECT_ERRNO(ENOENT, ::symlink("x", path("nodir/l").c_str()));
  EXPECT_ERRNO(ENOTDIR, ::symlink("x", path("f/l").c_str()));
}

TEST_F(Symlink, EmptyTargetIsEnoent) {
  EXPECT_ERRNO(ENOENT, ::symlink("", path("l").c_str()));
  EXPECT_FALSE(exists(path("l")));
}

TEST_F(Symlink, TargetOfPathMaxBytesIsEnametoolong) {
  EXPECT_ERRNO(ENAMETOOLONG, ::symlink(std::string(PATH_MAX, 'z').c_str(), path("l").c_str()));
  EXPECT_FALSE(exists(path("l")));
}

TEST_F(Symlink, ReadlinkOfNonSymlinkIsEinval) {
  write_file(path("f"));
  char buf[16];
  EXPECT_ERRNO(EINVAL, ::readlink(path("f").c_str(), buf, sizeof buf));
  EXPECT_ERRNO(EINVAL, ::readlink(dir().c_str(), buf, sizeof buf));
  EXPECT_ERRNO(ENOENT, ::readlink(path("missing").c_str(), buf, sizeof buf));
}

TEST_F(Symlink, UpdatesParentMtimeAndCtime) {
  struct stat before = stat_of(dir());
  tick();
  ASSERT_OK(::symlink("x", path("l").c_str()));
  struct stat after = stat_of(dir());
  EXPECT_TRUE(later(after.st_mtim, before.st_mtim));
  EXPECT_TRUE(later(after.st_ctim, before.st_ctim));
}

TEST_F(Symlink, WithoutWritePermissionOnParentIsEacces) {
  REQUIRE_ROOT();
  ASSERT_OK(::mkdir(path("p").c_str(), 0755));
  EXPECT_EQ(EACCES, as_nobody([&] { return err(::symlink("x", path("p/l").c_str())); }));
  ASSERT_OK(::chmod(path("p").c_str(), 0777));
  EXPECT_EQ(0, as_nobody([&] { return err(::symlink("x", path("p/l").c_str())); }));
  EXPECT_EQ(kNobodyUid, lstat_of(path("p/l")).st_uid);
}

}  // namespace
}  // namespace fzfs::posix
