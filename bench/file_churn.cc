// Metadata churn through a file system: create N empty files in one directory, make
// the creates durable (fsync of the directory), stat each by path, remove each. Each phase is timed on its own with
// steady_clock and the result is printed as one JSON object, so bench/fio_compare.sh
// can put it beside fio's figures for fzfs, zfs-fuse and the raw backing file system.
//
// Usage: fzfs_file_churn [--files N] [--drop-caches] DIR
//   --drop-caches  between phases (untimed): sync and drop the kernel's page, dentry and
//                  inode caches (needs root), so stat and unlink really ask the file
//                  system instead of the kernel's caches.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Options {
  long files = 10000;
  bool drop_caches = false;
  std::string dir;
};

[[noreturn]] void die(const std::string& what, const std::string& path) {
  std::fprintf(stderr, "file_churn: %s %s: %s\n", what.c_str(), path.c_str(), std::strerror(errno));
  std::exit(1);
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: fzfs_file_churn [--files N] [--drop-caches] DIR\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--files" && i + 1 < argc) {
      char* end = nullptr;
      o.files = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || o.files <= 0 || o.files > 100'000'000) usage();
    } else if (a == "--drop-caches") {
      o.drop_caches = true;
    } else if (!a.empty() && a[0] != '-' && o.dir.empty()) {
      o.dir = a;
    } else {
      usage();
    }
  }
  if (o.dir.empty()) usage();
  return o;
}

void drop_caches() {
  sync();
  int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
  if (fd < 0 || write(fd, "3\n", 2) != 2) die("cannot write", "/proc/sys/vm/drop_caches");
  close(fd);
}

// Runs fn and returns the seconds it took.
template <typename Fn>
double timed(Fn&& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::vector<std::string> paths;
  paths.reserve(o.files);
  for (long i = 0; i < o.files; i++) {
    char name[32];
    std::snprintf(name, sizeof name, "/churn%08ld", i);
    paths.push_back(o.dir + name);
  }

  const double create_s = timed([&] {
    for (const auto& p : paths) {
      int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) die("cannot create", p);
      if (close(fd) != 0) die("cannot close", p);
    }
  });
  // fsync of the directory, not syncfs: the kernel passes syncfs on only to virtiofs
  // servers, while any FUSE daemon gets fsync of a directory (FUSE_FSYNCDIR).
  const double fsync_dir_s = timed([&] {
    int fd = open(o.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) die("cannot fsync", o.dir);
    close(fd);
  });
  if (o.drop_caches) drop_caches();
  const double stat_s = timed([&] {
    struct stat st;
    for (const auto& p : paths)
      if (stat(p.c_str(), &st) != 0) die("cannot stat", p);
  });
  if (o.drop_caches) drop_caches();
  const double remove_s = timed([&] {
    for (const auto& p : paths)
      if (unlink(p.c_str()) != 0) die("cannot remove", p);
  });

  std::printf(
      "{\"files\": %ld, \"drop_caches\": %s, \"create_s\": %.6f, \"fsync_dir_s\": %.6f, "
      "\"stat_s\": %.6f, \"remove_s\": %.6f}\n",
      o.files, o.drop_caches ? "true" : "false", create_s, fsync_dir_s, stat_s, remove_s);
  return 0;
}
