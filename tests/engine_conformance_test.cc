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

struct Case {
  std::string pool;
  std::vector<std::string> sources;  // device files (compressed)
  std::string manifest;
};

std::vector<Case> corpus() {
  std::vector<Case> out;
  const std::string base = conformance_dir();
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(base + "/zfs-fuse", ec)) {
    Case c;
    c.pool = d.path().filename();
    for (const auto& f : fs::directory_iterator(d.path())) {
      std::string n = f.path().filename();
      if (n.size() == 5 && n.substr(1) == ".zst") c.sources.push_back(f.path());
    }
    std::sort(c.sources.begin(), c.sources.end());
    c.manifest = d.path() / "manifest.json.zst";
    out.push_back(c);
  }
  std::sort(out.begin(), out.end(), [](const Case& a, const Case& b) { return a.pool < b.pool; });
  return out;
}

class EngineConformance : public ::testing::TestWithParam<Case> {};

TEST_P(EngineConformance, DatasetsAndFilesMatchManifest) {
  const Case& c = GetParam();
  PoolWorkspace ws;
  for (const auto& s : c.sources) ws.unpack(s);
  PoolManifest m = load_manifest(c.manifest);

  ImportOptions opts;
  opts.search_dirs = {ws.devices()};
  opts.pool = c.pool;
  auto pool = Pool::import(opts);
  ASSERT_TRUE(pool.ok()) << pool.error().message();
  EXPECT_EQ((*pool)->health(), "ONLINE");

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

INSTANTIATE_TEST_SUITE_P(ZfsFuse, EngineConformance, ::testing::ValuesIn(corpus()),
                         [](const auto& info) {
                           std::string n = info.param.pool;
                           for (char& ch : n) if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace fzfs::test
