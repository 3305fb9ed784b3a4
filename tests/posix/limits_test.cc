// Name and path limits (ENAMETOOLONG) and symlink loops (ELOOP) for every call that
// takes a path.
#include <fcntl.h>
#include <limits.h>
#include <sys/time.h>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using NameTooLong = PosixTest;
using SymlinkLoop = PosixTest;

TEST_F(NameTooLong, ComponentOf255BytesWorksEverywhere) {
  std::string n = name_of_length(NAME_MAX);
  ASSERT_EQ(0, open_err(path(n), O_WRONLY | O_CREAT));
  EXPECT_EQ(std::multiset<std::string>{n}, list_dir(dir()));
  std::string m = name_of_length(NAME_MAX, 'm');
  EXPECT_OK(::rename(path(n).c_str(), path(m).c_str()));
  EXPECT_OK(::link(path(m).c_str(), path(n).c_str()));
  EXPECT_OK(::unlink(path(n).c_str()));
  EXPECT_OK(::mkdir(path(n).c_str(), 0755));
  EXPECT_OK(::rmdir(path(n).c_str()));
  EXPECT_OK(::symlink(m.c_str(), path(n).c_str()));
  EXPECT_EQ(stat_of(path(m)).st_ino, stat_of(path(n)).st_ino);
}

TEST_F(NameTooLong, ComponentOf256BytesIsRefusedByEveryCall) {
  const std::string longp = path(name_of_length(NAME_MAX + 1));
  write_file(path("f"));
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  struct stat st;
  EXPECT_EQ(ENAMETOOLONG, open_err(longp, O_WRONLY | O_CREAT));
  EXPECT_EQ(ENAMETOOLONG, open_err(longp, O_RDONLY));
  EXPECT_ERRNO(ENAMETOOLONG, ::mkdir(longp.c_str(), 0755));
  EXPECT_ERRNO(ENAMETOOLONG, ::rmdir(longp.c_str()));
  EXPECT_ERRNO(ENAMETOOLONG, ::unlink(longp.c_str()));
  EXPECT_ERRNO(ENAMETOOLONG, ::mkfifo(longp.c_str(), 0600));
  EXPECT_ERRNO(ENAMETOOLONG, ::mknod(longp.c_str(), S_IFIFO | 0600, 0));
  EXPECT_ERRNO(ENAMETOOLONG, ::symlink("f", longp.c_str()));
  EXPECT_ERRNO(ENAMETOOLONG, ::link(path("f").c_str(), longp.c_str()));
  EXPECT_ERRNO(ENAMETOOLONG, ::rename(path("f").c_str(), longp.c_str()));
  EXPECT_ERRNO(ENAMETOOLONG, ::rename(longp.c_str(), path("g").c_str()));
  EXPECT_ERRNO(ENAMETOOLONG, ::stat(longp.c_str(), &st));
  EXPECT_ERRNO(ENAMETOOLONG, ::chmod(longp.c_str(), 0644));
  EXPECT_ERRNO(ENAMETOOLONG, ::chown(longp.c_str(), 0, 0));
  EXPECT_ERRNO(ENAMETOOLONG, ::truncate(longp.c_str(), 0));
  EXPECT_ERRNO(ENAMETOOLONG, ::utimensat(AT_FDCWD, longp.c_str(), nullptr, 0));
  // As an intermediate component too.
  EXPECT_EQ(ENAMETOOLONG, open_err(longp + "/x", O_RDONLY));
  EXPECT_EQ((std::multiset<std::string>{"d", "f"}), list_dir(dir()));
}

TEST_F(NameTooLong, PathOfPathMaxBytesIsRefused) {
  // Components of 100 bytes joined up to PATH_MAX bytes without a terminating NUL.
  std::string p = dir();
  while (p.size() < PATH_MAX) p += "/" + name_of_length(100);
  p.resize(PATH_MAX);
  EXPECT_EQ(ENAMETOOLONG, open_err(p, O_RDONLY));
  EXPECT_ERRNO(ENAMETOOLONG, ::mkdir(p.c_str(), 0755));
}

TEST_F(SymlinkLoop, TwoLinksPointingAtEachOtherAreEloop) {
  ASSERT_OK(::symlink("b", path("a").c_str()));
  ASSERT_OK(::symlink("a", path("b").c_str()));
  struct stat st;
  EXPECT_EQ(ELOOP, open_err(path("a"), O_RDONLY));
  EXPECT_EQ(ELOOP, open_err(path("a"), O_WRONLY | O_CREAT));
  EXPECT_ERRNO(ELOOP, ::stat(path("a").c_str(), &st));
  EXPECT_ERRNO(ELOOP, ::chmod(path("a").c_str(), 0644));
  EXPECT_ERRNO(ELOOP, ::chown(path("a").c_str(), 0, 0));
  EXPECT_ERRNO(ELOOP, ::truncate(path("a").c_str(), 0));
  EXPECT_ERRNO(ELOOP, ::utimensat(AT_FDCWD, path("a").c_str(), nullptr, 0));
  // lstat and unlink act on the link itself and are fine.
  EXPECT_OK(::lstat(path("a").c_str(), &st));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_F(SymlinkLoop, SelfLinkAsIntermediateComponentIsEloop) {
  ASSERT_OK(::symlink("self", path("self").c_str()));
  struct stat st;
  EXPECT_ERRNO(ELOOP, ::stat(path("self/x").c_str(), &st));
  EXPECT_ERRNO(ELOOP, ::mkdir(path("self/x").c_str(), 0755));
  EXPECT_ERRNO(ELOOP, ::unlink(path("self/x").c_str()));
  EXPECT_ERRNO(ELOOP, ::rmdir(path("self/x").c_str()));
  EXPECT_ERRNO(ELOOP, ::symlink("t", path("self/x").c_str()));
  EXPECT_ERRNO(ELOOP, ::mkfifo(path("self/x").c_str(), 0600));
  EXPECT_ERRNO(ELOOP, ::rename(path("self/x").c_str(), path("y").c_str()));
  write_file(path("f"));
  EXPECT_ERRNO(ELOOP, ::link(path("f").c_str(), path("self/x").c_str()));
  EXPECT_OK(::unlink(path("self").c_str()));
}

TEST_F(SymlinkLoop, LongChainIsEloopShortChainResolves) {
  // Linux follows at most 40 links in one lookup.
  write_file(path("end"), "reached");
  std::string prev = "end";
  for (int i = 0; i < 45; ++i) {
    std::string name = "c" + std::to_string(i);
    ASSERT_OK(::symlink(prev.c_str(), path(name).c_str()));
    prev = name;
  }
  EXPECT_EQ("reached", read_file(path("c7")));
  EXPECT_EQ(ELOOP, open_err(path("c44"), O_RDONLY));
}

}  // namespace
}  // namespace fzfs::posix
