#include "tests/pool_fixture.h"

#include <fcntl.h>
#include <ftw.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace fzfs::test {
namespace {

constexpr size_t kSparseBlock = 4096;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_executable(const std::string& path) { return !path.empty() && access(path.c_str(), X_OK) == 0; }

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Writes a byte stream to a file, leaving all-zero 4 KiB blocks as holes so that
// unpacked 1 GiB devices cost only what they hold.
class SparseWriter {
 public:
  explicit SparseWriter(const std::string& path) : path_(path) {
    fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("create " + path + ": " + strerror(errno));
  }
  ~SparseWriter() {
    if (fd_ >= 0) close(fd_);
  }

  void write(const char* data, size_t len) {
    while (len > 0) {
      size_t in_block = kSparseBlock - static_cast<size_t>(offset_ % kSparseBlock);
      size_t n = std::min(len, in_block);
      if (!all_zero(data, n)) pwrite_all(data, n);
      offset_ += n;
      data += n;
      len -= n;
    }
  }

  void finish() {
    if (ftruncate(fd_, static_cast<off_t>(offset_)) != 0) {
      throw std::runtime_error("truncate " + path_ + ": " + strerror(errno));
    }
    close(fd_);
    fd_ = -1;
  }

 private:
  static bool all_zero(const char* p, size_t n) {
    return std::all_of(p, p + n, [](char c) { return c == 0; });
  }
  void pwrite_all(const char* p, size_t n) {
    size_t done = 0;
    while (done < n) {
      ssize_t w = pwrite(fd_, p + done, n - done, static_cast<off_t>(offset_ + done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) throw std::runtime_error("write " + path_ + ": " + strerror(errno));
      done += static_cast<size_t>(w);
    }
  }

  std::string path_;
  int fd_ = -1;
  uint64_t offset_ = 0;
};

void unpack_zstd(const std::string& source, SparseWriter& out) {
  std::ifstream in(source, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + source);
  std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> ds(ZSTD_createDStream(),
                                                                 ZSTD_freeDStream);
  ZSTD_initDStream(ds.get());
  std::string ibuf(ZSTD_DStreamInSize(), '\0'), obuf(ZSTD_DStreamOutSize(), '\0');
  size_t ret = 0;
  while (in.read(ibuf.data(), static_cast<std::streamsize>(ibuf.size())) || in.gcount() > 0) {
    ZSTD_inBuffer input{ibuf.data(), static_cast<size_t>(in.gcount()), 0};
    while (input.pos < input.size) {
      ZSTD_outBuffer output{obuf.data(), obuf.size(), 0};
      ret = ZSTD_decompressStream(ds.get(), &output, &input);
      if (ZSTD_isError(ret)) throw std::runtime_error(source + ": zstd: " + ZSTD_getErrorName(ret));
      out.write(obuf.data(), output.pos);
    }
  }
  if (ret != 0) throw std::runtime_error(source + ": truncated zstd stream");
}

// Streams a decompressing command's standard output into the writer.
void unpack_command(const std::string& command, SparseWriter& out) {
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("cannot run: " + command);
  std::string buf(1 << 20, '\0');
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.write(buf.data(), n);
  int status = pclose(p);
  if (status != 0) throw std::runtime_error("failed (status " + std::to_string(status) + "): " + command);
}

int remove_entry(const char* path, const struct stat*, int type, struct FTW*) {
  if (type == FTW_DP) {
    rmdir(path);
  } else {
    unlink(path);
  }
  return 0;
}

// Mount points at or below PREFIX, deepest first.
std::vector<std::string> mounts_below(const std::string& prefix) {
  std::vector<std::string> found;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devno, root, mountpoint;
    f >> id >> parent >> devno >> root >> mountpoint;
    if (mountpoint.rfind(prefix, 0) == 0) found.push_back(mountpoint);
  }
  std::sort(found.begin(), found.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return found;
}

std::string make_temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && *tmp != 0 ? tmp : "/tmp") + "/fzfs-test-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp: " + std::string(strerror(errno)));
  return templ;
}

}  // namespace

std::string conformance_dir() {
  const char* env = std::getenv("FZFS_CONFORMANCE_DIR");
  if (env != nullptr && *env != 0) return env;
#ifdef FZFS_CONFORMANCE_DIR
  return FZFS_CONFORMANCE_DIR;
#else
  return "";
#endif
}

std::string tool_path(const std::string& name) {
  const char* bin_dir = std::getenv("FZFS_BIN_DIR");
  if (bin_dir != nullptr && *bin_dir != 0) {
    std::string p = std::string(bin_dir) + "/" + name;
    return is_executable(p) ? p : "";
  }
  std::string built;
#ifdef FZFS_FZPOOL_BIN
  if (name == "fzpool") built = FZFS_FZPOOL_BIN;
#endif
#ifdef FZFS_FZFS_BIN
  if (name == "fzfs") built = FZFS_FZFS_BIN;
#endif
#ifdef FZFS_FZDB_BIN
  if (name == "fzdb") built = FZFS_FZDB_BIN;
#endif
  if (is_executable(built)) return built;
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "");
  std::string d;
  while (std::getline(dirs, d, ':')) {
    if (!d.empty() && is_executable(d + "/" + name)) return d + "/" + name;
  }
  return "";
}

std::string missing_tools() {
  std::string missing;
  for (const char* t : {"fzpool", "fzfs"}) {
    if (tool_path(t).empty()) missing += std::string(missing.empty() ? "" : ", ") + t;
  }
  if (missing.empty()) return "";
  return "cannot find " + missing +
         " (build the tools targets, or set FZFS_BIN_DIR to an installed prefix's bin/)";
}

PoolWorkspace::PoolWorkspace() {
  dir_ = make_temp_dir();
  devices_ = dir_ + "/devices";
  altroot_ = dir_ + "/root";
  rundir_ = dir_ + "/run";
  scratch_ = dir_ + "/scratch";
  for (const auto& d : {devices_, altroot_, rundir_, scratch_}) mkdir(d.c_str(), 0755);
}

PoolWorkspace::~PoolWorkspace() {
  std::string exports;  // a failed import leaves nothing to export: only reported below
  for (const auto& pool : std::vector<std::string>(imported_)) {
    exports += export_pool(pool).describe() + "\n";
  }
  std::vector<std::string> stray = mounts_below(dir_ + "/");
  if (!stray.empty()) {
    ADD_FAILURE() << "export left " << stray.size() << " mount(s) behind, e.g. " << stray[0]
                  << "\n" << exports;
    detach_stray_mounts();
  }
  if (std::getenv("FZFS_TEST_KEEP") != nullptr) {
    std::fprintf(stderr, "kept test workspace %s\n", dir_.c_str());
    return;
  }
  // FTW_MOUNT: never descend into a file system still mounted inside the workspace.
  nftw(dir_.c_str(), remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

void PoolWorkspace::detach_stray_mounts() {
  for (const auto& m : mounts_below(dir_ + "/")) {
    CommandOptions opts;
    opts.timeout = std::chrono::seconds(20);
    opts.scratch_dir = scratch_;
    run_command({"fusermount3", "-u", "-z", m}, opts);
  }
}

std::string PoolWorkspace::unpack(const std::string& source, std::string name) {
  std::string base = source.substr(source.rfind('/') + 1);
  bool zst = ends_with(base, ".zst"), bz2 = ends_with(base, ".bz2");
  if (name.empty()) name = zst ? base.substr(0, base.size() - 4) : bz2 ? base.substr(0, base.size() - 4) : base;
  std::string target = devices_ + "/" + name;
  SparseWriter out(target);
  if (zst) {
    unpack_zstd(source, out);
  } else if (bz2) {
    unpack_command("bzip2 -dc " + shell_quote(source), out);
  } else {
    unpack_command("cat " + shell_quote(source), out);
  }
  out.finish();
  return target;
}

std::string PoolWorkspace::unpack_tar_member(const std::string& archive, const std::string& member) {
  std::string target = devices_ + "/" + member.substr(member.rfind('/') + 1);
  SparseWriter out(target);
  unpack_command("tar -xzOf " + shell_quote(archive) + " " + shell_quote(member), out);
  out.finish();
  return target;
}

CommandResult PoolWorkspace::run_tool(const std::string& tool, const std::vector<std::string>& args,
                                      std::chrono::seconds timeout) {
  std::string path = tool_path(tool);
  if (path.empty()) {
    CommandResult r;
    r.argv = {tool};
    r.err = missing_tools();
    return r;
  }
  std::vector<std::string> argv{path};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandOptions opts;
  opts.env["FZFS_RUNDIR"] = rundir_;
  opts.timeout = timeout;
  opts.scratch_dir = scratch_;
  return run_command(argv, opts);
}

CommandResult PoolWorkspace::fzpool(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  return run_tool("fzpool", args, timeout);
}

CommandResult PoolWorkspace::fzfs(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  return run_tool("fzfs", args, timeout);
}

CommandResult PoolWorkspace::import_readonly(const std::string& pool, std::chrono::seconds timeout) {
  imported_.push_back(pool);
  return fzpool({"import", "-d", devices_, "-o", "readonly=on", "-R", altroot_, pool}, timeout);
}

CommandResult PoolWorkspace::export_pool(std::string pool) {
  imported_.erase(std::remove(imported_.begin(), imported_.end(), pool), imported_.end());
  return fzpool({"export", "-f", pool}, std::chrono::seconds(60));
}

std::string PoolWorkspace::make_device(const std::string& name, uint64_t size) {
  std::string path = devices_ + "/" + name;
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("create " + path + ": " + strerror(errno));
  const int rc = ftruncate(fd, static_cast<off_t>(size));
  close(fd);
  if (rc != 0) throw std::runtime_error("truncate " + path + ": " + strerror(errno));
  return path;
}

CommandResult PoolWorkspace::create_pool(const std::string& pool, const std::vector<std::string>& vdevs,
                                         const std::vector<std::string>& options) {
  std::vector<std::string> args{"create"};
  args.insert(args.end(), options.begin(), options.end());
  args.insert(args.end(), {"-R", altroot_, pool});
  args.insert(args.end(), vdevs.begin(), vdevs.end());
  CommandResult r = fzpool(args, std::chrono::seconds(180));
  const bool dry_run = std::find(options.begin(), options.end(), "-n") != options.end();
  if (r.ok() && !dry_run) imported_.push_back(pool);
  return r;
}

CommandResult PoolWorkspace::import_readwrite(const std::string& pool, std::chrono::seconds timeout) {
  imported_.push_back(pool);
  return fzpool({"import", "-d", devices_, "-R", altroot_, pool}, timeout);
}

}  // namespace fzfs::test
