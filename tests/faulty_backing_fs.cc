// faulty_backing_fs BACKING MOUNTPOINT [FUSE options]: a FUSE pass-through of the
// directory BACKING that a test can switch into failing like a real disk, so that a
// pool's device file can go bad while the pool is imported (with plain files that
// cannot be staged: an open fd keeps working after chmod or unlink).
//
//   echo ok       > MOUNTPOINT/.fault   pass everything through (the start)
//   echo readonly > MOUNTPOINT/.fault   writes, truncates and fsyncs fail with EROFS;
//                                       reads still work
//   echo gone     > MOUNTPOINT/.fault   the device has vanished: lookups and opens fail
//                                       with ENXIO, I/O on open files with EIO
//   cat MOUNTPOINT/.fault               the current mode
//
// `.fault` is not listed by readdir (a pool import scanning the directory never sees
// it). Every file is direct I/O and attributes are never cached, so each read, write
// and fsync of the pool reaches this process and the mode applies at once. Runs in the
// foreground, multithreaded; returns 0 when unmounted (fusermount3 -u MOUNTPOINT).
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 14)
#include <dirent.h>
#include <fcntl.h>
#include <fuse3/fuse.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

enum class Mode { kOk, kReadonly, kGone };

const char* const kModeNames[] = {"ok", "readonly", "gone"};
constexpr const char* kControl = "/.fault";

std::string g_backing;  // set once before the FUSE loop starts
std::atomic<Mode> g_mode{Mode::kOk};

bool is_control(const char* path) { return std::strcmp(path, kControl) == 0; }
std::string backing(const char* path) { return g_backing + path; }
int neg_errno() { return -errno; }

// The failure, if any, of the current mode for a kind of operation (0 = go ahead).
// `lookup`: resolving a name (a vanished device has no name any more); `modify`: a
// write of any kind.
int fault(bool lookup, bool modify) {
  switch (g_mode.load()) {
    case Mode::kGone:
      return lookup ? -ENXIO : -EIO;
    case Mode::kReadonly:
      return modify ? -EROFS : 0;
    case Mode::kOk:
      return 0;
  }
  return 0;
}

std::string mode_text() { return std::string(kModeNames[static_cast<int>(g_mode.load())]) + "\n"; }

int set_mode(const char* buf, size_t size) {
  std::string word(buf, size);
  while (!word.empty() && std::isspace(static_cast<unsigned char>(word.back()))) word.pop_back();
  for (int m = 0; m < 3; m++) {
    if (word == kModeNames[m]) {
      g_mode = static_cast<Mode>(m);
      std::fprintf(stderr, "faulty_backing_fs: mode %s\n", kModeNames[m]);
      return static_cast<int>(size);
    }
  }
  return -EINVAL;
}

void* fs_init(fuse_conn_info*, fuse_config* cfg) {
  cfg->direct_io = 1;  // no page cache: every read and write meets the current mode
  cfg->entry_timeout = 0;
  cfg->attr_timeout = 0;
  cfg->negative_timeout = 0;
  return nullptr;
}

int fs_getattr(const char* path, struct stat* st, fuse_file_info* fi) {
  if (is_control(path)) {
    *st = {};
    st->st_mode = S_IFREG | 0644;
    st->st_nlink = 1;
    st->st_size = static_cast<off_t>(mode_text().size());
    return 0;
  }
  if (std::strcmp(path, "/") != 0)
    if (int e = fault(/*lookup=*/true, false)) return e;
  const int rc = fi != nullptr ? fstat(static_cast<int>(fi->fh), st) : lstat(backing(path).c_str(), st);
  return rc == 0 ? 0 : neg_errno();
}

int fs_readdir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*, fuse_readdir_flags) {
  DIR* d = opendir(backing(path).c_str());
  if (d == nullptr) return neg_errno();
  while (dirent* e = readdir(d)) fill(buf, e->d_name, nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  closedir(d);
  return 0;
}

int open_backing(const char* path, fuse_file_info* fi, mode_t mode) {
  const bool modify = (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & (O_CREAT | O_TRUNC)) != 0;
  if (int e = fault(/*lookup=*/true, modify)) return e;
  const int fd = open(backing(path).c_str(), fi->flags, mode);
  if (fd < 0) return neg_errno();
  fi->fh = static_cast<uint64_t>(fd);
  return 0;
}

int fs_open(const char* path, fuse_file_info* fi) {
  return is_control(path) ? 0 : open_backing(path, fi, 0);
}

int fs_create(const char* path, mode_t mode, fuse_file_info* fi) {
  if (is_control(path)) return -EEXIST;
  return open_backing(path, fi, mode);
}

int fs_read(const char* path, char* buf, size_t size, off_t off, fuse_file_info* fi) {
  if (is_control(path)) {
    const std::string text = mode_text();
    if (off >= static_cast<off_t>(text.size())) return 0;
    const size_t n = std::min(size, text.size() - static_cast<size_t>(off));
    std::memcpy(buf, text.data() + off, n);
    return static_cast<int>(n);
  }
  if (int e = fault(false, false)) return e;
  const ssize_t n = pread(static_cast<int>(fi->fh), buf, size, off);
  return n >= 0 ? static_cast<int>(n) : neg_errno();
}

int fs_write(const char* path, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  if (is_control(path)) return set_mode(buf, size);
  if (int e = fault(false, /*modify=*/true)) return e;
  const ssize_t n = pwrite(static_cast<int>(fi->fh), buf, size, off);
  return n >= 0 ? static_cast<int>(n) : neg_errno();
}

int fs_truncate(const char* path, off_t size, fuse_file_info* fi) {
  if (is_control(path)) return 0;  // `echo MODE > .fault` truncates first
  if (int e = fault(fi == nullptr, /*modify=*/true)) return e;
  const int rc = fi != nullptr ? ftruncate(static_cast<int>(fi->fh), size) : truncate(backing(path).c_str(), size);
  return rc == 0 ? 0 : neg_errno();
}

int fs_fsync(const char* path, int datasync, fuse_file_info* fi) {
  if (is_control(path)) return 0;
  if (int e = fault(false, /*modify=*/true)) return e;
  const int fd = static_cast<int>(fi->fh);
  return (datasync ? fdatasync(fd) : fsync(fd)) == 0 ? 0 : neg_errno();
}

int fs_flush(const char* path, fuse_file_info*) {
  return is_control(path) ? 0 : fault(false, false);
}

int fs_release(const char* path, fuse_file_info* fi) {
  if (!is_control(path)) close(static_cast<int>(fi->fh));  // always: the fd must not leak
  return 0;
}

int fs_unlink(const char* path) {
  if (is_control(path)) return -EPERM;
  if (int e = fault(/*lookup=*/true, /*modify=*/true)) return e;
  return unlink(backing(path).c_str()) == 0 ? 0 : neg_errno();
}

int fs_statfs(const char* path, struct statvfs* st) {
  return statvfs(g_backing.c_str(), st) == 0 ? 0 : neg_errno();
}

fuse_operations make_ops() {
  fuse_operations ops{};
  ops.init = fs_init;
  ops.getattr = fs_getattr;
  ops.readdir = fs_readdir;
  ops.open = fs_open;
  ops.create = fs_create;
  ops.read = fs_read;
  ops.write = fs_write;
  ops.truncate = fs_truncate;
  ops.fsync = fs_fsync;
  ops.flush = fs_flush;
  ops.release = fs_release;
  ops.unlink = fs_unlink;
  ops.statfs = fs_statfs;
  return ops;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s BACKING MOUNTPOINT [FUSE options]\n", argv[0]);
    return 2;
  }
  char* resolved = realpath(argv[1], nullptr);
  if (resolved == nullptr) {
    std::fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], std::strerror(errno));
    return 2;
  }
  g_backing = resolved;
  free(resolved);
  // fuse_main parses: program, mount point, -f (foreground), then the caller's options.
  std::vector<char*> args{argv[0], argv[2], const_cast<char*>("-f")};
  for (int i = 3; i < argc; i++) args.push_back(argv[i]);
  const fuse_operations ops = make_ops();
  return fuse_main(static_cast<int>(args.size()), args.data(), &ops, nullptr);
}
