// Extended attributes in the user namespace: setxattr(2), getxattr(2), listxattr(2),
// removexattr(2) with their flags and errno cases. Skipped where the file system does not
// support user xattrs at all (ENOTSUP on the first set).
#include <fcntl.h>
#include <sys/xattr.h>

#include <vector>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

class Xattr : public PosixTest {
 protected:
  void SetUp() override {
    PosixTest::SetUp();
    if (HasFatalFailure()) return;
    write_file(path("f"), "data");
    if (::setxattr(path("f").c_str(), "user.probe", "1", 1, 0) != 0 && errno == ENOTSUP) {
      GTEST_SKIP() << "user xattrs not supported here";
    }
    ASSERT_OK(::removexattr(path("f").c_str(), "user.probe"));
  }

  // The value of an attribute, or the errno of getxattr as "errno:N".
  std::string get(const std::string& p, const char* name) {
    char buf[70000];
    ssize_t n = ::getxattr(p.c_str(), name, buf, sizeof buf);
    if (n < 0) return "errno:" + std::to_string(errno);
    return std::string(buf, static_cast<size_t>(n));
  }

  std::multiset<std::string> names(const std::string& p) {
    std::vector<char> buf(65536);
    ssize_t n = ::listxattr(p.c_str(), buf.data(), buf.size());
    std::multiset<std::string> out;
    if (n < 0) {
      ADD_FAILURE() << "listxattr: " << std::strerror(errno);
      return out;
    }
    for (ssize_t i = 0; i < n;) {
      std::string name(buf.data() + i);
      i += static_cast<ssize_t>(name.size()) + 1;
      if (name.rfind("user.", 0) == 0) out.insert(name);  // ignore security.* etc.
    }
    return out;
  }
};

TEST_F(Xattr, SetThenGetReturnsTheExactBytes) {
  const std::string binary("\0\x01\xff value with NUL", 17);
  ASSERT_OK(::setxattr(path("f").c_str(), "user.text", "hello", 5, 0));
  ASSERT_OK(::setxattr(path("f").c_str(), "user.binary", binary.data(), binary.size(), 0));
  ASSERT_OK(::setxattr(path("f").c_str(), "user.empty", "", 0, 0));
  EXPECT_EQ("hello", get(path("f"), "user.text"));
  EXPECT_EQ(binary, get(path("f"), "user.binary"));
  EXPECT_EQ("", get(path("f"), "user.empty"));
  EXPECT_EQ("data", read_file(path("f"))) << "attributes do not touch the data";
}

TEST_F(Xattr, LargeValueRoundTrips) {
  std::string value(60000, '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i * 31 + 7);
  int rc = ::setxattr(path("f").c_str(), "user.big", value.data(), value.size(), 0);
  if (rc != 0 && (errno == E2BIG || errno == ENOSPC)) GTEST_SKIP() << "values this large are refused here";
  ASSERT_EQ(0, rc) << std::strerror(errno);
  EXPECT_EQ(value, get(path("f"), "user.big"));
}

TEST_F(Xattr, ListShowsExactlyTheSetNames) {
  EXPECT_TRUE(names(path("f")).empty());
  ASSERT_OK(::setxattr(path("f").c_str(), "user.a", "1", 1, 0));
  ASSERT_OK(::setxattr(path("f").c_str(), "user.b", "2", 1, 0));
  EXPECT_EQ((std::multiset<std::string>{"user.a", "user.b"}), names(path("f")));
  ASSERT_OK(::removexattr(path("f").c_str(), "user.a"));
  EXPECT_EQ((std::multiset<std::string>{"user.b"}), names(path("f")));
}

TEST_F(Xattr, ReplaceOverwritesAndRemoveDeletes) {
  ASSERT_OK(::setxattr(path("f").c_str(), "user.k", "first", 5, 0));
  ASSERT_OK(::setxattr(path("f").c_str(), "user.k", "2nd", 3, 0));
  EXPECT_EQ("2nd", get(path("f"), "user.k"));
  ASSERT_OK(::removexattr(path("f").c_str(), "user.k"));
  EXPECT_EQ("errno:" + std::to_string(ENODATA), get(path("f"), "user.k"));
}

TEST_F(Xattr, CreateFlagOnExistingIsEexistReplaceFlagOnMissingIsEnodata) {
  ASSERT_OK(::setxattr(path("f").c_str(), "user.k", "v", 1, XATTR_CREATE));
  EXPECT_ERRNO(EEXIST, ::setxattr(path("f").c_str(), "user.k", "w", 1, XATTR_CREATE));
  EXPECT_EQ("v", get(path("f"), "user.k"));
  EXPECT_ERRNO(ENODATA, ::setxattr(path("f").c_str(), "user.other", "w", 1, XATTR_REPLACE));
  EXPECT_OK(::setxattr(path("f").c_str(), "user.k", "x", 1, XATTR_REPLACE));
  EXPECT_EQ("x", get(path("f"), "user.k"));
}

TEST_F(Xattr, MissingAttributeIsEnodataOnGetAndRemove) {
  EXPECT_EQ("errno:" + std::to_string(ENODATA), get(path("f"), "user.none"));
  EXPECT_ERRNO(ENODATA, ::removexattr(path("f").c_str(), "user.none"));
}

TEST_F(Xattr, TooSmallBufferIsErangeAndSizeQueryWorks) {
  ASSERT_OK(::setxattr(path("f").c_str(), "user.k", "0123456789", 10, 0));
  EXPECT_EQ(10, ::getxattr(path("f").c_str(), "user.k", nullptr, 0));
  char small[4];
  EXPECT_ERRNO(ERANGE, ::getxattr(path("f").c_str(), "user.k", small, sizeof small));
}

TEST_F(Xattr, SettingUpdatesCtimeNotMtime) {
  struct stat before = stat_of(path("f"));
  tick();
  ASSERT_OK(::setxattr(path("f").c_str(), "user.k", "v", 1, 0));
  struct stat after = stat_of(path("f"));
  EXPECT_TRUE(later(after.st_ctim, before.st_ctim));
  EXPECT_EQ(before.st_mtim, after.st_mtim);
}

TEST_F(Xattr, WorkOnDirectoriesAndFollowTheRenamedFile) {
  ASSERT_OK(::mkdir(path("d").c_str(), 0755));
  ASSERT_OK(::setxattr(path("d").c_str(), "user.dir", "yes", 3, 0));
  EXPECT_EQ("yes", get(path("d"), "user.dir"));
  ASSERT_OK(::setxattr(path("f").c_str(), "user.k", "moved", 5, 0));
  ASSERT_OK(::rename(path("f").c_str(), path("d/g").c_str()));
  EXPECT_EQ("moved", get(path("d/g"), "user.k"));
}

TEST_F(Xattr, ManyAttributesOnOneFile) {
  for (int i = 0; i < 100; ++i) {
    std::string name = "user.attr" + std::to_string(i);
    std::string value = "value-" + std::to_string(i * i);
    ASSERT_OK(::setxattr(path("f").c_str(), name.c_str(), value.data(), value.size(), 0));
  }
  EXPECT_EQ(100u, names(path("f")).size());
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ("value-" + std::to_string(i * i), get(path("f"), ("user.attr" + std::to_string(i)).c_str()));
  }
}

TEST_F(Xattr, WithoutWritePermissionSetIsEacces) {
  REQUIRE_ROOT();
  ASSERT_OK(::chmod(path("f").c_str(), 0644));
  ASSERT_OK(::setxattr(path("f").c_str(), "user.k", "v", 1, 0));
  EXPECT_EQ(EACCES, as_nobody([&] { return err(::setxattr(path("f").c_str(), "user.k", "w", 1, 0)); }));
  EXPECT_EQ("v", get(path("f"), "user.k"));
  EXPECT_EQ(0, as_nobody([&] { return err(::getxattr(path("f").c_str(), "user.k", nullptr, 0)); }));
}

}  // namespace
}  // namespace fzfs::posix
