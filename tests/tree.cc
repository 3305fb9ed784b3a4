#include "tests/tree.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace fzfs::test {
namespace {

std::string octal(uint32_t v) {
  std::ostringstream s;
  s << "0" << std::oct << v;
  return s.str();
}

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + strerror(errno);
}

class Walker {
 public:
  Walker(std::string root, const ScanOptions& opts) : root_(std::move(root)), opts_(opts) {}

  ScanResult run() {
    visit_dir("");
    return std::move(result_);
  }

 private:
  std::string abs(const std::string& rel) const { return rel.empty() ? root_ : root_ + "/" + rel; }

  void visit_dir(const std::string& rel) {
    DIR* d = opendir(abs(rel).c_str());
    if (d == nullptr) {
      result_.errors.push_back(errno_text("opendir", abs(rel)));
      return;
    }
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      if (rel.empty() && n == ".zfs") continue;
      names.push_back(n);
    }
    if (errno != 0) result_.errors.push_back(errno_text("readdir", abs(rel)));
    closedir(d);
    for (const auto& n : names) {
      std::string child = rel.empty() ? n : rel + "/" + n;
      if (opts_.mountpoints.count(child) == 0) visit(child);
    }
  }

  void visit(const std::string& rel) {
    std::string path = abs(rel);
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) {
      result_.errors.push_back(errno_text("lstat", path));
      return;
    }
    FileEntry e;
    e.mode = st.st_mode;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    e.nlink = st.st_nlink;
    e.mtime = st.st_mtim.tv_sec;
    if (S_ISREG(st.st_mode)) {
      e.size = static_cast<uint64_t>(st.st_size);
      try {
        e.sha256 = sha256_file(path);
      } catch (const std::exception& ex) {
        result_.errors.push_back(ex.what());
      }
    } else if (S_ISLNK(st.st_mode)) {
      std::string buf(4096, '\0');
      ssize_t n = readlink(path.c_str(), buf.data(), buf.size());
      if (n < 0) {
        result_.errors.push_back(errno_text("readlink", path));
      } else {
        e.target = buf.substr(0, static_cast<size_t>(n));
      }
    }
    result_.tree[rel] = e;
    if (S_ISDIR(st.st_mode)) visit_dir(rel);
  }

  std::string root_;
  const ScanOptions& opts_;
  ScanResult result_;
};

template <typename T>
void compare_field(std::vector<std::string>& out, const std::string& path, const char* field,
                   const T& want, const T& got) {
  if (want == got) return;
  std::ostringstream s;
  s << "  differs " << path << ": " << field << " expected " << want << ", got " << got;
  out.push_back(s.str());
}

void compare_optional(std::vector<std::string>& out, const std::string& path, const char* field,
                      const std::optional<std::string>& want,
                      const std::optional<std::string>& got) {
  if (!want) return;
  compare_field(out, path, field, *want, got.value_or("<none>"));
}

void compare_entry(std::vector<std::string>& out, const std::string& path, const FileEntry& want,
                   const FileEntry& got) {
  compare_field(out, path, "mode", octal(want.mode), octal(got.mode));
  compare_field(out, path, "uid", want.uid, got.uid);
  compare_field(out, path, "gid", want.gid, got.gid);
  compare_field(out, path, "nlink", want.nlink, got.nlink);
  compare_field(out, path, "mtime", want.mtime, got.mtime);
  if (want.size) compare_field(out, path, "size", *want.size, got.size.value_or(~0ull));
  compare_optional(out, path, "sha256", want.sha256, got.sha256);
  compare_optional(out, path, "target", want.target, got.target);
}

}  // namespace

ScanResult scan_tree(const std::string& root, const ScanOptions& opts) {
  return Walker(root, opts).run();
}

std::vector<std::string> compare_trees(const FileTree& expected, const FileTree& actual,
                                       size_t limit) {
  std::vector<std::string> all;
  size_t missing = 0, unexpected = 0;
  for (const auto& [path, want] : expected) {
    auto it = actual.find(path);
    if (it == actual.end()) {
      ++missing;
      all.push_back("  missing " + path);
      continue;
    }
    compare_entry(all, path, want, it->second);
  }
  for (const auto& [path, got] : actual) {
    if (expected.count(path) == 0) {
      ++unexpected;
      all.push_back("  unexpected " + path + " (mode " + octal(got.mode) + ")");
    }
  }
  if (all.empty()) return all;
  std::vector<std::string> out;
  std::ostringstream summary;
  summary << all.size() << " differences (" << missing << " missing, " << unexpected
          << " unexpected, of " << expected.size() << " expected entries)";
  out.push_back(summary.str());
  for (size_t i = 0; i < all.size() && i < limit; ++i) out.push_back(all[i]);
  if (all.size() > limit) out.push_back("  ...");
  return out;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

}  // namespace fzfs::test
