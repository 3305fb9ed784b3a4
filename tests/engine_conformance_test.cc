// The engine read path over the conformance corpus, without FUSE: every pool imports,
// lists exactly the manifest's datasets, and every file system and snapshot, walked
// through the Filesystem interface, matches the manifest byte for byte. Runs fast and
// under ASan/UBSan, so it guards the parsers on real pools written by others.
#include <gtest/gtest.h>

#include "engine/pool/pool.h"
#include "tests/corpus.h"
#include "tests/manifest.h"
#include "tests/pool_fixture.h"
#include "tests/pool_walk.h"
#include "tests/tree.h"

namespace fzfs::test {
namespace {

class EngineConformance : public ::testing::TestWithParam<PoolCase> {};

TEST_P(EngineConformance, DatasetsAndFilesMatchManifest) {
  const PoolCase& c = GetParam();
  PoolWorkspace ws;
  for (const auto& s : c.sources) ws.unpack(s);
  PoolManifest m = load_manifest(c.manifest);

  ImportOptions opts;
  opts.search_dirs = {ws.devices()};
  opts.pool = c.pool;
  auto pool = Pool::import(opts);
  ASSERT_TRUE(pool.ok()) << pool.error().message();
  // The state the writer reported ("state: ONLINE", "state: DEGRADED").
  if (auto at = m.status.find("state: "); at != std::string::npos) {
    std::string state = m.status.substr(at + 7, m.status.find('\n', at) - at - 7);
    EXPECT_EQ((*pool)->health(), state);
  }

  auto ds = (*pool)->datasets();
  ASSERT_TRUE(ds.ok()) << ds.error().message();
  std::vector<std::string> names, want;
  for (const auto& d : *ds) names.push_back(d.name);
  for (const auto& d : m.datasets) want.push_back(d.name);
  EXPECT_EQ(names, want);

  WalkReport r = walk_pool(**pool);
  EXPECT_TRUE(r.errors.empty()) << join_lines(r.errors);
  auto diff = manifest_differences(m, r);
  EXPECT_TRUE(diff.empty()) << join_lines(diff);
}

INSTANTIATE_TEST_SUITE_P(Corpus, EngineConformance, ::testing::ValuesIn(all_pools()), pool_case_name);

}  // namespace
}  // namespace fzfs::test

namespace fzfs::test {
namespace {

// Reads a whole file through the Filesystem interface.
std::vector<uint8_t> read_all(Filesystem& f, uint64_t ino) {
  auto a = f.getattr(ino);
  EXPECT_TRUE(a.ok());
  if (!a.ok()) return {};
  std::vector<uint8_t> data(a->size);
  for (uint64_t off = 0; off < data.size();) {
    auto n = f.read(ino, off, std::span(data).subspan(off));
    EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().message());
    if (!n.ok() || *n == 0) return {};
    off += *n;
  }
  return data;
}

uint64_t elf_u(const std::vector<uint8_t>& b, size_t off, size_t width, bool little) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; i++) v |= uint64_t(b[off + i]) << (8 * (little ? i : width - 1 - i));
  return v;
}

// testpool_zstd (pool version 5000) holds a zstd-compressed dataset written on x86_64
// (little-endian) and one written on ppc64 FreeBSD (big-endian): each holds the `zstd`
// program built for its own platform, so the two files differ; what must hold is that
// every block decompresses and verifies, and that each program is a whole ELF image
// of its platform (its section table ends exactly at the end of the file).
TEST(EngineZstdPool, BothByteOrdersReadWhole) {
  PoolWorkspace ws;
  ws.unpack_tar_member(conformance_dir() + "/openzfs/compression/testpool_zstd.tar.gz", "testpool_zstd");
  ImportOptions opts;
  opts.search_dirs = {ws.devices()};
  opts.pool = "testpool_zstd";
  auto pool = Pool::import(opts);
  ASSERT_TRUE(pool.ok()) << pool.error().message();
  struct Want {
    const char* dataset;
    bool little;
    uint64_t machine;  // ELF e_machine
  };
  for (Want w : {Want{"testpool_zstd/x86_64", true, 62}, Want{"testpool_zstd/ppc64_fbsd", false, 21}}) {
    SCOPED_TRACE(w.dataset);
    auto f = (*pool)->open_filesystem(w.dataset);
    ASSERT_TRUE(f.ok()) << f.error().message();
    auto ino = (*f)->lookup((*f)->root_object(), "zstd");
    ASSERT_TRUE(ino.ok()) << ino.error().message();
    std::vector<uint8_t> b = read_all(**f, *ino);
    ASSERT_GT(b.size(), 64u);
    EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "\x7f" "ELF");
    EXPECT_EQ(b[5], w.little ? 1 : 2);  // EI_DATA
    EXPECT_EQ(elf_u(b, 0x12, 2, w.little), w.machine);
    uint64_t shoff = elf_u(b, 0x28, 8, w.little);
    uint64_t shentsize = elf_u(b, 0x3a, 2, w.little), shnum = elf_u(b, 0x3c, 2, w.little);
    EXPECT_EQ(shoff + shentsize * shnum, b.size());
  }
}

TEST(EngineRefusal, UnsupportedVersionIsNamed) {
  PoolWorkspace ws;
  ws.unpack(conformance_dir() + "/openzfs/cli_root/zpool_upgrade/blockfiles/zfs-pool-v999.dat.bz2");
  ImportOptions opts;
  opts.search_dirs = {ws.devices()};
  opts.pool = "v999-pool";
  auto pool = Pool::import(opts);
  ASSERT_FALSE(pool.ok());
  EXPECT_NE(pool.error().message().find("999"), std::string::npos) << pool.error().message();
}

TEST(EngineRefusal, EncryptionFeatureIsNamed) {
  PoolWorkspace ws;
  ws.unpack(conformance_dir() + "/openzfs/cli_root/zpool_import/blockfiles/cryptv0.dat.bz2");
  ImportOptions opts;
  opts.search_dirs = {ws.devices()};
  opts.pool = "cryptv0";
  auto pool = Pool::import(opts);
  ASSERT_FALSE(pool.ok());
  EXPECT_NE(pool.error().message().find("com.datto:encryption"), std::string::npos) << pool.error().message();
}

}  // namespace
}  // namespace fzfs::test
