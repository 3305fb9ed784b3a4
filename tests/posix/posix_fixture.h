// Shared fixture and helpers of the POSIX behaviour suite (tests/posix/README.md).
//
// The suite runs on any directory: FZFS_POSIX_DIR names the directory under test and
// every test works in a fresh subdirectory of it, made by SetUp and removed by TearDown
// when the test passed (kept for inspection when it failed). FZFS_POSIX_OTHER_DIR names
// a directory on another file system (or dataset) for the EXDEV cases.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>

// Timestamps compare and print as values (global, so that gtest finds them for ::timespec).
bool operator==(const timespec& a, const timespec& b);
void PrintTo(const timespec& t, std::ostream* os);

namespace fzfs::posix {

// The unprivileged identity the EACCES/EPERM cases drop to (Debian's nobody/nogroup).
inline constexpr uid_t kNobodyUid = 65534;
inline constexpr gid_t kNobodyGid = 65534;

// errno of a failed call, 0 of a successful one: EXPECT_EQ(ENOENT, err(::unlink(p))).
// The call is evaluated before err reads errno.
inline int err(long rc) { return rc == -1 ? errno : 0; }

// errno of open(2); a successful descriptor is closed and 0 returned.
int open_err(const std::string& path, int flags, mode_t mode = 0644);

// Creates (or replaces) a regular file with the given content and mode (mode applied
// with chmod, so the umask does not matter).
void write_file(const std::string& path, std::string_view content = {}, mode_t mode = 0644);
std::string read_file(const std::string& path);
// Creates a directory with exactly this mode (chmod after mkdir, so the umask does not
// matter).
void make_dir(const std::string& path, mode_t mode);

// stat/lstat that fail the current test (and return a zeroed struct) on error.
struct stat stat_of(const std::string& path);
struct stat lstat_of(const std::string& path);
bool exists(const std::string& path);  // lstat succeeds

// Names of a directory's entries without "." and "..", read with readdir(3).
std::multiset<std::string> list_dir(const std::string& path);

// Timestamps.
bool later(const timespec& a, const timespec& b);  // a strictly after b
timespec now_realtime();
// Sleeps long enough for the file system's clock to move on (FZFS_POSIX_TICK_MS, default
// 20 ms; raise it for file systems with coarse timestamps).
void tick();
std::string to_string(const timespec& t);

// Runs fn in a forked child that dropped all privileges to uid/gid 65534 (no
// supplementary groups). fn returns an errno value (0 for success), which the parent
// gets back through a pipe. A child that could not drop privileges fails the test.
int as_nobody(const std::function<int()>& fn);

// A string of n bytes usable as one path component.
std::string name_of_length(size_t n, char fill = 'n');

class PosixTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The fresh directory of this test, and paths inside it.
  const std::string& dir() const { return dir_; }
  std::string path(std::string_view rel) const;

 private:
  std::string dir_;
  mode_t saved_umask_ = 022;
};

// Removes a tree like `rm -rf` (making directories searchable first).
void remove_tree(const std::string& path);

}  // namespace fzfs::posix

// EXPECT_ERRNO(ENOENT, ::unlink(p)): the call fails with exactly this errno.
#define EXPECT_ERRNO(expected, call)                                              \
  do {                                                                            \
    errno = 0;                                                                    \
    long rc_ = static_cast<long>(call);                                           \
    int e_ = errno;                                                               \
    EXPECT_EQ(-1, rc_) << #call << " succeeded";                                  \
    EXPECT_EQ(expected, e_) << #call << ": got " << strerrorname_np(e_) << " (" \
                            << std::strerror(e_) << ")";                          \
  } while (0)

// Skips the current test unless the process is root (ownership changes, device nodes and
// dropping to uid 65534 need it).
#define REQUIRE_ROOT()                                                            \
  do {                                                                            \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";                           \
  } while (0)

// EXPECT_OK(::mkdir(p, 0755)): the call succeeds (return value is not -1).
#define EXPECT_OK(call)                                                           \
  do {                                                                            \
    errno = 0;                                                                    \
    long rc_ = static_cast<long>(call);                                           \
    int e_ = errno;                                                               \
    EXPECT_NE(-1, rc_) << #call << " failed: " << strerrorname_np(e_) << " ("   \
                       << std::strerror(e_) << ")";                               \
  } while (0)

#define ASSERT_OK(call)                                                           \
  do {                                                                            \
    errno = 0;                                                                    \
    long rc_ = static_cast<long>(call);                                           \
    int e_ = errno;                                                               \
    ASSERT_NE(-1, rc_) << #call << " failed: " << strerrorname_np(e_) << " ("   \
                       << std::strerror(e_) << ")";                               \
  } while (0)
