// The atime and xattr dataset properties through the real FUSE mount (fzpool/fzfs
// binaries), with zfs-fuse as the oracle for what reaches the disk:
//   - atime=on (relatime rule): a read after a write stores a new atime, which zfs-fuse
//     then shows on its own mount; `fzfs set relatime=off` stores every read, and
//     zfs-fuse, which predates relatime, imports and lists the pool all the same;
//     after `fzfs set atime=off` on the live mount a read stores nothing;
//   - xattr=off, set on the live mount: setxattr/getxattr answer EOPNOTSUPP, as on
//     Linux ZFS; xattr=on gives the attributes back.
// Labelled "integration"; skips without FUSE, the tools or zfs-fuse.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "tests/pool_fixture.h"
#include "tests/zfs_fuse.h"

namespace fzfs::test {
namespace {

constexpr uint64_t kDeviceSize = 128ull << 20;

struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path << ": " << strerror(errno);
  return st;
}

bool later(const timespec& a, const timespec& b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}
bool same(const timespec& a, const timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }
std::string str(const timespec& t) { return std::to_string(t.tv_sec) + "." + std::to_string(t.tv_nsec); }

// Writes PATH and makes it durable and uncached, so that the next read goes to the
// file system rather than the kernel's page cache.
void write_file(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  ASSERT_GE(fd, 0) << path << ": " << strerror(errno);
  ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ASSERT_EQ(::fsync(fd), 0);
  ASSERT_EQ(::close(fd), 0);
}

// Reads PATH through the file system (page cache dropped first); returns its bytes.
std::string read_uncached(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0) << path << ": " << strerror(errno);
  if (fd < 0) return "";
  EXPECT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  std::string out(4096, '\0');
  ssize_t n = ::read(fd, out.data(), out.size());
  EXPECT_GE(n, 0) << strerror(errno);
  ::close(fd);
  out.resize(n > 0 ? n : 0);
  return out;
}

// The clock moves past the last write's second, so a new atime is told apart from it
// even by a reader that keeps whole seconds.
void next_second() { std::this_thread::sleep_for(std::chrono::milliseconds(1100)); }

class ZplPropsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string missing = missing_tools(); !missing.empty()) GTEST_SKIP() << missing;
    if (access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/fuse";
    auto dev = ws_.make_device("d0", kDeviceSize);
    auto r = ws_.create_pool("tank", {dev}, {"-o", "version=23"});
    ASSERT_TRUE(r.ok()) << r.describe();
    root_ = ws_.mounted_at("/tank");
  }
  void fzfs_ok(const std::vector<std::string>& args) {
    auto r = ws_.fzfs(args);
    ASSERT_TRUE(r.ok()) << r.describe();
  }

  PoolWorkspace ws_;
  std::string root_;
};

TEST_F(ZplPropsTest, ReadAtimeReachesZfsFuseAndAtimeOffStopsIt) {
  if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
  // atime=on (default): written, then read a second later.
  write_file(root_ + "/read", "read me");
  const struct stat written = stat_of(root_ + "/read");
  next_second();
  ASSERT_EQ(read_uncached(root_ + "/read"), "read me");
  const struct stat after_read = stat_of(root_ + "/read");
  EXPECT_TRUE(later(after_read.st_atim, written.st_mtim))
      << "atime " << str(after_read.st_atim) << " mtime " << str(written.st_mtim);
  EXPECT_TRUE(same(after_read.st_mtim, written.st_mtim));
  // Read again at once: relatime leaves the atime alone.
  ASSERT_EQ(read_uncached(root_ + "/read"), "read me");
  EXPECT_TRUE(same(stat_of(root_ + "/read").st_atim, after_read.st_atim));
  // relatime=off (a property zfs-fuse predates): every read is stored.
  fzfs_ok({"set", "relatime=off", "tank"});
  next_second();
  ASSERT_EQ(read_uncached(root_ + "/read"), "read me");
  const struct stat strict_read = stat_of(root_ + "/read");
  EXPECT_TRUE(later(strict_read.st_atim, after_read.st_atim));

  // atime=off on the live mount: a read after a write stores nothing.
  fzfs_ok({"set", "atime=off", "tank"});
  write_file(root_ + "/quiet", "quiet");
  const struct stat quiet = stat_of(root_ + "/quiet");
  next_second();
  ASSERT_EQ(read_uncached(root_ + "/quiet"), "quiet");
  EXPECT_TRUE(same(stat_of(root_ + "/quiet").st_atim, quiet.st_atim));
  ASSERT_TRUE(ws_.export_pool("tank").ok());

  ZfsFuse zf(ws_.dir() + "/scratch");
  ASSERT_EQ(zf.start(), "");
  const std::string zroot = ws_.dir() + "/zroot";
  auto r = zf.zpool({"import", "-d", ws_.devices(), "-R", zroot, "tank"});
  ASSERT_TRUE(r.ok()) << r.describe();
  const struct stat z_read = stat_of(zroot + "/tank/read");
  const struct stat z_quiet = stat_of(zroot + "/tank/quiet");
  // zfs-fuse shows whole seconds at least; compare those.
  EXPECT_EQ(z_read.st_atim.tv_sec, strict_read.st_atim.tv_sec);
  EXPECT_GT(z_read.st_atim.tv_sec, z_read.st_mtim.tv_sec);
  EXPECT_EQ(z_read.st_mtim.tv_sec, written.st_mtim.tv_sec);
  EXPECT_EQ(z_quiet.st_atim.tv_sec, quiet.st_atim.tv_sec);
  r = zf.zfs({"get", "-H", "-o", "value", "atime", "tank"});
  EXPECT_EQ(r.out, "off\n") << r.describe();
  r = zf.zfs({"get", "all", "tank"});  // the relatime entry it does not know is passed over
  EXPECT_TRUE(r.ok()) << r.describe();
  r = zf.scrub_and_wait("tank");
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(zf.zpool({"export", "tank"}).ok());
}

TEST_F(ZplPropsTest, XattrOffAnswersEopnotsuppOnTheLiveMount) {
  const std::string f = root_ + "/f";
  write_file(f, "x");
  ASSERT_EQ(::setxattr(f.c_str(), "user.kept", "v1", 2, 0), 0) << strerror(errno);

  fzfs_ok({"set", "xattr=off", "tank"});
  errno = 0;
  EXPECT_EQ(::setxattr(f.c_str(), "user.new", "v2", 2, 0), -1);
  EXPECT_EQ(errno, EOPNOTSUPP) << strerror(errno);
  char buf[64];
  errno = 0;
  EXPECT_EQ(::getxattr(f.c_str(), "user.kept", buf, sizeof buf), -1);
  EXPECT_EQ(errno, EOPNOTSUPP) << strerror(errno);
  errno = 0;
  EXPECT_EQ(::removexattr(f.c_str(), "user.kept"), -1);
  EXPECT_EQ(errno, EOPNOTSUPP) << strerror(errno);
  EXPECT_EQ(::listxattr(f.c_str(), buf, sizeof buf), 0);  // the user names are hidden

  fzfs_ok({"set", "xattr=on", "tank"});
  ssize_t n = ::getxattr(f.c_str(), "user.kept", buf, sizeof buf);
  ASSERT_EQ(n, 2) << strerror(errno);
  EXPECT_EQ(std::string(buf, 2), "v1");
  EXPECT_EQ(::setxattr(f.c_str(), "user.new", "v2", 2, 0), 0) << strerror(errno);
}

}  // namespace
}  // namespace fzfs::test
