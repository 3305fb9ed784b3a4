// Link counts: directories count "." and their subdirectories' "..", files count names.
#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Nlink = PosixTest;

TEST_F(Nlink, NestedDirectoriesCountTheirSubdirectories) {
  ASSERT_OK(::mkdir(path("top").c_str(), 0755));
  for (int i = 0; i < 10; ++i) ASSERT_OK(::mkdir(path("top/d" + std::to_string(i)).c_str(), 0755));
  for (int i = 0; i < 5; ++i) write_file(path("top/f" + std::to_string(i)));
  EXPECT_EQ(12u, stat_of(path("top")).st_nlink);
  ASSERT_OK(::mkdir(path("top/d0/inner").c_str(), 0755));
  EXPECT_EQ(12u, stat_of(path("top")).st_nlink) << "grandchildren do not count";
  EXPECT_EQ(3u, stat_of(path("top/d0")).st_nlink);
  ASSERT_OK(::rename(path("top/d0/inner").c_str(), path("top/inner").c_str()));
  EXPECT_EQ(13u, stat_of(path("top")).st_nlink);
  EXPECT_EQ(2u, stat_of(path("top/d0")).st_nlink);
}

TEST_F(Nlink, FileLinkCountFollowsLinkRenameAndUnlink) {
  write_file(path("f"));
  EXPECT_EQ(1u, stat_of(path("f")).st_nlink);
  ASSERT_OK(::link(path("f").c_str(), path("g").c_str()));
  ASSERT_OK(::rename(path("g").c_str(), path("h").c_str()));
  EXPECT_EQ(2u, stat_of(path("f")).st_nlink) << "rename does not change the count";
  ASSERT_OK(::rename(path("h").c_str(), path("f").c_str()));  // same inode: no-op
  EXPECT_EQ(2u, stat_of(path("f")).st_nlink);
  ASSERT_OK(::unlink(path("h").c_str()));
  EXPECT_EQ(1u, stat_of(path("f")).st_nlink);
}

}  // namespace
}  // namespace fzfs::posix
