// End-to-end tests of the writing commands: fzpool create/export/import/set and
// fzfs create/set/get/inherit/rename/destroy, run as binaries over pools made in
// files. Needs the engine's write path (Pool::create, read-write import, dataset and
// property changes) and FUSE.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/pool_fixture.h"
#include "tests/zfs_fuse.h"

namespace fzfs::test {
namespace {

constexpr uint64_t kDeviceSize = 128ull << 20;  // above zpool's 64 MiB minimum

// The fuse.fzfs mount at exactly PATH, if any: its source ("fzfs:POOL/DS").
std::string fzfs_mount_source(const std::string& path) {
  std::ifstream in("/proc/self/mounts");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string source, target, type;
    f >> source >> target >> type;
    if (type == "fuse.fzfs" && target == path) return source;
  }
  return "";
}

bool file_is_all_zero(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0)
    for (std::streamsize i = 0; i < in.gcount(); i++)
      if (buf[i] != 0) return false;
  return true;
}

class CliWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string missing = missing_tools(); !missing.empty()) GTEST_SKIP() << missing;
    if (access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/fuse";
  }

  // A two-way mirror "tank" in two files, created and mounted.
  void create_mirror(const std::vector<std::string>& options = {}) {
    auto a = ws_.make_device("a", kDeviceSize), b = ws_.make_device("b", kDeviceSize);
    auto r = ws_.create_pool("tank", {"mirror", a, b}, options);
    ASSERT_TRUE(r.ok()) << r.describe();
  }

  // `fzfs get -H -o value,source PROP NAME` as {value, source}.
  std::pair<std::string, std::string> get(const std::string& prop, const std::string& name) {
    auto r = ws_.fzfs({"get", "-H", "-o", "value,source", prop, name});
    EXPECT_TRUE(r.ok()) << r.describe();
    auto tab = r.out.find('\t');
    if (tab == std::string::npos) return {r.out, ""};
    std::string source = r.out.substr(tab + 1);
    while (!source.empty() && source.back() == '\n') source.pop_back();
    return {r.out.substr(0, tab), source};
  }

  std::vector<std::string> names(const std::string& pool) {
    auto r = ws_.fzfs({"list", "-H", "-o", "name", "-r", pool});
    EXPECT_TRUE(r.ok()) << r.describe();
    return lines_of(r.out);
  }

  PoolWorkspace ws_;
};

TEST_F(CliWriteTest, DryRunPrintsLayoutAndWritesNothing) {
  auto a = ws_.make_device("a", kDeviceSize), b = ws_.make_device("b", kDeviceSize);
  auto r = ws_.create_pool("tank", {"mirror", a, b}, {"-n"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out.rfind("would create 'tank' with the following layout:\n\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("mirror"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(a), std::string::npos) << r.out;
  EXPECT_TRUE(file_is_all_zero(a));
  EXPECT_TRUE(file_is_all_zero(b));
  EXPECT_EQ(fzfs_mount_source(ws_.altroot() + "/tank"), "");
}

TEST_F(CliWriteTest, UsageAndArgumentErrors) {
  auto a = ws_.make_device("a", kDeviceSize);
  auto r = ws_.fzpool({"create", "tank"});
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("missing vdev specification"), std::string::npos) << r.err;

  r = ws_.fzpool({"create", "tank/x", a});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_EQ(r.err, "cannot create 'tank/x': invalid character '/' in pool name\n"
                   "use 'zfs create' to create a dataset\n");

  r = ws_.fzfs({"create", "nopool/a"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_EQ(r.err, "cannot create 'nopool/a': no such pool 'nopool'\n");

  r = ws_.fzfs({"inherit", "quota", "tank"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_EQ(r.err, "'quota' property cannot be inherited\nuse 'zfs set quota=none' to clear\n"
                   "use 'zfs inherit -S quota' to revert to received value\n");

  r = ws_.fzfs({"inherit", "used", "tank"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_EQ(r.err, "used property is read-only\n");

  r = ws_.fzpool({"set", "autoexpand=on", "nopool"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_EQ(r.err, "cannot open 'nopool': no such pool\n");
}

TEST_F(CliWriteTest, RefusesNonEmptyMountpoint) {
  auto a = ws_.make_device("a", kDeviceSize);
  const std::string mp = ws_.altroot() + "/tank";
  mkdir(mp.c_str(), 0755);
  std::ofstream(mp + "/occupied") << "x";
  auto r = ws_.create_pool("tank", {a});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_EQ(r.err, "mountpoint '" + mp + "' exists and is not empty\n"
                   "use '-m' option to provide a different default\n");
  EXPECT_TRUE(file_is_all_zero(a));
}

TEST_F(CliWriteTest, CreateListStatusExportImport) {
  ASSERT_NO_FATAL_FAILURE(create_mirror());
  // zpool create leaves the pool imported with its root file system mounted.
  EXPECT_EQ(fzfs_mount_source(ws_.altroot() + "/tank"), "fzfs:tank");
  auto r = ws_.fzpool({"list", "-H", "-o", "name,health,altroot", "tank"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "tank\tONLINE\t" + ws_.altroot() + "\n");
  r = ws_.fzpool({"status", "tank"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("mirror-0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(ws_.devices() + "/a"), std::string::npos) << r.out;
  EXPECT_EQ(get("mountpoint", "tank").first, ws_.altroot() + "/tank");
  EXPECT_EQ(get("readonly", "tank").first, "off");

  r = ws_.export_pool("tank");
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(fzfs_mount_source(ws_.altroot() + "/tank"), "");
  r = ws_.fzpool({"import", "-d", ws_.devices()});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("   pool: tank\n"), std::string::npos) << r.out;

  r = ws_.import_readwrite("tank");
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(fzfs_mount_source(ws_.altroot() + "/tank"), "fzfs:tank");
}

TEST_F(CliWriteTest, DatasetLifecycle) {
  ASSERT_NO_FATAL_FAILURE(create_mirror());
  auto r = ws_.fzfs({"create", "tank/a"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(fzfs_mount_source(ws_.altroot() + "/tank/a"), "fzfs:tank/a");
  EXPECT_EQ(get("mounted", "tank/a").first, "yes");

  r = ws_.fzfs({"create", "-p", "-o", "compression=gzip-9", "tank/b/c"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(names("tank"), (std::vector<std::string>{"tank", "tank/a", "tank/b", "tank/b/c"}));
  EXPECT_EQ(get("compression", "tank/b/c"), std::make_pair(std::string("gzip-9"), std::string("local")));

  r = ws_.fzfs({"set", "atime=off", "org:note=hello", "tank/a"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(get("atime", "tank/a"), std::make_pair(std::string("off"), std::string("local")));
  EXPECT_EQ(get("org:note", "tank/a"), std::make_pair(std::string("hello"), std::string("local")));
  r = ws_.fzfs({"set", "compression=gzip", "tank"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(get("compression", "tank/a"),
            std::make_pair(std::string("gzip"), std::string("inherited from tank")));
  r = ws_.fzfs({"inherit", "atime", "tank/a"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(get("atime", "tank/a"), std::make_pair(std::string("on"), std::string("default")));

  // A new mountpoint moves the mount.
  r = ws_.fzfs({"set", "mountpoint=/elsewhere", "tank/a"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(fzfs_mount_source(ws_.altroot() + "/tank/a"), "");
  EXPECT_EQ(fzfs_mount_source(ws_.altroot() + "/elsewhere"), "fzfs:tank/a");

  r = ws_.fzfs({"rename", "tank/a", "tank/z"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(fzfs_mount_source(ws_.altroot() + "/elsewhere"), "fzfs:tank/z");
  EXPECT_EQ(get("org:note", "tank/z").first, "hello");

  r = ws_.fzfs({"destroy", "tank/b"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_EQ(r.err, "cannot destroy 'tank/b': filesystem has children\n"
                   "use '-r' to destroy the following datasets:\ntank/b/c\n");
  r = ws_.fzfs({"destroy", "tank"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_EQ(r.err.rfind("cannot destroy 'tank': operation does not apply to pools\n", 0), 0u) << r.err;
  r = ws_.fzfs({"destroy", "-r", "tank/b"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(fzfs_mount_source(ws_.altroot() + "/tank/b/c"), "");
  EXPECT_EQ(names("tank"), (std::vector<std::string>{"tank", "tank/z"}));

  // Everything survives an export and import.
  ASSERT_TRUE(ws_.export_pool("tank").ok());
  r = ws_.import_readwrite("tank");
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(names("tank"), (std::vector<std::string>{"tank", "tank/z"}));
  EXPECT_EQ(get("org:note", "tank/z").first, "hello");
  EXPECT_EQ(get("compression", "tank").first, "gzip");
  EXPECT_EQ(fzfs_mount_source(ws_.altroot() + "/elsewhere"), "fzfs:tank/z");
}

TEST_F(CliWriteTest, ReadonlyRemountsReadOnly) {
  ASSERT_NO_FATAL_FAILURE(create_mirror());
  ASSERT_TRUE(ws_.fzfs({"create", "tank/ro"}).ok());
  const std::string mp = ws_.altroot() + "/tank/ro";
  std::ofstream(mp + "/before") << "written";
  auto r = ws_.fzfs({"set", "readonly=on", "tank/ro"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(fzfs_mount_source(mp), "fzfs:tank/ro");
  std::ofstream after(mp + "/after");
  EXPECT_FALSE(after.is_open()) << "a write succeeded on a readonly=on file system";
  std::ifstream before(mp + "/before");
  std::string text;
  std::getline(before, text);
  EXPECT_EQ(text, "written");
}

TEST_F(CliWriteTest, PoolPropertiesSetAndGet) {
  ASSERT_NO_FATAL_FAILURE(create_mirror({"-o", "version=23"}));
  auto r = ws_.fzpool({"get", "-H", "-o", "value", "version", "tank"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "23\n");
  r = ws_.fzpool({"set", "autoexpand=on", "tank"});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = ws_.fzpool({"get", "-H", "-o", "value,source", "autoexpand", "tank"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "on\tlocal\n");
}

// SIGTERM to the daemon commits and exports: what was written is there on import.
TEST_F(CliWriteTest, SigtermExportsCleanly) {
  ASSERT_NO_FATAL_FAILURE(create_mirror());
  const std::string root = ws_.altroot() + "/tank";
  std::ofstream(root + "/file") << "payload";
  pid_t pid = 0;
  std::ifstream(ws_.rundir() + "/tank.pid") >> pid;
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  for (int i = 0; i < 600 && kill(pid, 0) == 0; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_NE(kill(pid, 0), 0) << "daemon did not exit after SIGTERM";
  EXPECT_EQ(fzfs_mount_source(root), "");

  // Exported, not merely abandoned: it is listed as importable and imports again.
  auto r = ws_.fzpool({"import", "-d", ws_.devices()});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find("   pool: tank\n"), std::string::npos) << r.out;
  r = ws_.import_readwrite("tank");
  ASSERT_TRUE(r.ok()) << r.describe();
  std::ifstream in(root + "/file");
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "payload");
}

// What the commands made, zfs-fuse (the oracle) sees: datasets, renamed names, local and
// inherited properties, user properties; and its scrub finds nothing wrong.
TEST_F(CliWriteTest, ZfsFuseSeesWhatTheCommandsMade) {
  if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
  ASSERT_NO_FATAL_FAILURE(create_mirror({"-o", "version=23"}));
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"create", "-o", "compression=gzip", "tank/a"},
        {"create", "-p", "tank/b/c"},
        {"set", "org:note=hi", "atime=off", "tank/a"},
        {"rename", "tank/b/c", "tank/b/d"}}) {
    auto r = ws_.fzfs(cmd);
    ASSERT_TRUE(r.ok()) << r.describe();
  }
  std::ofstream(ws_.altroot() + "/tank/a/file") << "data";
  ASSERT_TRUE(ws_.export_pool("tank").ok());

  ZfsFuse zf(ws_.dir() + "/scratch");
  ASSERT_EQ(zf.start(), "");
  auto r = zf.zpool({"import", "-d", ws_.devices(), "-R", ws_.dir() + "/zroot", "tank"});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = zf.zfs({"list", "-H", "-r", "-o", "name,compression,atime,org:note", "tank"});
  EXPECT_EQ(r.out, "tank\toff\ton\t-\n"
                   "tank/a\tgzip\toff\thi\n"
                   "tank/b\toff\ton\t-\n"
                   "tank/b/d\toff\ton\t-\n") << r.describe();
  r = zf.scrub_and_wait("tank");
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(zf.zpool({"export", "tank"}).ok());
}

}  // namespace
}  // namespace fzfs::test
