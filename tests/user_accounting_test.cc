// User and group space accounting (pool version 15 on), with zfs-fuse as the judge.
//   1. fzfs writes, rewrites, truncates, chowns and removes files of several users
//      through its mount, over several txgs, and exports;
//   2. zfs-fuse imports: for each user and group, `zfs get userused@ID` equals the sum
//      of st_blocks * 512 over what that id owns, as zfs-fuse's own stat reports it
//      (ZFS charges an object's dnode plus its blocks, which is what st_blocks counts);
//   3. zfs-fuse removes everything one user owns: that user's total drops to 0, which
//      only happens if what fzfs charged is what zfs-fuse takes back; the scrub is clean;
//   4. fzfs imports the pool again and reports the same st_blocks as zfs-fuse (du agrees).
// And on a pool zfs-fuse wrote (the corpus), whose totals zfs-fuse already keeps: fzfs
// chowns its files, adds and removes some; zfs-fuse finds each user's total exact, and
// once it has chowned everything back and removed what fzfs added, root's total is what
// it was before fzfs touched the pool (up to the directory that grew).
// Labelled "integration"; skips without FUSE, the tools or zfs-fuse.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/pool_fixture.h"
#include "tests/zfs_fuse.h"

namespace fzfs::test {
namespace {

namespace fs = std::filesystem;

// Writes LEN bytes at OFFSET (creating the file), fsyncs (a txg), sets the owner.
void put(const std::string& path, off_t offset, size_t len, uid_t uid, gid_t gid) {
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0) << path << ": " << strerror(errno);
  std::string data(len, '\0');
  for (size_t i = 0; i < len; i++) data[i] = static_cast<char>((i * 2654435761u) >> 13);
  ASSERT_EQ(::pwrite(fd, data.data(), len, offset), static_cast<ssize_t>(len)) << strerror(errno);
  ASSERT_EQ(::fchown(fd, uid, gid), 0) << strerror(errno);
  ASSERT_EQ(::fsync(fd), 0) << strerror(errno);
  ASSERT_EQ(::close(fd), 0);
}

void durable(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0) << path << ": " << strerror(errno);
  ASSERT_EQ(::fsync(fd), 0) << strerror(errno);
  ::close(fd);
}

struct Usage {
  std::map<uint64_t, uint64_t> user, group;  // bytes by id
  std::map<std::string, blkcnt_t> blocks;    // st_blocks by path below the root
};

// What stat says each user and group holds below ROOT (ROOT itself included); a file
// with several names counts once.
Usage usage_of(const std::string& root) {
  Usage u;
  std::set<ino_t> seen;
  auto add = [&](const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) {
      ADD_FAILURE() << p << ": " << strerror(errno);
      return;
    }
    if (!seen.insert(st.st_ino).second) return;
    u.user[st.st_uid] += uint64_t(st.st_blocks) * 512;
    u.group[st.st_gid] += uint64_t(st.st_blocks) * 512;
    u.blocks[fs::relative(p, root).string()] = st.st_blocks;
  };
  add(root);
  for (const auto& e : fs::recursive_directory_iterator(root)) add(e.path());
  return u;
}

class UserAccountingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string missing = missing_tools(); !missing.empty()) GTEST_SKIP() << missing;
    if (access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/fuse";
    if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
    auto dev = ws_.make_device("d0", 128ull << 20);
    auto r = ws_.create_pool("tank", {dev}, {"-o", "version=23"});
    ASSERT_TRUE(r.ok()) << r.describe();
    root_ = ws_.mounted_at("/tank");
  }

  // zfs-fuse's figure for "userused@ID" or "groupused@ID" (0 when it has none).
  uint64_t zfs_used(ZfsFuse& zf, const std::string& prop) {
    auto r = zf.zfs({"get", "-H", "-p", "-o", "value", prop, "tank"});
    EXPECT_TRUE(r.ok()) << r.describe();
    std::string v = r.out.substr(0, r.out.find('\n'));
    if (v == "-" || v.empty()) return 0;
    return std::stoull(v);
  }

  PoolWorkspace ws_;
  std::string root_;
};

TEST_F(UserAccountingTest, ZfsFuseAgreesWithWhatFzfsCharged) {
  // Txg after txg: new files, growth, an overwrite, a truncate, a sparse file, a chown
  // from one user to another, a removal.
  ASSERT_EQ(::mkdir((root_ + "/u1000").c_str(), 0755), 0);
  ASSERT_EQ(::chown((root_ + "/u1000").c_str(), 1000, 2000), 0);
  put(root_ + "/u1000/big", 0, 900000, 1000, 2000);
  put(root_ + "/u1000/small", 0, 5000, 1000, 2000);
  put(root_ + "/u1000/sparse", 40 << 20, 70000, 1000, 2000);
  put(root_ + "/g1001", 0, 70000, 1001, 2000);
  put(root_ + "/moves", 0, 200000, 1001, 2001);
  put(root_ + "/gone", 0, 300000, 1001, 2001);
  put(root_ + "/u1000/big", 100000, 300000, 1000, 2000);  // overwrite in place
  ASSERT_EQ(::truncate((root_ + "/u1000/small").c_str(), 100), 0);
  ASSERT_EQ(::chown((root_ + "/moves").c_str(), 1000, 2000), 0);
  ASSERT_EQ(::unlink((root_ + "/gone").c_str()), 0);
  durable(root_);
  durable(root_ + "/u1000/small");
  ASSERT_TRUE(ws_.export_pool("tank").ok());

  ZfsFuse zf(ws_.dir() + "/scratch");
  ASSERT_EQ(zf.start(), "");
  const std::string zroot = ws_.dir() + "/zroot";
  auto r = zf.zpool({"import", "-d", ws_.devices(), "-R", zroot, "tank"});
  ASSERT_TRUE(r.ok()) << r.describe();
  const Usage seen = usage_of(zroot + "/tank");
  // Root owns objects no path reaches (zfs-fuse's shares directory...): only the
  // other ids are compared.
  for (uint64_t uid : {1000, 1001}) {
    EXPECT_EQ(zfs_used(zf, "userused@" + std::to_string(uid)), seen.user.at(uid)) << "uid " << uid;
  }
  for (uint64_t gid : {2000, 2001}) {
    const uint64_t want = seen.group.count(gid) ? seen.group.at(gid) : 0;
    EXPECT_EQ(zfs_used(zf, "groupused@" + std::to_string(gid)), want) << "gid " << gid;
  }
  EXPECT_EQ(seen.group.count(2001), 0u) << "the only 2001 files moved or went";

  // zfs-fuse takes back what uid 1000 holds: exactly what fzfs charged, or a remainder
  // stays behind. Its totals move at its own syncs: export and import to see them.
  fs::remove_all(zroot + "/tank/u1000");
  fs::remove(zroot + "/tank/moves");
  ASSERT_TRUE(zf.zpool({"export", "tank"}).ok());
  r = zf.zpool({"import", "-d", ws_.devices(), "-R", zroot, "tank"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(zfs_used(zf, "userused@1000"), 0u);
  const Usage left = usage_of(zroot + "/tank");
  EXPECT_EQ(zfs_used(zf, "userused@1001"), left.user.at(1001));
  EXPECT_EQ(zfs_used(zf, "groupused@2000"), left.group.at(2000));
  r = zf.scrub_and_wait("tank");
  EXPECT_TRUE(r.ok()) << r.describe();
  ASSERT_TRUE(zf.zpool({"export", "tank"}).ok());
  ASSERT_EQ(zf.stop(), "");

  // fzfs reports the blocks zfs-fuse does: du gives the same answer on either.
  r = ws_.import_readonly("tank");
  ASSERT_TRUE(r.ok()) << r.describe();
  const Usage ours = usage_of(root_);
  EXPECT_EQ(ours.blocks, left.blocks);
  ASSERT_TRUE(ws_.export_pool("tank").ok());
}

TEST(UserAccountingCorpus, FzfsKeepsZfsFuseTotalsExact) {
  if (std::string missing = missing_tools(); !missing.empty()) GTEST_SKIP() << missing;
  if (access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/fuse";
  if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
  const std::string source = conformance_dir() + "/zfs-fuse/zf-stripe/A.zst";
  if (access(source.c_str(), R_OK) != 0) GTEST_SKIP() << "no corpus pool " << source;
  PoolWorkspace ws;
  ws.unpack(source);
  const std::string zroot = ws.dir() + "/zroot";
  std::string zdata;  // where zfs-fuse mounts zf-stripe/data
  auto find_mount = [&](ZfsFuse& zf) {
    auto r = zf.zfs({"get", "-H", "-o", "value", "mountpoint", "zf-stripe/data"});
    EXPECT_TRUE(r.ok()) << r.describe();
    zdata = r.out.substr(0, r.out.find('\n'));
  };
  auto used = [](ZfsFuse& zf, const std::string& prop) -> uint64_t {
    auto r = zf.zfs({"get", "-H", "-p", "-o", "value", prop, "zf-stripe/data"});
    EXPECT_TRUE(r.ok()) << r.describe();
    std::string v = r.out.substr(0, r.out.find('\n'));
    return v == "-" || v.empty() ? 0 : std::stoull(v);
  };

  // Before: root's total as zfs-fuse kept it, and the directory's blocks.
  uint64_t root_before = 0;
  blkcnt_t dir_before = 0;
  {
    ZfsFuse zf(ws.dir() + "/scratch");
    ASSERT_EQ(zf.start(), "");
    auto r = zf.zpool({"import", "-d", ws.devices(), "-R", zroot, "zf-stripe"});
    ASSERT_TRUE(r.ok()) << r.describe();
    find_mount(zf);
    root_before = used(zf, "userused@0");
    ASSERT_GT(root_before, 0u) << "zfs-fuse keeps accounting on its version 23 pools";
    dir_before = usage_of(zdata).blocks.at(".");
    ASSERT_TRUE(zf.zpool({"export", "zf-stripe"}).ok());
  }

  // fzfs: chown some of zfs-fuse's files, remove others, add a directory of new ones.
  auto r = ws.import_readwrite("zf-stripe");
  ASSERT_TRUE(r.ok()) << r.describe();
  r = ws.fzfs({"get", "-H", "-o", "value", "mountpoint", "zf-stripe/data"});  // below the altroot
  ASSERT_TRUE(r.ok()) << r.describe();
  const std::string data = r.out.substr(0, r.out.find('\n'));
  std::vector<std::string> chowned;
  for (const auto& e : fs::recursive_directory_iterator(data)) {
    if (!e.is_regular_file() || e.is_symlink() || chowned.size() == 40) continue;
    ASSERT_EQ(::chown(e.path().c_str(), 1000, 2000), 0) << e.path();
    chowned.push_back(fs::relative(e.path(), data).string());
  }
  ASSERT_EQ(chowned.size(), 40u);
  ASSERT_EQ(::mkdir((data + "/new").c_str(), 0755), 0);
  ASSERT_EQ(::chown((data + "/new").c_str(), 1001, 2001), 0);
  for (int i = 0; i < 20; i++) put(data + "/new/f" + std::to_string(i), 0, 1000 * i * i, 1001, 2001);
  durable(data);
  ASSERT_TRUE(ws.export_pool("zf-stripe").ok());

  ZfsFuse zf(ws.dir() + "/scratch");
  ASSERT_EQ(zf.start(), "");
  r = zf.zpool({"import", "-d", ws.devices(), "-R", zroot, "zf-stripe"});
  ASSERT_TRUE(r.ok()) << r.describe();
  find_mount(zf);
  const Usage seen = usage_of(zdata);
  EXPECT_EQ(used(zf, "userused@1000"), seen.user.at(1000));
  EXPECT_EQ(used(zf, "userused@1001"), seen.user.at(1001));
  EXPECT_EQ(used(zf, "groupused@2000"), seen.group.at(2000));
  EXPECT_EQ(used(zf, "groupused@2001"), seen.group.at(2001));

  // zfs-fuse undoes it all; its totals move at its syncs (export, import).
  for (const auto& name : chowned) ASSERT_EQ(::chown((zdata + "/" + name).c_str(), 0, 0), 0) << name;
  fs::remove_all(zdata + "/new");
  ASSERT_TRUE(zf.zpool({"export", "zf-stripe"}).ok());
  r = zf.zpool({"import", "-d", ws.devices(), "-R", zroot, "zf-stripe"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(used(zf, "userused@1000"), 0u);
  EXPECT_EQ(used(zf, "userused@1001"), 0u);
  const blkcnt_t dir_after = usage_of(zdata).blocks.at(".");
  EXPECT_EQ(used(zf, "userused@0"), root_before + uint64_t(dir_after - dir_before) * 512)
      << "root's total is back where zfs-fuse left it, but for the directory's growth";
  r = zf.scrub_and_wait("zf-stripe");
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(zf.zpool({"export", "zf-stripe"}).ok());
}

}  // namespace
}  // namespace fzfs::test
