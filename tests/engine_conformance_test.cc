// The engine read path over the conformance corpus, without FUSE: every pool imports,
// lists exactly the manifest's datasets, and every file system and snapshot, walked
// through the Filesystem interface, matches the manifest byte for byte. Runs fast and
// under ASan/UBSan, so it guards the parsers on real pools written by others.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "engine/pool/pool.h"
#include "tests/corpus.h"
#include "tests/manifest.h"
#include "tests/pool_fixture.h"
#include "tests/tree.h"

namespace fzfs::test {
namespace {

namespace fs = std::filesystem;

std::string hex(const unsigned char* d, size_t n) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; i++) s += k[d[i] >> 4], s += k[d[i] & 15];
  return s;
}

// Walks a Filesystem the way the manifest was made: lstat-like attributes of every entry
// below the root, sha256 of regular files, targets of symlinks.
struct Walker {
  Filesystem& fsys;
  FileTree tree;
  std::vector<std::string> errors;
  std::set<std::string> skip_dirs;  // child mountpoints: left out, as the manifests do

  void walk(uint64_t dir, const std::string& rel, int depth) {
    if (depth > 64) return;
    std::vector<DirEntry> entries;
    Status s = fsys.readdir(dir, 0, [&](const DirEntry& e) {
      entries.push_back(e);
      return true;
    });
    if (!s.ok()) {
      errors.push_back("readdir " + rel + ": " + s.error().message());
      return;
    }
    for (const DirEntry& e : entries) {
      if (e.name == "." || e.name == "..") continue;
      std::string path = rel.empty() ? e.name : rel + "/" + e.name;
      if (skip_dirs.count(path)) continue;
      auto a = fsys.getattr(e.ino);
      if (!a.ok()) {
        errors.push_back("getattr " + path + ": " + a.error().message());
        continue;
      }
      FileEntry fe;
      fe.mode = a->mode;
      fe.uid = a->uid;
      fe.gid = a->gid;
      fe.nlink = a->nlink;
      fe.mtime = a->mtime.sec;
      if (S_ISREG(a->mode)) {
        fe.size = a->size;
        fe.sha256 = hash(e.ino, a->size, path);
      } else if (S_ISLNK(a->mode)) {
        auto t = fsys.readlink(e.ino);
        if (t.ok()) fe.target = *t;
        else errors.push_back("readlink " + path + ": " + t.error().message());
      }
      tree[path] = fe;
      if (S_ISDIR(a->mode)) walk(e.ino, path, depth + 1);
    }
  }

  std::string hash(uint64_t ino, uint64_t size, const std::string& path) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
    std::vector<uint8_t> buf(1 << 20);
    for (uint64_t off = 0; off < size;) {
      auto n = fsys.read(ino, off, buf);
      if (!n.ok() || *n == 0) {
        errors.push_back("read " + path + ": " + (n.ok() ? std::string("short read") : n.error().message()));
        break;
      }
      EVP_DigestUpdate(ctx, buf.data(), *n);
      off += *n;
    }
    unsigned char md[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    return hex(md, len);
  }
};

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

  for (const DatasetManifest& dm : m.datasets) {
    if (!dm.files) continue;
    SCOPED_TRACE(dm.name);
    auto f = (*pool)->open_filesystem(dm.name);
    ASSERT_TRUE(f.ok()) << f.error().message();
    Walker w{**f, {}, {}, {}};
    if (!dm.is_snapshot()) {
      // Children's mountpoints are left out of a live dataset's listing.
      for (const auto& other : m.datasets) {
        if (other.is_snapshot() || other.name.rfind(dm.name + "/", 0) != 0) continue;
        std::string rel = other.name.substr(dm.name.size() + 1);
        if (rel.find('/') == std::string::npos) w.skip_dirs.insert(rel);
      }
    }
    w.walk((*f)->root_object(), "", 0);
    EXPECT_TRUE(w.errors.empty()) << join_lines(w.errors);
    auto diff = compare_trees(*dm.files, w.tree);
    EXPECT_TRUE(diff.empty()) << join_lines(diff);
  }
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
