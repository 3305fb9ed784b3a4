// EXDEV: rename and link between the directory under test and FZFS_POSIX_OTHER_DIR,
// which lies on another file system (or another dataset of the same pool).
#include <fcntl.h>

#include <cstdlib>
#include <vector>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

class Exdev : public PosixTest {
 protected:
  void SetUp() override {
    PosixTest::SetUp();
    if (HasFatalFailure()) return;
    const char* other = std::getenv("FZFS_POSIX_OTHER_DIR");
    if (other == nullptr || *other == '\0') GTEST_SKIP() << "FZFS_POSIX_OTHER_DIR is not set";
    std::string pattern = std::string(other) + "/posix-exdev.XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    ASSERT_NE(nullptr, ::mkdtemp(buf.data())) << pattern << ": " << std::strerror(errno);
    other_ = buf.data();
    devices_ = "st_dev " + std::to_string(stat_of(dir()).st_dev) + " vs " +
               std::to_string(stat_of(other_).st_dev);
  }
  void TearDown() override {
    if (!other_.empty()) remove_tree(other_);
    PosixTest::TearDown();
  }
  std::string other(std::string_view rel) const { return other_ + "/" + std::string(rel); }

  std::string other_;
  std::string devices_;  // shown on failure
};

TEST_F(Exdev, RenameOfAFileToTheOtherFileSystemIsExdevAndKeepsTheSource) {
  write_file(path("f"), "stay");
  EXPECT_EQ(EXDEV, err(::rename(path("f").c_str(), other("f").c_str()))) << devices_;
  EXPECT_EQ("stay", read_file(path("f")));
  EXPECT_FALSE(exists(other("f")));
}

TEST_F(Exdev, RenameFromTheOtherFileSystemIsExdev) {
  write_file(other("f"), "there");
  EXPECT_EQ(EXDEV, err(::rename(other("f").c_str(), path("f").c_str()))) << devices_;
  EXPECT_EQ("there", read_file(other("f")));
  EXPECT_FALSE(exists(path("f")));
}

TEST_F(Exdev, RenameOfADirectoryAcrossIsExdev) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  write_file(path("d/f"), "x");
  EXPECT_EQ(EXDEV, err(::rename(path("d").c_str(), other("d").c_str()))) << devices_;
  EXPECT_EQ("x", read_file(path("d/f")));
}

TEST_F(Exdev, RenameOverAnExistingFileAcrossIsExdevAndKeepsBoth) {
  write_file(path("f"), "mine");
  write_file(other("f"), "theirs");
  EXPECT_EQ(EXDEV, err(::rename(path("f").c_str(), other("f").c_str()))) << devices_;
  EXPECT_EQ("mine", read_file(path("f")));
  EXPECT_EQ("theirs", read_file(other("f")));
}

TEST_F(Exdev, HardLinkAcrossIsExdev) {
  write_file(path("f"), "x");
  EXPECT_EQ(EXDEV, err(::link(path("f").c_str(), other("f").c_str()))) << devices_;
  EXPECT_EQ(1u, stat_of(path("f")).st_nlink);
  EXPECT_FALSE(exists(other("f")));
}

TEST_F(Exdev, SymlinkAcrossIsFine) {
  write_file(other("f"), "via symlink");
  ASSERT_OK(::symlink(other("f").c_str(), path("l").c_str()));
  EXPECT_EQ("via symlink", read_file(path("l")));
}

}  // namespace
}  // namespace fzfs::posix
