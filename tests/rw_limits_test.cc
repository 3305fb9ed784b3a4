// Bad situations for a read-write pool, each judged by zfs-fuse afterwards:
//   - a full pool: writes fail with ENOSPC, fsync and export still work, deleting files
//     makes room again, and zfs-fuse scrubs the pool clean;
//   - a read-only import refuses every change with EROFS;
//   - the device's own file system fills up under the pool: the sync fails, fsync
//     reports it, the pool refuses further changes, and after the space comes back the
//     pool imports at its last good txg with every fsync'd byte intact.
// Labelled "integration"; skips when zfs-fuse is absent.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "engine/pool/pool.h"
#include "tests/manifest.h"
#include "tests/oracle_tree.h"
#include "tests/pool_fixture.h"
#include "tests/zfs_fuse.h"

namespace fzfs::test {
namespace {

std::span<const uint8_t> bytes_of(const std::string& s) {
  return std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

void make_file(const std::string& path, uint64_t size) {
  int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(ftruncate(fd, size), 0);
  close(fd);
}

// zfs-fuse makes POOL (version 23, one file of `size` bytes in `dir`) with POOL/data.
void make_pool(ZfsFuse& zf, const std::string& dir, const std::string& pool, uint64_t size) {
  make_file(dir + "/dev", size);
  CommandResult made = zf.zpool({"create", "-o", "version=23", "-m", "none", pool, dir + "/dev"});
  ASSERT_TRUE(made.ok()) << made.describe();
  ASSERT_TRUE(zf.zfs({"create", "-o", "mountpoint=/" + pool + "/data", pool + "/data"}).ok());
  ASSERT_TRUE(zf.zpool({"export", pool}).ok());
}

// zfs-fuse imports, scrubs (0 errors), hands the mount path of POOL/data to `check`.
void judge(ZfsFuse& zf, const std::string& dir, const std::string& altroot, const std::string& pool,
           const std::function<void(const std::string&)>& check) {
  CommandResult imp = zf.zpool({"import", "-f", "-d", dir, "-R", altroot, pool});
  ASSERT_TRUE(imp.ok()) << imp.describe();
  CommandResult status = zf.scrub_and_wait(pool);
  EXPECT_TRUE(status.ok()) << status.describe();
  CommandResult mp = zf.zfs({"get", "-H", "-o", "value", "mountpoint", pool + "/data"});
  ASSERT_TRUE(mp.ok()) << mp.describe();
  check(mp.out.substr(0, mp.out.find('\n')));
  CommandResult exp = zf.zpool({"export", pool});
  EXPECT_TRUE(exp.ok()) << exp.describe();
}

struct Opened {
  std::unique_ptr<Pool> pool;
  std::shared_ptr<Filesystem> fs;
};
Opened open_rw(const std::string& dir, const std::string& pool, bool readonly = false) {
  ImportOptions opts{{dir}, pool};
  opts.readonly = readonly;
  auto p = Pool::import(opts);
  if (!p.ok()) throw std::runtime_error(p.error().message());
  auto fs = (*p)->open_filesystem(pool + "/data");
  if (!fs.ok()) throw std::runtime_error(fs.error().message());
  return {std::move(*p), *fs};
}

class RwLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
    scratch_ = ws_.dir() + "/zfs-fuse";
    mkdir(scratch_.c_str(), 0755);
    zf_ = std::make_unique<ZfsFuse>(scratch_);
    ASSERT_EQ(zf_->start(), "");
  }
  PoolWorkspace ws_;
  std::string scratch_;
  std::unique_ptr<ZfsFuse> zf_;
};

TEST_F(RwLimits, FullPoolFailsWritesWithEnospcAndRecovers) {
  const std::string pool = "fullpool";
  make_pool(*zf_, ws_.devices(), pool, 128ULL << 20);
  std::vector<std::string> names;
  const std::string chunk = random_bytes("full", 1 << 20);
  {
    Opened o = open_rw(ws_.devices(), pool);
    uint64_t root = o.fs->root_object();
    int code = 0;
    for (int i = 0; i < 1000 && code == 0; i++) {
      auto a = o.fs->create(root, "f" + std::to_string(i), S_IFREG | 0644, 0, Creds{});
      if (!a.ok()) {
        code = a.error().code();
        break;
      }
      auto w = o.fs->write(a->ino, 0, bytes_of(chunk));
      if (!w.ok()) code = w.error().code();
      else names.push_back("f" + std::to_string(i));
    }
    EXPECT_EQ(code, ENOSPC);
    EXPECT_GT(names.size(), 40u) << "a 128 MiB pool must hold more than 40 MiB";
    Status s = o.fs->fsync(root, false);
    ASSERT_TRUE(s.ok()) << "a full pool must still sync: " << s.error().message();
    // Deleting makes room (after the frees' deferral of two txgs).
    for (size_t i = 0; i < names.size(); i += 2) ASSERT_TRUE(o.fs->unlink(root, names[i]).ok());
    for (int i = 0; i < 3; i++) ASSERT_TRUE(o.fs->fsync(root, false).ok());
    auto a = o.fs->create(root, "after", S_IFREG | 0644, 0, Creds{});
    ASSERT_TRUE(a.ok()) << a.error().message();
    auto w = o.fs->write(a->ino, 0, bytes_of(chunk));
    EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().message());
    ASSERT_TRUE(o.pool->export_pool().ok());
  }
  judge(*zf_, ws_.devices(), ws_.altroot(), pool, [&](const std::string& mnt) {
    const std::string want = sha256_hex(chunk);
    for (size_t i = 1; i < names.size(); i += 2) EXPECT_EQ(sha256_file(mnt + "/" + names[i]), want) << names[i];
    EXPECT_EQ(sha256_file(mnt + "/after"), want);
    EXPECT_NE(access((mnt + "/" + names[0]).c_str(), F_OK), 0) << "deleted file still there";
  });
}

TEST_F(RwLimits, ReadOnlyImportRefusesChanges) {
  const std::string pool = "ropool";
  make_pool(*zf_, ws_.devices(), pool, 96ULL << 20);
  Opened o = open_rw(ws_.devices(), pool, /*readonly=*/true);
  uint64_t root = o.fs->root_object();
  EXPECT_TRUE(o.fs->readonly());
  EXPECT_EQ(o.fs->create(root, "x", S_IFREG | 0644, 0, Creds{}).error().code(), EROFS);
  EXPECT_EQ(o.fs->mkdir(root, "d", 0755, Creds{}).error().code(), EROFS);
  SetAttr sa;
  sa.mode = 0700;
  EXPECT_EQ(o.fs->setattr(root, sa).error().code(), EROFS);
  EXPECT_EQ(o.pool->create_dataset(pool + "/x", {}, false).error().code(), EROFS);
}

TEST_F(RwLimits, DeviceFileSystemFullSuspendsThePoolAndLosesNothingSynced) {
  const std::string pool = "devfull";
  const std::string dir = ws_.dir() + "/small-tmpfs";
  mkdir(dir.c_str(), 0755);
  if (mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=160m") != 0) GTEST_SKIP() << "cannot mount a tmpfs here";
  struct Unmount {
    std::string d;
    ~Unmount() { umount2(d.c_str(), MNT_DETACH); }
  } unmount{dir};
  make_pool(*zf_, dir, pool, 150ULL << 20);
  const std::string kept = random_bytes("kept", 3 << 20);
  {
    Opened o = open_rw(dir, pool);
    uint64_t root = o.fs->root_object();
    auto a = o.fs->create(root, "kept", S_IFREG | 0644, 0, Creds{});
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(o.fs->write(a->ino, 0, bytes_of(kept)).ok());
    ASSERT_TRUE(o.fs->fsync(a->ino, false).ok());
    // Fill the device's file system: the pool's next blocks land in unbacked holes.
    int fd = open((dir + "/junk").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    std::string mb(1 << 20, 'j');
    while (::write(fd, mb.data(), mb.size()) > 0) {
    }
    close(fd);
    const std::string lost = random_bytes("lost", 40 << 20);
    auto b = o.fs->create(root, "lost", S_IFREG | 0644, 0, Creds{});
    ASSERT_TRUE(b.ok());
    (void)o.fs->write(b->ino, 0, bytes_of(lost));
    Status s = o.fs->fsync(b->ino, false);
    EXPECT_FALSE(s.ok()) << "fsync must report that the data could not be stored";
    auto again = o.fs->create(root, "later", S_IFREG | 0644, 0, Creds{});
    EXPECT_FALSE(again.ok()) << "a suspended pool must refuse changes";
    unlink((dir + "/junk").c_str());
  }
  judge(*zf_, dir, ws_.altroot(), pool, [&](const std::string& mnt) {
    EXPECT_EQ(sha256_file(mnt + "/kept"), sha256_hex(kept));
  });
}

}  // namespace
}  // namespace fzfs::test
