#include "tests/oracle_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace fzfs::test {
namespace {

std::string errno_text(const char* what, const std::string& path) {
  return std::string(what) + " " + path + ": " + strerror(errno);
}

std::string octal(uint32_t v) {
  std::ostringstream s;
  s << "0" << std::oct << v;
  return s.str();
}

// SHA-256 of a file's bytes, streaming; throws on I/O errors.
std::string sha256_of_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(errno_text("open", path));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::string buf(1 << 20, '\0');
  while (true) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string why = errno_text("read", path);
      close(fd);
      throw std::runtime_error(why);
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
  }
  close(fd);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

class Walker {
 public:
  explicit Walker(std::string root) : root_(std::move(root)) {}
  ObserveResult run() {
    visit("");
    return std::move(result_);
  }

 private:
  void visit(const std::string& rel) {
    std::string path = rel.empty() ? root_ : root_ + "/" + rel;
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
      result_.errors.push_back(errno_text("lstat", path));
      return;
    }
    Observed o;
    o.mode = st.st_mode;
    o.uid = st.st_uid;
    o.gid = st.st_gid;
    o.nlink = st.st_nlink;
    o.size = static_cast<uint64_t>(st.st_size);
    o.rdev_major = major(st.st_rdev);
    o.rdev_minor = minor(st.st_rdev);
    o.mtime_ns = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    o.ctime_ns = st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
    if (S_ISLNK(st.st_mode)) {
      std::string buf(4096, '\0');
      ssize_t n = readlink(path.c_str(), buf.data(), buf.size());
      if (n < 0) result_.errors.push_back(errno_text("readlink", path));
      else o.target = buf.substr(0, static_cast<size_t>(n));
    } else if (S_ISREG(st.st_mode)) {
      try {
        o.sha256 = o.size <= kHashLimit ? sha256_of_file(path) : "unhashed";
      } catch (const std::exception& e) {
        result_.errors.push_back(e.what());
      }
    }
    result_.tree[rel] = o;
    if (S_ISDIR(st.st_mode)) visit_children(rel, path);
  }

  void visit_children(const std::string& rel, const std::string& path) {
    DIR* d = opendir(path.c_str());
    if (d == nullptr) {
      result_.errors.push_back(errno_text("opendir", path));
      return;
    }
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == ".." || (rel.empty() && name == ".zfs")) continue;
      names.push_back(name);
    }
    if (errno != 0) result_.errors.push_back(errno_text("readdir", path));
    closedir(d);
    for (const auto& n : names) visit(rel.empty() ? n : rel + "/" + n);
  }

  std::string root_;
  ObserveResult result_;
};

template <typename T>
void field(std::vector<std::string>& out, const std::string& path, const char* name, const T& want,
           const T& got) {
  if (want == got) return;
  std::ostringstream s;
  s << (path.empty() ? "." : path) << ": " << name << " expected " << want << ", got " << got;
  out.push_back(s.str());
}

// Paths only in one side; returns the common ones.
std::vector<std::string> key_diff(std::vector<std::string>& out, const std::vector<std::string>& want,
                                  const std::vector<std::string>& got) {
  std::vector<std::string> missing, extra, common;
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
  std::set_intersection(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(common));
  for (const auto& m : missing) out.push_back(m + ": missing");
  for (const auto& e : extra) out.push_back(e + ": unexpected");
  return common;
}

template <typename Map>
std::vector<std::string> keys(const Map& m) {
  std::vector<std::string> k;
  for (const auto& [key, v] : m) k.push_back(key);
  return k;
}

std::vector<std::string> limited(std::vector<std::string> diffs, size_t limit) {
  if (diffs.size() > limit) {
    size_t more = diffs.size() - limit;
    diffs.resize(limit);
    diffs.push_back("... and " + std::to_string(more) + " more differences");
  }
  return diffs;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::string pread_exact(int fd, uint64_t offset, size_t len, const std::string& path,
                        std::vector<std::string>& out) {
  std::string buf(len, '\0');
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(fd, buf.data() + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      out.push_back(path + ": read at " + std::to_string(offset + done) + ": " +
                    (n < 0 ? strerror(errno) : "unexpected end of file"));
      break;
    }
    done += static_cast<size_t>(n);
  }
  buf.resize(done);
  return buf;
}

}  // namespace

ObserveResult observe(const std::string& root) { return Walker(root).run(); }

std::vector<std::string> compare_model(const Model& want, const Observation& got, size_t limit) {
  std::vector<std::string> out;
  for (const auto& p : key_diff(out, keys(want), keys(got))) {
    const Expected& w = want.at(p);
    const Observed& g = got.at(p);
    field(out, p, "mode", octal(w.mode), octal(g.mode));
    field(out, p, "uid", w.uid, g.uid);
    field(out, p, "gid", w.gid, g.gid);
    if (w.nlink) field(out, p, "nlink", *w.nlink, g.nlink);
    if (w.mtime) field(out, p, "mtime", static_cast<int64_t>(*w.mtime * 1000000000LL), g.mtime_ns);
    if (S_ISREG(w.mode) || S_ISLNK(w.mode)) field(out, p, "size", w.size, g.size);
    if (S_ISREG(w.mode) && !w.sparse) field(out, p, "sha256", sha256_hex(w.content), g.sha256);
    if (S_ISLNK(w.mode)) field(out, p, "target", w.target, g.target);
    if (S_ISCHR(w.mode) || S_ISBLK(w.mode)) {
      field(out, p, "rdev major", w.rdev_major, g.rdev_major);
      field(out, p, "rdev minor", w.rdev_minor, g.rdev_minor);
    }
  }
  return limited(out, limit);
}

std::vector<std::string> compare_observations(const Observation& oracle, const Observation& got,
                                              size_t limit) {
  std::vector<std::string> out;
  for (const auto& p : key_diff(out, keys(oracle), keys(got))) {
    const Observed& w = oracle.at(p);
    const Observed& g = got.at(p);
    field(out, p, "mode", octal(w.mode), octal(g.mode));
    field(out, p, "uid", w.uid, g.uid);
    field(out, p, "gid", w.gid, g.gid);
    field(out, p, "nlink", w.nlink, g.nlink);
    field(out, p, "size", w.size, g.size);
    field(out, p, "rdev major", w.rdev_major, g.rdev_major);
    field(out, p, "rdev minor", w.rdev_minor, g.rdev_minor);
    // zfs-fuse reports whole seconds (its getattr drops the nanoseconds it stores).
    field(out, p, "mtime", w.mtime_ns / 1000000000, g.mtime_ns / 1000000000);
    field(out, p, "ctime", w.ctime_ns / 1000000000, g.ctime_ns / 1000000000);
    field(out, p, "target", w.target, g.target);
    field(out, p, "sha256", w.sha256, g.sha256);
  }
  return limited(out, limit);
}

std::vector<std::string> check_sparse(const std::string& path, const Expected& want) {
  std::vector<std::string> out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {errno_text("open", path)};
  constexpr uint64_t kProbe = 64 << 10;
  auto probe_zeros = [&](uint64_t from, uint64_t to) {  // [from, to)
    if (from >= to) return;
    std::string got = pread_exact(fd, from, static_cast<size_t>(std::min(kProbe, to - from)), path, out);
    auto bad = std::find_if(got.begin(), got.end(), [](char c) { return c != 0; });
    if (bad != got.end()) {
      out.push_back(path + ": hole not zero at offset " + std::to_string(from + (bad - got.begin())));
    }
  };
  uint64_t end = 0;  // end of the previous extent
  auto probe_hole = [&](uint64_t from, uint64_t to) {
    if (from >= to) return;
    probe_zeros(from, to);
    uint64_t mid = from + (to - from) / 2;
    probe_zeros(mid, to);
    probe_zeros(to > kProbe ? std::max(from, to - kProbe) : from, to);
  };
  for (const auto& [offset, data] : want.extents) {
    probe_hole(end, offset);
    std::string got = pread_exact(fd, offset, data.size(), path, out);
    if (got != data) out.push_back(path + ": data at offset " + std::to_string(offset) + " differs");
    end = offset + data.size();
  }
  probe_hole(end, want.size);
  close(fd);
  return out;
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string random_bytes(const std::string& seed, size_t n) {
  uint64_t state = fnv1a(seed);
  std::string out(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = splitmix(state);
    std::memcpy(out.data() + i, &v, std::min<size_t>(8, n - i));
  }
  return out;
}

std::string text_bytes(const std::string& seed, size_t n) {
  std::string out;
  for (size_t line = 0; out.size() < n; ++line) {
    out += "line " + std::to_string(line) + " of " + seed + ": the quick brown fox\n";
  }
  out.resize(n);
  return out;
}

// ---------------------------------------------------------------------------------

void ModelKeeper::touch_parent(const std::string& rel) {
  auto slash = rel.rfind('/');
  std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash);
  auto it = model_.find(parent);
  if (it != model_.end()) it->second.mtime.reset();
}

Expected& ModelKeeper::add(const std::string& rel, uint32_t mode, uint32_t uid, uint32_t gid) {
  touch_parent(rel);
  Expected& e = model_[rel];
  e = Expected{};
  e.mode = mode;
  e.uid = uid;
  e.gid = gid;
  if (!S_ISDIR(mode)) e.nlink = 1;
  return e;
}

void ModelKeeper::hardlink(const std::string& existing, const std::string& rel) {
  touch_parent(rel);
  // Every name of the inode gets the new link count.
  auto [it, fresh] = link_group_.try_emplace(existing, next_group_);
  if (fresh) next_group_++;
  link_group_[rel] = it->second;
  const uint64_t nlink = *model_.at(existing).nlink + 1;
  model_[rel] = model_.at(existing);  // same inode: same everything (content changes are not tracked across links)
  for (const auto& [name, group] : link_group_)
    if (group == it->second) model_.at(name).nlink = nlink;
}

void ModelKeeper::chmod(const std::string& rel, uint32_t perm) {
  Expected& e = model_.at(rel);
  e.mode = (e.mode & S_IFMT) | perm;
}

void ModelKeeper::chown(const std::string& rel, uint32_t uid, uint32_t gid) {
  Expected& e = model_.at(rel);
  e.uid = uid;
  e.gid = gid;
}

void ModelKeeper::set_mtime(const std::string& rel, int64_t mtime) { model_.at(rel).mtime = mtime; }

void ModelKeeper::write_at(const std::string& rel, uint64_t offset, const std::string& bytes) {
  Expected& e = model_.at(rel);
  e.mtime.reset();
  if (e.sparse) {
    e.extents.emplace_back(offset, bytes);
    std::sort(e.extents.begin(), e.extents.end());
  } else {
    if (e.content.size() < offset + bytes.size()) e.content.resize(offset + bytes.size(), '\0');
    e.content.replace(offset, bytes.size(), bytes);
  }
  e.size = std::max<uint64_t>(e.size, offset + bytes.size());
}

void ModelKeeper::truncate(const std::string& rel, uint64_t size) {
  Expected& e = model_.at(rel);
  e.mtime.reset();
  e.size = size;
  if (!e.sparse) e.content.resize(size, '\0');
}

void ModelKeeper::remove(const std::string& rel) {
  touch_parent(rel);
  remove_model(rel);
}

void ModelKeeper::rename(const std::string& from, const std::string& to) {
  touch_parent(from);
  touch_parent(to);
  if (model_.count(to) && to != from) remove_model(to);
  // The entry and, for a directory, everything below it move.
  std::vector<std::pair<std::string, Expected>> moved;
  for (auto it = model_.begin(); it != model_.end();) {
    if (it->first == from || it->first.rfind(from + "/", 0) == 0) {
      moved.emplace_back(to + it->first.substr(from.size()), it->second);
      if (auto g = link_group_.extract(it->first)) {
        g.key() = moved.back().first;
        link_group_.insert(std::move(g));
      }
      it = model_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [name, e] : moved) model_[name] = std::move(e);
}

void ModelKeeper::remove_model(const std::string& rel) {
  model_.erase(rel);
  if (auto g = link_group_.find(rel); g != link_group_.end()) {
    const int group = g->second;
    link_group_.erase(g);
    for (const auto& [name, other] : link_group_)
      if (other == group) model_.at(name).nlink = *model_.at(name).nlink - 1;
  }
}

// ---------------------------------------------------------------------------------

TreeWriter::TreeWriter(std::string root, Model& model) : root_(std::move(root)), keep_(model) {
  if (model.count("") == 0) {
    struct stat st {};
    if (lstat(root_.c_str(), &st) != 0) fail("lstat", "");
    Expected& e = model[""];
    e.mode = st.st_mode;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
  }
}

void TreeWriter::fail(const char* what, const std::string& rel) const {
  throw std::runtime_error(errno_text(what, path(rel)));
}

Expected& TreeWriter::add(const std::string& rel, uint32_t mode) { return keep_.add(rel, mode, geteuid(), getegid()); }

void TreeWriter::dir(const std::string& rel, uint32_t perm) {
  if (mkdir(path(rel).c_str(), perm) != 0) fail("mkdir", rel);
  add(rel, S_IFDIR | perm);
  chmod(rel, perm);  // whatever the umask did
}

void TreeWriter::write_and_close(int fd, const std::string& bytes, uint64_t offset, const std::string& rel) const {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      fail("write", rel);
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) fail("close", rel);
}

void TreeWriter::file(const std::string& rel, const std::string& content, uint32_t perm) {
  int fd = open(path(rel).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, perm);
  if (fd < 0) fail("create", rel);
  write_and_close(fd, content, 0, rel);
  Expected& e = add(rel, S_IFREG | perm);
  e.content = content;
  e.size = content.size();
  chmod(rel, perm);
}

void TreeWriter::sparse(const std::string& rel, const std::vector<std::pair<uint64_t, std::string>>& extents,
                        uint64_t size, uint32_t perm) {
  file(rel, "", perm);
  keep_.at(rel).sparse = true;
  for (const auto& [offset, data] : extents) write_at(rel, offset, data);
  truncate(rel, size);
}

void TreeWriter::symlink(const std::string& rel, const std::string& target) {
  if (::symlink(target.c_str(), path(rel).c_str()) != 0) fail("symlink", rel);
  Expected& e = add(rel, S_IFLNK | 0777);
  e.target = target;
  e.size = target.size();
}

void TreeWriter::hardlink(const std::string& existing, const std::string& rel) {
  if (::link(path(existing).c_str(), path(rel).c_str()) != 0) fail("link", rel);
  keep_.hardlink(existing, rel);
}

void TreeWriter::fifo(const std::string& rel, uint32_t perm) {
  if (mkfifo(path(rel).c_str(), perm) != 0) fail("mkfifo", rel);
  add(rel, S_IFIFO | perm);
  chmod(rel, perm);
}

void TreeWriter::device(const std::string& rel, bool block, unsigned maj, unsigned min, uint32_t perm) {
  uint32_t type = block ? S_IFBLK : S_IFCHR;
  if (mknod(path(rel).c_str(), type | perm, makedev(maj, min)) != 0) fail("mknod", rel);
  Expected& e = add(rel, type | perm);
  e.rdev_major = maj;
  e.rdev_minor = min;
  chmod(rel, perm);
}

void TreeWriter::chmod(const std::string& rel, uint32_t perm) {
  if (::chmod(path(rel).c_str(), perm) != 0) fail("chmod", rel);
  keep_.chmod(rel, perm);
}

void TreeWriter::chown(const std::string& rel, uint32_t uid, uint32_t gid) {
  if (::lchown(path(rel).c_str(), uid, gid) != 0) fail("chown", rel);
  keep_.chown(rel, uid, gid);
}

void TreeWriter::set_mtime(const std::string& rel, int64_t atime, int64_t mtime) {
  struct timespec times[2] = {{atime, 0}, {mtime, 0}};
  if (utimensat(AT_FDCWD, path(rel).c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) fail("utimensat", rel);
  keep_.set_mtime(rel, mtime);
}

void TreeWriter::write_at(const std::string& rel, uint64_t offset, const std::string& bytes) {
  int fd = open(path(rel).c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail("open", rel);
  write_and_close(fd, bytes, offset, rel);
  keep_.write_at(rel, offset, bytes);
}

void TreeWriter::truncate(const std::string& rel, uint64_t size) {
  if (::truncate(path(rel).c_str(), static_cast<off_t>(size)) != 0) fail("truncate", rel);
  keep_.truncate(rel, size);
}

void TreeWriter::remove(const std::string& rel) {
  struct stat st {};
  if (lstat(path(rel).c_str(), &st) != 0) fail("lstat", rel);
  if ((S_ISDIR(st.st_mode) ? rmdir(path(rel).c_str()) : unlink(path(rel).c_str())) != 0) fail("remove", rel);
  keep_.remove(rel);
}

void TreeWriter::rename(const std::string& from, const std::string& to) {
  if (::rename(path(from).c_str(), path(to).c_str()) != 0) fail("rename", from);
  keep_.rename(from, to);
}

}  // namespace fzfs::test
