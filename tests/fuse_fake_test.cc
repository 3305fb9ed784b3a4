// The FUSE layer end to end over the fake pool: mount in a temporary directory and
// check what real system calls see.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fuse/fuse_mount.h"
#include "tests/fake_pool.h"

namespace fzfs::fuse {
namespace {

using fzfs::testing::FakeFilesystem;
using fzfs::testing::FakePool;

std::set<std::string> list_dir(const std::string& path) {
  std::set<std::string> names;
  DIR* d = opendir(path.c_str());
  if (!d) return {"<opendir failed: " + std::string(strerror(errno)) + ">"};
  while (dirent* e = readdir(d)) names.insert(e->d_name);
  closedir(d);
  return names;
}

std::string read_all(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return "<open failed: " + std::string(strerror(errno)) + ">";
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  close(fd);
  return out;
}

// The bytes a file holds, read straight from the fake (not through FUSE).
std::string fake_contents(Filesystem& fs, const std::vector<std::string>& path) {
  uint64_t obj = fs.root_object();
  for (const auto& p : path) obj = *fs.lookup(obj, p);
  const Attr a = *fs.getattr(obj);
  std::string out(a.size, '\0');
  EXPECT_EQ(*fs.read(obj, 0, std::span<uint8_t>(reinterpret_cast<uint8_t*>(out.data()), out.size())),
            a.size);
  return out;
}

class FuseFakeTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/fuse";
    pool_ = FakePool::make_standard("fk");
    char tmpl[] = "/tmp/fzfs-fuse-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    live_ = *pool_->open_filesystem("fk/home");
    SnapshotSource snaps{
        [this] { return pool_->snapshots_of("fk/home"); },
        [this](const std::string& s) { return pool_->open_filesystem("fk/home@" + s); }};
    auto m = FuseMount::start(std::make_unique<FuseFs>(live_, snaps, GetParam()), dir_,
                              {"fzfs:fk/home", false});
    ASSERT_TRUE(m.ok()) << m.error().message();
    mount_ = std::move(*m);
  }
  void TearDown() override {
    if (mount_) {
      EXPECT_TRUE(mount_->unmount().ok());
      mount_.reset();
    }
    if (!dir_.empty()) rmdir(dir_.c_str());
  }
  std::string p(const std::string& rel) { return dir_ + "/" + rel; }

  std::unique_ptr<FakePool> pool_;
  std::shared_ptr<Filesystem> live_;
  std::string dir_;
  std::unique_ptr<FuseMount> mount_;
};

TEST_P(FuseFakeTest, RootAttributesAreTheRootObject) {
  struct stat st {};
  ASSERT_EQ(stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, FakeFilesystem::kRoot);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST_P(FuseFakeTest, ReaddirListsEntriesAndHidesDotZfsUnlessVisible) {
  std::set<std::string> want = {".", "..", "README", "after-s1", "docs", "link", "many"};
  if (GetParam()) want.insert(".zfs");
  EXPECT_EQ(list_dir(dir_), want);
  EXPECT_EQ(list_dir(p("docs")), (std::set<std::string>{".", "..", "big.bin"}));
}

TEST_P(FuseFakeTest, GetattrReportsObjectNumbersAndSizes) {
  struct stat st {};
  ASSERT_EQ(lstat(p("README").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_ino, *live_->lookup(live_->root_object(), "README"));
  EXPECT_EQ(st.st_size, 16);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1700000000);
  ASSERT_EQ(lstat(p("link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(lstat(p("nope").c_str(), &st), -1);
  EXPECT_EQ(errno, ENOENT);
}

TEST_P(FuseFakeTest, ReadReturnsTheFileBytes) {
  EXPECT_EQ(read_all(p("README")), "hello from fzfs\n");
  const std::string big = read_all(p("docs/big.bin"));
  EXPECT_EQ(big.size(), 3u * 1024 * 1024 + 123);
  EXPECT_TRUE(big == fake_contents(*live_, {"docs", "big.bin"}));
  // A read at an odd offset across several FUSE requests.
  int fd = open(p("docs/big.bin").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::string part(2000000, '\0');
  ASSERT_EQ(pread(fd, part.data(), part.size(), 1000001), static_cast<ssize_t>(part.size()));
  close(fd);
  EXPECT_TRUE(part == big.substr(1000001, part.size()));
}

TEST_P(FuseFakeTest, ReadlinkAndFollow) {
  char buf[256];
  ssize_t n = readlink(p("link").c_str(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n), "docs/big.bin");
  struct stat st {};
  ASSERT_EQ(stat(p("link").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 3 * 1024 * 1024 + 123);
}

TEST_P(FuseFakeTest, Xattrs) {
  char buf[256];
  ssize_t n = listxattr(p("README").c_str(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n), std::string("user.color\0user.empty\0", 22));
  EXPECT_EQ(getxattr(p("README").c_str(), "user.color", nullptr, 0), 4);
  n = getxattr(p("README").c_str(), "user.color", buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n), "blue");
  EXPECT_EQ(getxattr(p("README").c_str(), "user.empty", buf, sizeof buf), 0);
  EXPECT_EQ(getxattr(p("README").c_str(), "user.color", buf, 2), -1);
  EXPECT_EQ(errno, ERANGE);
  EXPECT_EQ(getxattr(p("README").c_str(), "user.none", buf, sizeof buf), -1);
  EXPECT_EQ(errno, ENODATA);
  EXPECT_EQ(listxattr(p("docs").c_str(), buf, sizeof buf), 0);
}

TEST_P(FuseFakeTest, SnapshotsUnderDotZfs) {
  struct stat st {};
  ASSERT_EQ(stat(p(".zfs").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_ino, kCtlDirObject);
  EXPECT_EQ(list_dir(p(".zfs")), (std::set<std::string>{".", "..", "snapshot"}));
  EXPECT_EQ(list_dir(p(".zfs/snapshot")), (std::set<std::string>{".", "..", "s1", "s2"}));
  EXPECT_EQ(list_dir(p(".zfs/snapshot/s1")),
            (std::set<std::string>{".", "..", "README", "docs", "link", "many"}));
  EXPECT_EQ(list_dir(p(".zfs/snapshot/s2")),
            (std::set<std::string>{".", "..", "README", "after-s1", "docs", "link", "many"}));
  EXPECT_EQ(read_all(p(".zfs/snapshot/s2/after-s1")), "only in s2 and live\n");
  auto snap = *pool_->open_filesystem("fk/home@s1");
  EXPECT_TRUE(read_all(p(".zfs/snapshot/s1/docs/big.bin")) ==
              fake_contents(*snap, {"docs", "big.bin"}));
  ASSERT_EQ(stat(p(".zfs/snapshot/s1/README").c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, *snap->lookup(snap->root_object(), "README"));
  EXPECT_EQ(stat(p(".zfs/snapshot/nope").c_str(), &st), -1);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(stat(p(".zfs/nope").c_str(), &st), -1);
  EXPECT_EQ(errno, ENOENT);
}

TEST_P(FuseFakeTest, ReadOnlyAndStatfs) {
  EXPECT_EQ(open(p("README").c_str(), O_WRONLY), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(mkdir(p("newdir").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);
  struct statvfs sv {};
  ASSERT_EQ(statvfs(dir_.c_str(), &sv), 0);
  EXPECT_EQ(sv.f_bsize, 131072u);
  EXPECT_EQ(sv.f_blocks, 1000u);
  EXPECT_TRUE(sv.f_flag & ST_RDONLY);
}

TEST_P(FuseFakeTest, ManyEntriesPageThroughReaddir) {
  // 1000 entries take several readdir replies; each name must come exactly once,
  // also after a rewind, and each must stat to its own object.
  DIR* d = opendir(p("many").c_str());
  ASSERT_NE(d, nullptr);
  for (int pass = 0; pass < 2; pass++) {
    std::multiset<std::string> seen;
    while (dirent* e = readdir(d)) seen.insert(e->d_name);
    EXPECT_EQ(seen.size(), 1002u);
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 1002u);
    EXPECT_EQ(seen.count("entry-with-a-longish-name-0999"), 1u);
    rewinddir(d);
  }
  closedir(d);
  struct stat st {};
  ASSERT_EQ(stat(p("many/entry-with-a-longish-name-0123").c_str(), &st), 0);
  const uint64_t many = *live_->lookup(live_->root_object(), "many");
  EXPECT_EQ(st.st_ino, *live_->lookup(many, "entry-with-a-longish-name-0123"));
  EXPECT_EQ(read_all(p("many/entry-with-a-longish-name-0123")), "123");
}

TEST_P(FuseFakeTest, ExternalUnmountEndsTheSession) {
  ASSERT_EQ(umount2(dir_.c_str(), 0), 0);
  for (int i = 0; i < 200 && mount_->serving(); i++) usleep(10000);
  EXPECT_FALSE(mount_->serving());
  EXPECT_TRUE(mount_->unmount().ok());
}

INSTANTIATE_TEST_SUITE_P(Snapdir, FuseFakeTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "visible" : "hidden"; });

// ---- the daemon and the tools, over the fake pool "fk" (fzpool_fake) ----

struct CmdResult {
  int status = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool mounted_under(const std::string& dir) {
  return slurp("/proc/self/mounts").find(" " + dir) != std::string::npos;
}

class DaemonFakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/dev/fuse", R_OK | W_OK) != 0 || geteuid() != 0)
      GTEST_SKIP() << "needs root and /dev/fuse";
    char tmpl[] = "/tmp/fzfs-daemon-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    rundir_ = base_ + "/run";
    alt_ = base_ + "/alt";
    setenv("FZFS_RUNDIR", rundir_.c_str(), 1);
  }
  void TearDown() override {
    if (base_.empty()) return;
    run(std::string(FZPOOL_FAKE_BIN) + " export -f fk");
    EXPECT_FALSE(mounted_under(alt_));
    std::filesystem::remove_all(base_);
  }
  CmdResult run(const std::string& cmd) {
    CmdResult r;
    const std::string out = base_ + "/out", err = base_ + "/err";
    const int rc = std::system((cmd + " >" + out + " 2>" + err).c_str());
    r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }
  CmdResult fzpool(const std::string& args) { return run(std::string(FZPOOL_FAKE_BIN) + " " + args); }
  CmdResult fzfs(const std::string& args) { return run(std::string(FZFS_BIN) + " " + args); }
  CmdResult import() { return fzpool("import -d /tmp -o readonly=on -R " + alt_ + " fk"); }

  std::string base_, rundir_, alt_;
};

TEST_F(DaemonFakeTest, ImportMountsListsAndExports) {
  CmdResult r = import();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(std::filesystem::exists(rundir_ + "/fk.sock"));
  EXPECT_TRUE(std::filesystem::exists(rundir_ + "/fk.pid"));
  // Both canmount=on filesystems are mounted, fk/off is not.
  EXPECT_EQ(read_all(alt_ + "/fk/home/README"), "hello from fzfs\n");
  EXPECT_EQ(read_all(alt_ + "/fk/home/.zfs/snapshot/s1/README"), "hello from fzfs\n");
  EXPECT_EQ(list_dir(alt_ + "/fk/off"), (std::set<std::string>{".", ".."}));
  EXPECT_NE(slurp("/proc/self/mounts").find("fzfs:fk/home " + alt_ + "/fk/home fuse.fzfs ro"),
            std::string::npos);

  r = fzfs("list");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, fmt::format(
      "NAME      USED  AVAIL  REFER  MOUNTPOINT\n"
      "fk       4.75M  85.6M  4.75M  {0}/fk\n"
      "fk/home  4.75M  85.6M  4.75M  {0}/fk/home\n"
      "fk/off   4.75M  85.6M  4.75M  {0}/fk/off\n", alt_));
  r = fzfs("list -H -p -o name,used -t snapshot");
  EXPECT_EQ(r.out, "fk/home@s1\t0\nfk/home@s2\t0\n");
  r = fzfs("get -H mounted,canmount fk/home fk/off");
  EXPECT_EQ(r.out,
            "fk/home\tmounted\tyes\t-\nfk/home\tcanmount\ton\tdefault\n"
            "fk/off\tmounted\tno\t-\nfk/off\tcanmount\toff\tlocal\n");

  r = fzpool("list");
  EXPECT_EQ(r.out, fmt::format("NAME   SIZE  ALLOC   FREE    CAP  DEDUP  HEALTH  ALTROOT\n"
                               "fk     123M  5.80M   117M     4%  1.00x  ONLINE  {}\n", alt_));
  r = fzpool("status fk");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("  pool: fk\n state: ONLINE\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\t    /dev/fake1  ONLINE       0     0     2\n"), std::string::npos) << r.out;
  r = fzpool("get -H health,altroot fk");
  EXPECT_EQ(r.out, fmt::format("fk\thealth\tONLINE\t-\nfk\taltroot\t{}\tlocal\n", alt_));

  r = fzpool("export fk");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(mounted_under(alt_));
  EXPECT_FALSE(std::filesystem::exists(rundir_ + "/fk.sock"));
  EXPECT_FALSE(std::filesystem::exists(rundir_ + "/fk.pid"));
  r = fzpool("list fk");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "cannot open 'fk': no such pool\n");
}

TEST_F(DaemonFakeTest, ImportErrors) {
  CmdResult r = fzpool("import -d /tmp fk");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "cannot import 'fk': read-write import is not supported yet; use -o readonly=on\n");
  r = fzpool("import -d /tmp -o readonly=on nosuch");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "cannot import 'nosuch': no such pool available\n");
  r = fzpool("import -d /nonexistent-dir");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "no pools available to import\n");
  r = fzpool("import -d /tmp");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.substr(0, r.out.find(" action")), "   pool: fk\n     id: 1234567890123456789\n  state: ONLINE\n");
  r = fzpool("import --bogus");
  EXPECT_EQ(r.status, 2);
  ASSERT_EQ(import().status, 0);
  r = import();
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "cannot import 'fk': a pool with that name is already imported\n");
}

TEST_F(DaemonFakeTest, MountAndUnmountByNameAndPath) {
  ASSERT_EQ(fzpool("import -N -d /tmp -o readonly=on -R " + alt_ + " fk").status, 0);
  EXPECT_FALSE(mounted_under(alt_));
  CmdResult r = fzfs("mount fk/home");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_all(alt_ + "/fk/home/after-s1"), "only in s2 and live\n");
  r = fzfs("mount");
  EXPECT_EQ(r.out, fmt::format("{:<30}  {}/fk/home\n", "fk/home", alt_));
  r = fzfs("mount fk/home");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "cannot mount 'fk/home': filesystem already mounted\n");
  r = fzfs("mount fk/nope");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "cannot open 'fk/nope': dataset does not exist\n");
  r = fzfs("unmount " + alt_ + "/fk/home");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(mounted_under(alt_));
  r = fzfs("unmount fk/home");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "cannot unmount 'fk/home': not currently mounted\n");
  r = fzfs("mount -a");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(mounted_under(alt_ + "/fk/home"));
  r = fzfs("list nosuch/x");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "cannot open 'nosuch/x': dataset does not exist\n");
}

TEST_F(DaemonFakeTest, SigtermUnmountsAndExits) {
  ASSERT_EQ(import().status, 0);
  const pid_t pid = std::stoi(slurp(rundir_ + "/fk.pid"));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  // Exited: gone, or a zombie until init reaps it.
  auto running = [pid] {
    const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
  };
  for (int i = 0; i < 500 && running(); i++) usleep(10000);
  EXPECT_FALSE(running());
  EXPECT_FALSE(mounted_under(alt_));
  EXPECT_FALSE(std::filesystem::exists(rundir_ + "/fk.sock"));
}

TEST_F(DaemonFakeTest, ReimportAfterKilledDaemonReplacesStaleMounts) {
  ASSERT_EQ(import().status, 0);
  const pid_t pid = std::stoi(slurp(rundir_ + "/fk.pid"));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  usleep(200000);
  // The dead mounts stay in the kernel; a new import must not stack on them.
  CmdResult r = import();
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string mounts = slurp("/proc/self/mounts");
  size_t n = 0;
  for (size_t pos = 0; (pos = mounts.find("fzfs:fk/home " + alt_, pos)) != std::string::npos; pos++) n++;
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(read_all(alt_ + "/fk/home/README"), "hello from fzfs\n");
}

}  // namespace
}  // namespace fzfs::fuse
