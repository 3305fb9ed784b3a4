// Integration tests: real pools written by other ZFS implementations (the conformance
// corpus) imported read-only through the fzpool/fzfs binaries and compared, dataset by
// dataset and file by file, with what the writing implementation reported.
//
// The corpus is data: a new pool with a manifest in the corpus becomes a new test case
// without code. Every case runs in its own PoolWorkspace and exports at teardown.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <set>
#include <sstream>

#include "tests/corpus.h"
#include "tests/damage.h"
#include "tests/manifest.h"
#include "tests/pool_fixture.h"
#include "tests/tree.h"

namespace fzfs::test {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------
// Checks shared by the cases.

void expect_dataset_names(PoolWorkspace& ws, const PoolManifest& m) {
  CommandResult r = ws.fzfs({"list", "-H", "-t", "all", "-o", "name"}, std::chrono::seconds(60));
  ASSERT_TRUE(r.ok()) << r.describe();
  std::vector<std::string> want;
  for (const auto& d : m.datasets) want.push_back(d.name);
  std::vector<std::string> got = lines_of(r.out);
  std::vector<std::string> want_sorted = want, got_sorted = got;
  std::sort(want_sorted.begin(), want_sorted.end());
  std::sort(got_sorted.begin(), got_sorted.end());
  ASSERT_EQ(want_sorted, got_sorted) << "fzfs list -H -t all -o name differs from the manifest";
  EXPECT_EQ(want, got) << "same datasets, but not in the order the writer's zfs list gave";
}

// `fzpool status` reports the state the writer reported ("state: ONLINE", ...).
void expect_pool_state(PoolWorkspace& ws, const PoolManifest& m) {
  auto at = m.status.find("state: ");
  if (at == std::string::npos) return;
  std::string state = m.status.substr(at, m.status.find('\n', at) - at);
  CommandResult st = ws.fzpool({"status", m.pool});
  ASSERT_TRUE(st.ok()) << st.describe();
  EXPECT_NE(st.out.find(state), std::string::npos) << "expected \"" << state << "\" in:\n" << st.out;
}

// Where fzfs mounted each filesystem (absolute paths), as `fzfs list` reports it: the
// mountpoint property with the altroot in front. Datasets not mounted are absent.
using MountTable = std::map<std::string, std::string>;

MountTable mount_table(PoolWorkspace& ws) {
  MountTable table;
  CommandResult r = ws.fzfs({"list", "-H", "-t", "filesystem", "-o", "name,mountpoint"});
  EXPECT_TRUE(r.ok()) << r.describe();
  for (const auto& line : lines_of(r.out)) {
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    std::string name = line.substr(0, tab), mp = line.substr(tab + 1);
    if (mp.empty() || mp[0] != '/') continue;  // none, legacy, -
    if (mp.rfind(ws.altroot(), 0) != 0) mp = ws.mounted_at(mp);
    table[name] = mp;
  }
  return table;
}

// Directories inside MOUNT where other datasets are mounted (relative paths).
std::set<std::string> child_mountpoints(const MountTable& mounts, const std::string& mount) {
  std::set<std::string> out;
  for (const auto& [name, other] : mounts) {
    if (other.size() > mount.size() + 1 && other.compare(0, mount.size() + 1, mount + "/") == 0) {
      out.insert(other.substr(mount.size() + 1));
    }
  }
  return out;
}

void expect_trees(PoolWorkspace& ws, const PoolManifest& m) {
  MountTable mounts = mount_table(ws);
  size_t checked = 0;
  for (const auto& d : m.datasets) {
    if (!d.files) continue;
    SCOPED_TRACE("dataset " + d.name);
    std::string fs_name = d.name.substr(0, d.name.find('@'));
    auto mount = mounts.find(fs_name);
    if (mount == mounts.end()) {
      bool expected_mounted = d.prop("mountpoint").rfind('/', 0) == 0 || d.is_snapshot();
      EXPECT_FALSE(expected_mounted) << fs_name << " is not mounted";
      continue;
    }
    ScanOptions opts;
    std::string root = mount->second;
    if (d.is_snapshot()) {
      root += "/.zfs/snapshot/" + d.name.substr(d.name.find('@') + 1);
    } else {
      opts.mountpoints = child_mountpoints(mounts, root);
    }
    ScanResult seen = scan_tree(root, opts);
    EXPECT_TRUE(seen.errors.empty()) << "walking " << root << ":\n" << join_lines(seen.errors);
    auto diff = compare_trees(*d.files, seen.tree);
    EXPECT_TRUE(diff.empty()) << root << ":\n" << join_lines(diff);
    ++checked;
  }
  ::testing::Test::RecordProperty("trees_checked", static_cast<int>(checked));
}

// The READ WRITE CKSUM counters of the status line naming DEVICE ("A" or ".../A").
std::optional<std::vector<std::string>> device_counters(const std::string& status,
                                                        const std::string& device) {
  for (const auto& line : lines_of(status)) {
    std::istringstream in(line);
    std::vector<std::string> w;
    std::string s;
    while (in >> s) w.push_back(s);
    if (w.size() < 5) continue;
    const std::string& name = w[0];
    bool match = name == device ||
                 (name.size() > device.size() && name.compare(name.size() - device.size() - 1, std::string::npos, "/" + device) == 0);
    if (match) return std::vector<std::string>{w[2], w[3], w[4]};
  }
  return std::nullopt;
}

std::string device_name(const std::string& source) {
  std::string base = fs::path(source).filename().string();
  return base.substr(0, base.rfind('.'));  // drop .zst / .bz2
}

// ---------------------------------------------------------------------------------
// Fixtures.

template <typename Base>
class WorkspaceTest : public Base {
 protected:
  void SetUp() override {
    ASSERT_FALSE(conformance_dir().empty()) << "set FZFS_CONFORMANCE_DIR to the corpus";
    ASSERT_EQ(missing_tools(), "");
    ws_ = std::make_unique<PoolWorkspace>();
  }
  void TearDown() override { ws_.reset(); }  // exports whatever was imported
  PoolWorkspace& ws() { return *ws_; }

  PoolManifest unpack_case(const PoolCase& c, size_t skip_index = SIZE_MAX) {
    for (size_t i = 0; i < c.sources.size(); ++i) {
      if (i != skip_index) ws().unpack(c.sources[i]);
    }
    return load_manifest(c.manifest);
  }

 private:
  std::unique_ptr<PoolWorkspace> ws_;
};

class CorpusPoolTest : public WorkspaceTest<::testing::TestWithParam<PoolCase>> {};
class DegradedPoolTest : public WorkspaceTest<::testing::TestWithParam<PoolCase>> {};
class GarbagePoolTest : public WorkspaceTest<::testing::TestWithParam<PoolCase>> {};
class ZstdPoolTest : public WorkspaceTest<::testing::Test> {};

// (a) Import read-only; same datasets; every file of every filesystem and snapshot.
TEST_P(CorpusPoolTest, ImportListAndReadEverything) {
  const PoolCase& c = GetParam();
  PoolManifest m = unpack_case(c);
  CommandResult imp = ws().import_readonly(c.pool);
  ASSERT_TRUE(imp.ok()) << imp.describe();
  expect_pool_state(ws(), m);
  expect_dataset_names(ws(), m);
  expect_trees(ws(), m);
}

// (b) One device of a mirror/raidz missing: DEGRADED, and still every byte.
TEST_P(DegradedPoolTest, OneDeviceMissing) {
  const PoolCase& c = GetParam();
  PoolManifest m = unpack_case(c, /*skip_index=*/0);
  CommandResult imp = ws().import_readonly(c.pool);
  ASSERT_TRUE(imp.ok()) << "without " << device_name(c.sources[0]) << ": " << imp.describe();
  CommandResult st = ws().fzpool({"status", c.pool});
  ASSERT_TRUE(st.ok()) << st.describe();
  EXPECT_NE(st.out.find("DEGRADED"), std::string::npos) << st.out;
  expect_dataset_names(ws(), m);
  expect_trees(ws(), m);
}

// (c) Random garbage over 1% of one device's data blocks: every byte still right
// (self-healing reads from the other copies), and the damage shows as CKSUM errors.
TEST_P(GarbagePoolTest, GarbageOnOneDevice) {
  const PoolCase& c = GetParam();
  PoolManifest m = unpack_case(c);
  std::string victim = device_name(c.sources[0]);
  size_t hit = garble_data_blocks(ws().devices() + "/" + victim, 0.01, /*seed=*/20261125);
  ASSERT_GT(hit, 0u) << victim << " holds no data blocks to damage";
  RecordProperty("blocks_garbled", static_cast<int>(hit));
  CommandResult imp = ws().import_readonly(c.pool);
  ASSERT_TRUE(imp.ok()) << imp.describe();
  expect_trees(ws(), m);
  CommandResult st = ws().fzpool({"status", c.pool});
  ASSERT_TRUE(st.ok()) << st.describe();
  auto counters = device_counters(st.out, victim);
  ASSERT_TRUE(counters.has_value()) << "no status line for device " << victim << ":\n" << st.out;
  EXPECT_NE((*counters)[2], "0") << hit << " garbled blocks on " << victim
                                 << " but no CKSUM errors counted:\n" << st.out;
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusPoolTest, ::testing::ValuesIn(all_pools()), pool_case_name);
INSTANTIATE_TEST_SUITE_P(Corpus, DegradedPoolTest, ::testing::ValuesIn(redundant_pools()), pool_case_name);
INSTANTIATE_TEST_SUITE_P(Corpus, GarbagePoolTest, ::testing::ValuesIn(redundant_pools()), pool_case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CorpusPoolTest);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DegradedPoolTest);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GarbagePoolTest);

// ---------------------------------------------------------------------------------
// (d) zstd written on little- and big-endian machines, and a version from the future.

// The two files are the `zstd` executables of the two machines (an x86-64 Linux ELF
// and a big-endian ppc64 FreeBSD ELF), so they differ; what proves the decompression
// is that each reads to the end without error and is a well-formed ELF of its machine:
// the section header table, stored last, ends exactly at the end of the file and every
// section's name in the string table starts with '.'.
std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in.good() && !in.eof()) throw std::runtime_error("read " + path + " failed");
  return s.str();
}

uint64_t elf_word(const std::string& d, size_t off, size_t len, bool big_endian) {
  uint64_t v = 0;
  for (size_t i = 0; i < len; ++i) {
    uint8_t byte = static_cast<uint8_t>(d.at(off + (big_endian ? i : len - 1 - i)));
    v = (v << 8) | byte;
  }
  return v;
}

void expect_elf64(const std::string& path, uint64_t machine, bool big_endian) {
  SCOPED_TRACE(path);
  std::string d;
  ASSERT_NO_THROW(d = read_whole(path));
  ASSERT_GE(d.size(), 64u);
  ASSERT_EQ(d.substr(0, 4), "\x7f" "ELF");
  EXPECT_EQ(d[5], big_endian ? 2 : 1) << "ELF data encoding";
  EXPECT_EQ(elf_word(d, 0x12, 2, big_endian), machine) << "e_machine";
  uint64_t shoff = elf_word(d, 0x28, 8, big_endian);
  uint64_t shentsize = elf_word(d, 0x3a, 2, big_endian), shnum = elf_word(d, 0x3c, 2, big_endian);
  uint64_t shstrndx = elf_word(d, 0x3e, 2, big_endian);
  ASSERT_EQ(shoff + shentsize * shnum, d.size()) << "section headers should end the file";
  ASSERT_LT(shstrndx, shnum);
  uint64_t strtab = elf_word(d, shoff + shstrndx * shentsize + 0x18, 8, big_endian);
  for (uint64_t i = 1; i < shnum; ++i) {
    uint64_t name = elf_word(d, shoff + i * shentsize, 4, big_endian);
    ASSERT_LT(strtab + name, d.size());
    EXPECT_EQ(d[strtab + name], '.') << "section " << i << " name";
  }
}

TEST_F(ZstdPoolTest, LittleAndBigEndianWritesRead) {
  std::string archive = conformance_dir() + "/openzfs/compression/testpool_zstd.tar.gz";
  ws().unpack_tar_member(archive, "testpool_zstd");
  CommandResult imp = ws().import_readonly("testpool_zstd");
  ASSERT_TRUE(imp.ok()) << imp.describe();
  MountTable mounts = mount_table(ws());
  ASSERT_EQ(mounts.count("testpool_zstd"), 1u) << "testpool_zstd is not mounted";
  std::string root = mounts["testpool_zstd"];
  for (const char* path : {"/x86_64/zstd", "/ppc64_fbsd/zstd"}) {  // every byte reads
    struct stat st;
    ASSERT_EQ(lstat((root + path).c_str(), &st), 0) << root << path << ": " << strerror(errno);
    if (S_ISREG(st.st_mode)) {
      EXPECT_NO_THROW(sha256_file(root + path)) << root << path;
    } else {
      ScanResult r = scan_tree(root + path, {});
      EXPECT_TRUE(r.errors.empty()) << join_lines(r.errors);
    }
  }
  expect_elf64(root + "/x86_64/zstd", /*EM_X86_64=*/62, /*big_endian=*/false);
  expect_elf64(root + "/ppc64_fbsd/zstd", /*EM_PPC64=*/21, /*big_endian=*/true);
}

TEST_F(ZstdPoolTest, Version999IsRefused) {
  ws().unpack(conformance_dir() + "/openzfs/cli_root/zpool_upgrade/blockfiles/zfs-pool-v999.dat.bz2");
  CommandResult imp = ws().import_readonly("v999-pool");
  EXPECT_TRUE(imp.exited && imp.exit_code == 1) << imp.describe();
  EXPECT_NE(imp.err.find("999"), std::string::npos) << "the refusal should name the version:\n"
                                                    << imp.describe();
}

// ---------------------------------------------------------------------------------
// (e) Hostile devices: import must fail with one clear line, promptly, never crash.

struct BadInput {
  std::string id;
  std::function<void(const std::string& device)> damage;
};
void PrintTo(const BadInput& b, std::ostream* os) { *os << b.id; }

std::vector<BadInput> bad_inputs() {
  return {
      {"truncated_to_1MiB", [](const std::string& d) { truncate_to(d, 1 << 20); }},
      {"truncated_inside_first_label", [](const std::string& d) { truncate_to(d, 100 * 1024); }},
      {"empty_device", [](const std::string& d) { truncate_to(d, 0); }},
      {"zeroed_labels", [](const std::string& d) { overwrite_labels(d, LabelPart::kWhole, Fill::kZeros, 1); }},
      {"garbled_uberblocks", [](const std::string& d) { overwrite_labels(d, LabelPart::kUberblocks, Fill::kRandom, 2); }},
      {"garbled_label_nvlists", [](const std::string& d) { overwrite_labels(d, LabelPart::kNvlist, Fill::kRandom, 3); }},
      {"random_bytes_everywhere", [](const std::string& d) { fill_random(d, 4); }},
  };
}

class BadInputTest : public WorkspaceTest<::testing::TestWithParam<BadInput>> {};

constexpr auto kRefusalLimit = std::chrono::seconds(60);

TEST_P(BadInputTest, ImportFailsCleanly) {
  // A small healthy single-device pool, damaged.
  std::string device = ws().unpack(conformance_dir() + "/openzfs/cli_root/zpool_upgrade/blockfiles/zfs-pool-v15.dat.bz2");
  GetParam().damage(device);

  CommandResult scan = ws().fzpool({"import", "-d", ws().devices()}, kRefusalLimit);
  EXPECT_TRUE(scan.exited && (scan.exit_code == 0 || scan.exit_code == 1))
      << "listing importable pools must not crash:\n" << scan.describe();

  CommandResult imp = ws().import_readonly("v15-pool", kRefusalLimit);
  ASSERT_FALSE(imp.timed_out) << imp.describe();
  ASSERT_TRUE(imp.exited) << "crashed: " << imp.describe();
  EXPECT_EQ(imp.exit_code, 1) << imp.describe();
  EXPECT_EQ(imp.err.rfind("cannot import 'v15-pool': ", 0), 0u)
      << "expected one line \"cannot import 'v15-pool': REASON\":\n" << imp.describe();
  EXPECT_EQ(std::count(imp.err.begin(), imp.err.end(), '\n'), 1) << imp.describe();
}

INSTANTIATE_TEST_SUITE_P(Hostile, BadInputTest, ::testing::ValuesIn(bad_inputs()),
                         [](const ::testing::TestParamInfo<BadInput>& i) { return i.param.id; });

}  // namespace
}  // namespace fzfs::test
