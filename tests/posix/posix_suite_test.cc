// Checks of the suite's own machinery: the fresh directory and the unprivileged child.
// If these fail, every other result of the suite is meaningless.
#include <fcntl.h>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Suite = PosixTest;

TEST_F(Suite, EachTestGetsAFreshEmptyDirectory) {
  struct stat st = stat_of(dir());
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(list_dir(dir()).empty());
  EXPECT_EQ(2u, st.st_nlink) << "an empty directory links itself and its parent";
}

TEST_F(Suite, UnprivilegedChildRunsAsNobodyAndReportsErrno) {
  REQUIRE_ROOT();
  EXPECT_EQ(0, as_nobody([] { return ::geteuid() == kNobodyUid && ::getegid() == kNobodyGid ? 0 : EINVAL; }));
  EXPECT_EQ(ENOENT, as_nobody([&] { return err(::access(path("missing").c_str(), F_OK)); }));
}

TEST_F(Suite, UnprivilegedChildCanReachTheTestDirectory) {
  // Every EACCES case relies on this: without it "permission denied" would prove nothing.
  REQUIRE_ROOT();
  write_file(path("f"), "x", 0644);
  EXPECT_EQ(0, as_nobody([&] { return open_err(path("f"), O_RDONLY); }));
}

}  // namespace
}  // namespace fzfs::posix
