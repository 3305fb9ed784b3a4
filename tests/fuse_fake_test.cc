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
#include <sys/sysmacros.h>
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

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
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

// ---- writes through a read-write mount of a writable fake ----

std::string write_all(const std::string& path, const std::string& data, int flags = O_TRUNC) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | flags, 0644);
  if (fd < 0) return "open: " + std::string(strerror(errno));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      close(fd);
      return "write: " + std::string(strerror(errno));
    }
    done += n;
  }
  if (close(fd) != 0) return "close: " + std::string(strerror(errno));
  return "";
}

struct stat lstat_of(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) st.st_ino = 0;
  return st;
}

std::string pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

// Mounts fk/rw, writable, with a snapshot s1 holding "old"; the mount serves it read-write.
class FuseWriteTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/fuse";
    pool_ = std::make_unique<FakePool>("fk");
    fake_ = pool_->add_filesystem("fk/rw");
    fake_->add_file(FakeFilesystem::kRoot, "old", "from before s1\n");
    pool_->add_snapshot("fk/rw", "s1");
    fake_->set_writable(true);
    char tmpl[] = "/tmp/fzfs-fusew-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    SnapshotSource snaps{
        [this] { return pool_->snapshots_of("fk/rw"); },
        [this](const std::string& s) { return pool_->open_filesystem("fk/rw@" + s); }};
    auto fs = std::make_unique<FuseFs>(fake_, snaps, true);
    fuse_fs_ = fs.get();
    MountOptions opts{"fzfs:fk/rw", false};
    opts.writeback_cache = GetParam();
    auto m = FuseMount::start(std::move(fs), dir_, opts);
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
  uint64_t obj_of(const std::string& rel) { return lstat_of(p(rel)).st_ino; }

  std::unique_ptr<FakePool> pool_;
  std::shared_ptr<FakeFilesystem> fake_;
  FuseFs* fuse_fs_ = nullptr;  // owned by mount_
  std::string dir_;
  std::unique_ptr<FuseMount> mount_;
};

TEST_P(FuseWriteTest, MountsReadWrite) {
  EXPECT_NE(slurp("/proc/self/mounts").find("fzfs:fk/rw " + dir_ + " fuse.fzfs rw"),
            std::string::npos);
  struct statvfs sv {};
  ASSERT_EQ(statvfs(dir_.c_str(), &sv), 0);
  EXPECT_FALSE(sv.f_flag & ST_RDONLY);
  EXPECT_EQ(sv.f_bsize, 131072u);
  EXPECT_EQ(sv.f_namemax, 255u);
}

TEST_P(FuseWriteTest, CreateWriteAndReadBack) {
  const mode_t old_umask = umask(027);
  // 3 MiB and a bit: several 1 MiB requests and a short tail.
  const std::string data = pattern(3 * 1024 * 1024 + 4321, 1);
  EXPECT_EQ(write_all(p("f"), data), "");
  umask(old_umask);
  EXPECT_TRUE(read_all(p("f")) == data);
  EXPECT_TRUE(fake_contents(*fake_, {"f"}) == data);
  const struct stat st = lstat_of(p("f"));
  EXPECT_EQ(st.st_size, static_cast<off_t>(data.size()));
  EXPECT_EQ(st.st_mode, S_IFREG | 0640u);  // 0644 & ~027
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_EQ(st.st_gid, getegid());
  EXPECT_EQ(fake_->largest_write(), 1u << 20) << "big writes: 1 MiB requests";
  // Overwrite in the middle, append at the end.
  int fd = open(p("f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "XYZ", 3, 1000000), 3);
  close(fd);
  ASSERT_EQ(write_all(p("f"), "tail", O_APPEND), "");
  std::string want = data;
  want.replace(1000000, 3, "XYZ");
  want += "tail";
  EXPECT_TRUE(read_all(p("f")) == want);
  EXPECT_TRUE(fake_contents(*fake_, {"f"}) == want);
  // O_TRUNC empties it; a write far out leaves a hole of zeros.
  ASSERT_EQ(write_all(p("f"), "x"), "");
  fd = open(p("f").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "end", 3, 100000), 3);
  close(fd);
  EXPECT_EQ(read_all(p("f")), "x" + std::string(99999, '\0') + "end");
}

TEST_P(FuseWriteTest, MkdirAndRmdir) {
  ASSERT_EQ(mkdir(p("d").c_str(), 0750), 0);
  struct stat st = lstat_of(p("d"));
  EXPECT_EQ(st.st_mode, S_IFDIR | 0750u);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(lstat_of(dir_).st_nlink, 3u);
  ASSERT_EQ(mkdir(p("d/sub").c_str(), 0755), 0);
  EXPECT_EQ(lstat_of(p("d/sub/..")).st_ino, st.st_ino);
  EXPECT_EQ(mkdir(p("d").c_str(), 0755), -1);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_EQ(rmdir(p("d").c_str()), -1);
  EXPECT_EQ(errno, ENOTEMPTY);
  ASSERT_EQ(rmdir(p("d/sub").c_str()), 0);
  ASSERT_EQ(rmdir(p("d").c_str()), 0);
  EXPECT_EQ(lstat_of(p("d")).st_ino, 0u);
  EXPECT_EQ(lstat_of(dir_).st_nlink, 2u);
  EXPECT_EQ(list_dir(dir_), (std::set<std::string>{".", "..", "old", ".zfs"}));
  std::string longname(256, 'n');
  EXPECT_EQ(mkdir(p(longname).c_str(), 0755), -1);
  EXPECT_EQ(errno, ENAMETOOLONG);
}

TEST_P(FuseWriteTest, RenameVariants) {
  ASSERT_EQ(write_all(p("a"), "A"), "");
  ASSERT_EQ(write_all(p("b"), "B"), "");
  ASSERT_EQ(mkdir(p("d1").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(p("d2").c_str(), 0755), 0);
  const uint64_t a = obj_of("a");
  // Plain, then over an existing file, then across directories.
  ASSERT_EQ(rename(p("a").c_str(), p("c").c_str()), 0);
  EXPECT_EQ(obj_of("c"), a);
  EXPECT_EQ(lstat_of(p("a")).st_ino, 0u);
  ASSERT_EQ(rename(p("c").c_str(), p("b").c_str()), 0);
  EXPECT_EQ(read_all(p("b")), "A");
  ASSERT_EQ(rename(p("b").c_str(), p("d1/x").c_str()), 0);
  EXPECT_EQ(read_all(p("d1/x")), "A");
  // A directory across parents: link counts and "..".
  ASSERT_EQ(mkdir(p("d1/sub").c_str(), 0755), 0);
  ASSERT_EQ(rename(p("d1/sub").c_str(), p("d2/sub").c_str()), 0);
  EXPECT_EQ(lstat_of(p("d1")).st_nlink, 2u);
  EXPECT_EQ(lstat_of(p("d2")).st_nlink, 3u);
  EXPECT_EQ(lstat_of(p("d2/sub/..")).st_ino, lstat_of(p("d2")).st_ino);
  // Flags.
  ASSERT_EQ(write_all(p("d2/y"), "Y"), "");
  EXPECT_EQ(renameat2(AT_FDCWD, p("d1/x").c_str(), AT_FDCWD, p("d2/y").c_str(), RENAME_NOREPLACE), -1);
  EXPECT_EQ(errno, EEXIST);
  ASSERT_EQ(renameat2(AT_FDCWD, p("d1/x").c_str(), AT_FDCWD, p("d2/y").c_str(), RENAME_EXCHANGE), 0);
  EXPECT_EQ(read_all(p("d1/x")), "Y");
  EXPECT_EQ(read_all(p("d2/y")), "A");
  ASSERT_EQ(renameat2(AT_FDCWD, p("d1/x").c_str(), AT_FDCWD, p("d1/z").c_str(), RENAME_NOREPLACE), 0);
  EXPECT_EQ(read_all(p("d1/z")), "Y");
  // Errors the file system decides.
  EXPECT_EQ(rename(p("d1/z").c_str(), p("d2").c_str()), -1);
  EXPECT_EQ(errno, EISDIR);
  ASSERT_EQ(write_all(p("d2/sub/f"), "f"), "");
  ASSERT_EQ(mkdir(p("d1/e").c_str(), 0755), 0);
  EXPECT_EQ(rename(p("d1/e").c_str(), p("d2/sub").c_str()), -1);
  EXPECT_EQ(errno, ENOTEMPTY);
  // Into a snapshot: another (read-only) file system.
  EXPECT_EQ(rename(p("d1/z").c_str(), p(".zfs/snapshot/s1/z").c_str()), -1);
  EXPECT_EQ(errno, EXDEV);
}

TEST_P(FuseWriteTest, LinkAndUnlinkCountLinks) {
  ASSERT_EQ(write_all(p("f"), "data"), "");
  ASSERT_EQ(link(p("f").c_str(), p("g").c_str()), 0);
  EXPECT_EQ(lstat_of(p("f")).st_nlink, 2u);
  EXPECT_EQ(lstat_of(p("g")).st_ino, lstat_of(p("f")).st_ino);
  EXPECT_EQ(link(p("f").c_str(), p("g").c_str()), -1);
  EXPECT_EQ(errno, EEXIST);
  ASSERT_EQ(unlink(p("f").c_str()), 0);
  EXPECT_EQ(lstat_of(p("g")).st_nlink, 1u);
  EXPECT_EQ(read_all(p("g")), "data");
  EXPECT_EQ(unlink(p("f").c_str()), -1);
  EXPECT_EQ(errno, ENOENT);
  ASSERT_EQ(mkdir(p("d").c_str(), 0755), 0);
  EXPECT_EQ(unlink(p("d").c_str()), -1);
  EXPECT_EQ(errno, EISDIR);
}

TEST_P(FuseWriteTest, SymlinkAndSpecialFiles) {
  ASSERT_EQ(symlink("some/where/else", p("l").c_str()), 0);
  char buf[64];
  ssize_t n = readlink(p("l").c_str(), buf, sizeof buf);
  ASSERT_EQ(n, 15);
  EXPECT_EQ(std::string(buf, n), "some/where/else");
  struct stat st = lstat_of(p("l"));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_size, 15);
  ASSERT_EQ(mkfifo(p("fifo").c_str(), 0600), 0);
  EXPECT_TRUE(S_ISFIFO(lstat_of(p("fifo")).st_mode));
  if (geteuid() == 0) {
    ASSERT_EQ(mknod(p("null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    st = lstat_of(p("null"));
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(1, 3));
  }
}

TEST_P(FuseWriteTest, SetattrChmodChownTruncateUtimens) {
  ASSERT_EQ(write_all(p("f"), pattern(10000, 2)), "");
  ASSERT_EQ(chmod(p("f").c_str(), 04751), 0);
  EXPECT_EQ(lstat_of(p("f")).st_mode, S_IFREG | 04751u);
  if (geteuid() == 0) {
    ASSERT_EQ(chown(p("f").c_str(), 123, 456), 0);
    struct stat st = lstat_of(p("f"));
    EXPECT_EQ(st.st_uid, 123u);
    EXPECT_EQ(st.st_gid, 456u);
    EXPECT_EQ(st.st_mode & S_ISUID, 0u) << "chown clears set-user-id";
  }
  // Shrink, then grow: the bytes past the old end read as zeros.
  ASSERT_EQ(truncate(p("f").c_str(), 10), 0);
  int fd = open(p("f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 5000), 0);
  close(fd);
  EXPECT_EQ(read_all(p("f")), pattern(10000, 2).substr(0, 10) + std::string(4990, '\0'));
  EXPECT_EQ(lstat_of(p("f")).st_size, 5000);
  // Exact times, UTIME_OMIT and UTIME_NOW.
  const timespec set[2] = {{1234567890, 123456789}, {987654321, 987654321}};
  ASSERT_EQ(utimensat(AT_FDCWD, p("f").c_str(), set, 0), 0);
  struct stat st = lstat_of(p("f"));
  EXPECT_EQ(st.st_atim.tv_sec, 1234567890);
  EXPECT_EQ(st.st_atim.tv_nsec, 123456789);
  EXPECT_EQ(st.st_mtim.tv_sec, 987654321);
  EXPECT_EQ(st.st_mtim.tv_nsec, 987654321);
  const timespec omit_now[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
  ASSERT_EQ(utimensat(AT_FDCWD, p("f").c_str(), omit_now, 0), 0);
  st = lstat_of(p("f"));
  EXPECT_EQ(st.st_atim.tv_sec, 1234567890);
  EXPECT_LE(std::abs(st.st_mtim.tv_sec - time(nullptr)), 5);
  EXPECT_EQ(fake_->getattr(st.st_ino)->mtime.sec, st.st_mtim.tv_sec);
}

TEST_P(FuseWriteTest, Xattrs) {
  ASSERT_EQ(write_all(p("f"), ""), "");
  const std::string big = pattern(60000, 3);
  ASSERT_EQ(setxattr(p("f").c_str(), "user.a", "1", 1, 0), 0);
  ASSERT_EQ(setxattr(p("f").c_str(), "user.big", big.data(), big.size(), 0), 0);
  EXPECT_EQ(setxattr(p("f").c_str(), "user.a", "2", 1, XATTR_CREATE), -1);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_EQ(setxattr(p("f").c_str(), "user.none", "2", 1, XATTR_REPLACE), -1);
  EXPECT_EQ(errno, ENODATA);
  ASSERT_EQ(setxattr(p("f").c_str(), "user.a", "22", 2, XATTR_REPLACE), 0);
  std::string buf(70000, '\0');
  ssize_t n = getxattr(p("f").c_str(), "user.big", buf.data(), buf.size());
  ASSERT_EQ(n, 60000);
  EXPECT_TRUE(buf.substr(0, n) == big);
  n = listxattr(p("f").c_str(), buf.data(), buf.size());
  EXPECT_EQ(buf.substr(0, n), std::string("user.a\0user.big\0", 16));
  ASSERT_EQ(removexattr(p("f").c_str(), "user.a"), 0);
  EXPECT_EQ(removexattr(p("f").c_str(), "user.a"), -1);
  EXPECT_EQ(errno, ENODATA);
  EXPECT_EQ(*fake_->listxattr(obj_of("f")), std::vector<std::string>{"user.big"});
}

TEST_P(FuseWriteTest, SetgidDirectoryPassesItsGroup) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for chown";
  ASSERT_EQ(mkdir(p("g").c_str(), 0775), 0);
  ASSERT_EQ(chown(p("g").c_str(), 0, 777), 0);
  ASSERT_EQ(chmod(p("g").c_str(), 02775), 0);
  ASSERT_EQ(write_all(p("g/f"), "x"), "");
  ASSERT_EQ(mkdir(p("g/sub").c_str(), 0755), 0);
  EXPECT_EQ(lstat_of(p("g/f")).st_gid, 777u);
  const struct stat sub = lstat_of(p("g/sub"));
  EXPECT_EQ(sub.st_gid, 777u);
  EXPECT_EQ(sub.st_mode, S_IFDIR | 02755u);
  ASSERT_EQ(mkdir(p("plain").c_str(), 0755), 0);
  EXPECT_EQ(lstat_of(p("plain")).st_gid, getegid());
}

TEST_P(FuseWriteTest, RewinddirSeesNewEntries) {
  DIR* d = opendir(dir_.c_str());
  ASSERT_NE(d, nullptr);
  std::set<std::string> seen;
  while (dirent* e = readdir(d)) seen.insert(e->d_name);
  EXPECT_EQ(seen.count("new"), 0u);
  ASSERT_EQ(write_all(p("new"), "n"), "");
  rewinddir(d);
  seen.clear();
  while (dirent* e = readdir(d)) seen.insert(e->d_name);
  closedir(d);
  EXPECT_EQ(seen.count("new"), 1u);
}

TEST_P(FuseWriteTest, SnapshotsAndDotZfsStayReadOnly) {
  EXPECT_EQ(read_all(p(".zfs/snapshot/s1/old")), "from before s1\n");
  EXPECT_EQ(open(p(".zfs/snapshot/s1/old").c_str(), O_WRONLY), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(open(p(".zfs/snapshot/s1/new").c_str(), O_WRONLY | O_CREAT, 0644), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(unlink(p(".zfs/snapshot/s1/old").c_str()), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(chmod(p(".zfs/snapshot/s1/old").c_str(), 0600), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(mkdir(p(".zfs/snapshot/s2").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(mkdir(p(".zfs/x").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);
  // The live file keeps living on.
  ASSERT_EQ(write_all(p("old"), "changed"), "");
  EXPECT_EQ(read_all(p(".zfs/snapshot/s1/old")), "from before s1\n");
  EXPECT_EQ(read_all(p("old")), "changed");
}

TEST_P(FuseWriteTest, FsyncAndUnmountReachTheFileSystem) {
  int fd = open(p("f").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "bytes", 5), 5);
  ASSERT_EQ(fsync(fd), 0);
  ASSERT_EQ(fdatasync(fd), 0);
  close(fd);
  int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dfd, 0);
  ASSERT_EQ(fsync(dfd), 0);
  close(dfd);
  EXPECT_EQ(fake_->fsyncs(), 3u);
  EXPECT_EQ(fake_contents(*fake_, {"f"}), "bytes") << "written back before fsync returned";
  ASSERT_TRUE(mount_->unmount().ok());
  mount_.reset();
  EXPECT_EQ(fake_->fsyncs(), 4u) << "unmount syncs";
}

TEST_P(FuseWriteTest, ForgetReachesTheFileSystemAfterUnlinkAndClose) {
  int fd = open(p("f").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "bytes", 5), 5);
  const uint64_t obj = obj_of("f");
  ASSERT_EQ(unlink(p("f").c_str()), 0);
  // Unlinked but open: still there, still readable through the descriptor.
  char buf[8] = {};
  EXPECT_EQ(pread(fd, buf, sizeof buf, 0), 5);
  EXPECT_EQ(std::string(buf, 5), "bytes");
  EXPECT_TRUE(fake_->exists(obj));
  EXPECT_GT(fuse_fs_->lookup_count(obj), 0u);
  close(fd);
  auto forgotten = [&] {
    auto f = fake_->forgotten();
    return std::find(f.begin(), f.end(), obj) != f.end();
  };
  for (int i = 0; i < 500 && !forgotten(); i++) usleep(10000);
  EXPECT_TRUE(forgotten());
  EXPECT_FALSE(fake_->exists(obj));
  EXPECT_EQ(fuse_fs_->lookup_count(obj), 0u);
}

TEST_P(FuseWriteTest, LookupCountsBalanceWhenTheKernelDropsItsInodes) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for drop_caches";
  ASSERT_EQ(mkdir(p("d").c_str(), 0755), 0);
  std::vector<uint64_t> objs;
  for (int i = 0; i < 50; i++) {
    ASSERT_EQ(write_all(p(fmt::format("d/f{}", i)), "x"), "");
    objs.push_back(obj_of(fmt::format("d/f{}", i)));
  }
  ASSERT_EQ(link(p("d/f0").c_str(), p("d/l0").c_str()), 0);
  ASSERT_EQ(symlink("f1", p("d/s").c_str()), 0);
  objs.push_back(obj_of("d/s"));
  objs.push_back(obj_of("d"));
  list_dir(p("d"));  // readdirplus hands out ids too
  for (int i = 0; i < 50; i += 7) lstat_of(p(fmt::format("d/f{}/..", i)));
  EXPECT_GT(fuse_fs_->lookup_count(objs[0]), 0u);
  // Unused dentries and inodes go; the kernel forgets each node with the count it holds.
  sync();
  std::ofstream("/proc/sys/vm/drop_caches") << "2\n";
  auto balanced = [&] {
    for (uint64_t o : objs)
      if (fuse_fs_->lookup_count(o) != 0) return false;
    return true;
  };
  for (int i = 0; i < 500 && !balanced(); i++) usleep(10000);
  for (uint64_t o : objs) EXPECT_EQ(fuse_fs_->lookup_count(o), 0u) << "object " << o;
  auto f = fake_->forgotten();
  for (uint64_t o : objs) EXPECT_NE(std::find(f.begin(), f.end(), o), f.end()) << "object " << o;
  EXPECT_EQ(fuse_fs_->lookup_overdrops(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Cache, FuseWriteTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "writeback" : "writethrough"; });

// Not a check: serves writable fakes for the POSIX suite and fzfs_fsx by hand, until
// unmounted from outside (see tests/posix/README.md):
//   FZFS_FAKE_MOUNT=DIR [FZFS_FAKE_MOUNT_OTHER=DIR2] [FZFS_FAKE_WRITEBACK=1]
//   fuse_fake_test --gtest_also_run_disabled_tests --gtest_filter='*ServeWritableFake'
TEST(FakeMount, DISABLED_ServeWritableFake) {
  const char* dir = getenv("FZFS_FAKE_MOUNT");
  if (!dir) GTEST_SKIP() << "FZFS_FAKE_MOUNT not set";
  const char* other = getenv("FZFS_FAKE_MOUNT_OTHER");
  const char* wb = getenv("FZFS_FAKE_WRITEBACK");
  FakePool pool("fk");
  std::vector<std::unique_ptr<FuseMount>> mounts;
  for (const char* d : {dir, other}) {
    if (!d) continue;
    const std::string name = fmt::format("fk/m{}", mounts.size());
    auto fake = pool.add_filesystem(name);
    fake->set_writable(true);
    SnapshotSource none{[] { return Result<std::vector<std::string>>(std::vector<std::string>{}); },
                        [](const std::string&) -> Result<std::shared_ptr<Filesystem>> {
                          return make_error(ENOENT, "no snapshots");
                        }};
    MountOptions opts{"fzfs:" + name, /*allow_other=*/true};
    opts.writeback_cache = wb && std::string(wb) == "1";
    auto m = FuseMount::start(std::make_unique<FuseFs>(fake, none, false), d, opts);
    ASSERT_TRUE(m.ok()) << m.error().message();
    mounts.push_back(std::move(*m));
  }
  auto serving = [&] {
    for (auto& m : mounts)
      if (m->serving()) return true;
    return false;
  };
  while (serving()) usleep(100000);
}

// ---- the daemon and the tools, over the fake pool "fk" (fzpool_fake) ----

struct CmdResult {
  int status = -1;
  std::string out, err;
};

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
  // Read-write is the default import now (the fake's datasets stay read-only).
  CmdResult r = fzpool("import -N -d /tmp fk");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(fzpool("export fk").status, 0);
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
