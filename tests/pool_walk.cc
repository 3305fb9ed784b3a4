#include "tests/pool_walk.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <span>

#include "tests/tree.h"

namespace fzfs::test {

void WalkReport::fail(const std::string& what, const Error& e) {
  if (e.message().empty()) empty_messages++;
  if (errors.size() < 50) errors.push_back(what + ": " + e.message());
}

namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kReadCap = 64 * kMiB;  // a corrupt size may claim exabytes

std::string hex(const unsigned char* d, size_t n) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; i++) s += k[d[i] >> 4], s += k[d[i] & 15];
  return s;
}


// Walks one file system through every Filesystem call, the way the manifests were made
// (lstat-like attributes, sha256 of contents, symlink targets). Bounded so corrupt
// metadata cannot make the walk itself endless: each directory is entered once, depth
// and entry counts are capped, and at most kReadCap bytes of a file are read.
class FsWalker {
 public:
  FsWalker(Filesystem& fsys, WalkReport& report, FileTree& tree, std::set<std::string> skip)
      : fs_(fsys), report_(report), tree_(tree), skip_(std::move(skip)) {}

  void run() {
    report_.calls++;
    if (auto st = fs_.statfs(); !st.ok()) report_.fail("statfs " + fs_.dataset_name(), st.error());
    walk(fs_.root_object(), "", 0);
  }

 private:
  void walk(uint64_t dir, const std::string& rel, int depth) {
    if (depth > 64 || !entered_.insert(dir).second) return;
    std::vector<DirEntry> entries;
    report_.calls++;
    Status s = fs_.readdir(dir, 0, [&](const DirEntry& e) {
      entries.push_back(e);
      return entries.size() < 100000;
    });
    if (!s.ok()) return report_.fail("readdir /" + rel, s.error());
    size_t looked_up = 0;
    for (const DirEntry& e : entries) {
      if (e.name == "." || e.name == "..") continue;
      std::string path = rel.empty() ? e.name : rel + "/" + e.name;
      if (skip_.count(path)) continue;
      // Name lookups re-read the directory's ZAP each time: a few per directory
      // exercise that path without making a 2500-entry directory quadratic.
      if (looked_up++ < 4) {
        report_.calls++;
        if (auto l = fs_.lookup(dir, e.name); !l.ok()) report_.fail("lookup " + path, l.error());
      }
      visit(e, path, depth);
    }
  }

  void visit(const DirEntry& e, const std::string& path, int depth) {
    report_.calls += 2;
    xattrs(e.ino, path);
    auto a = fs_.getattr(e.ino);
    if (!a.ok()) return report_.fail("getattr " + path, a.error());
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
      report_.calls++;
      auto t = fs_.readlink(e.ino);
      if (t.ok()) fe.target = *t;
      else report_.fail("readlink " + path, t.error());
    }
    tree_[path] = fe;
    if (S_ISDIR(a->mode)) walk(e.ino, path, depth + 1);
  }

  void xattrs(uint64_t ino, const std::string& path) {
    auto names = fs_.listxattr(ino);
    if (!names.ok()) return report_.fail("listxattr " + path, names.error());
    for (const std::string& n : *names) {
      report_.calls++;
      if (auto v = fs_.getxattr(ino, n); !v.ok()) report_.fail("getxattr " + path + " " + n, v.error());
    }
  }

  std::string hash(uint64_t ino, uint64_t size, const std::string& path) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
    const uint64_t end = std::min(size, kReadCap);
    for (uint64_t off = 0; off < end;) {
      report_.calls++;
      auto n = fs_.read(ino, off, std::span(buf_).first(std::min<uint64_t>(buf_.size(), end - off)));
      if (!n.ok()) {
        report_.fail("read " + path, n.error());
        break;
      }
      if (*n == 0) {
        report_.fail("read " + path, Error(EIO, "short read at " + std::to_string(off)));
        break;
      }
      EVP_DigestUpdate(ctx, buf_.data(), *n);
      off += *n;
    }
    unsigned char md[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    return hex(md, len);
  }

  Filesystem& fs_;
  WalkReport& report_;
  FileTree& tree_;
  std::set<std::string> skip_;
  std::set<uint64_t> entered_;
  std::vector<uint8_t> buf_ = std::vector<uint8_t>(kMiB);
};

}  // namespace

void walk_filesystem(Filesystem& fsys, WalkReport& report, FileTree& tree, std::set<std::string> skip) {
  FsWalker(fsys, report, tree, std::move(skip)).run();
}

WalkReport walk_pool(Pool& pool) {
  WalkReport r;
  r.calls += 3;
  (void)pool.properties();
  (void)pool.status();
  auto ds = pool.datasets();
  if (!ds.ok()) {
    r.fail("datasets", ds.error());
    return r;
  }
  for (const DatasetInfo& d : *ds) {
    if (d.type != DatasetType::kFilesystem && d.type != DatasetType::kSnapshot) continue;
    std::set<std::string> skip;
    if (d.type == DatasetType::kFilesystem) {
      for (const DatasetInfo& c : *ds) {
        if (c.type == DatasetType::kSnapshot || c.name.rfind(d.name + "/", 0) != 0) continue;
        std::string rel = c.name.substr(d.name.size() + 1);
        if (rel.find('/') == std::string::npos) skip.insert(rel);
      }
    }
    r.calls++;
    auto f = pool.open_filesystem(d.name);
    if (!f.ok()) {
      r.fail("open " + d.name, f.error());
      continue;
    }
    walk_filesystem(**f, r, r.trees[d.name], std::move(skip));
  }
  return r;
}

std::vector<std::string> manifest_differences(const PoolManifest& m, const WalkReport& r) {
  std::vector<std::string> out;
  for (const DatasetManifest& dm : m.datasets) {
    if (!dm.files) continue;
    auto it = r.trees.find(dm.name);
    if (it == r.trees.end()) {
      out.push_back(dm.name + ": not walked");
      continue;
    }
    for (const std::string& d : compare_trees(*dm.files, it->second, 10)) out.push_back(dm.name + ": " + d);
  }
  return out;
}


}  // namespace fzfs::test
