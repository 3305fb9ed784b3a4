// fzfs_fsx: an fsx-style file system exerciser. Random operations on one file are
// checked against an in-memory model of its contents: pwrite (also far past EOF, making
// holes), pread, truncate up and down, fallocate (PUNCH_HOLE and plain, while the file
// system supports them), reads and writes through mmap, fsync, close and reopen. The
// first mismatch prints the tail of the operation log and the first differing offset
// (with the operation that wrote the expected byte) and exits 1.
//
//   fzfs_fsx FILE [--ops N] [--seed S] [--max-size BYTES] [--max-op BYTES] [--keep]
//            [--corrupt-at OP]
//
// FILE is truncated at start. If FILE is a directory, a fresh file is made inside it and
// removed after a clean run (--keep leaves it).
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string file;
  uint64_t ops = 10000;
  uint64_t seed = 0;
  bool seed_given = false;
  uint64_t max_size = 1 << 20;
  uint64_t max_op = 64 << 10;
  bool keep = false;
  uint64_t corrupt_at = 0;  // self-check: change one byte behind the model's back
};

enum class Op { kWrite, kRead, kTruncate, kPunchHole, kFallocate, kMapRead, kMapWrite, kFsync, kReopen };

const char* op_name(Op op) {
  switch (op) {
    case Op::kWrite: return "write";
    case Op::kRead: return "read";
    case Op::kTruncate: return "truncate";
    case Op::kPunchHole: return "punch_hole";
    case Op::kFallocate: return "fallocate";
    case Op::kMapRead: return "mapread";
    case Op::kMapWrite: return "mapwrite";
    case Op::kFsync: return "fsync";
    case Op::kReopen: return "reopen";
  }
  return "?";
}

struct LogEntry {
  uint64_t number;
  Op op;
  uint64_t offset;
  uint64_t length;
  uint64_t size_after;
};

// The expected contents of the file, and for each byte the operation that last wrote it
// (0: never written, or zeroed by truncate/hole punching) for diagnostics.
class Model {
 public:
  uint64_t size() const { return size_; }
  const uint8_t* data() const { return bytes_.data(); }
  uint64_t writer(uint64_t off) const { return off < size_ ? writers_[off] : 0; }

  void write(uint64_t off, const uint8_t* src, uint64_t len, uint64_t op_number) {
    grow_to(off + len);
    std::memcpy(bytes_.data() + off, src, len);
    std::fill(writers_.begin() + off, writers_.begin() + off + len, op_number);
  }
  void truncate(uint64_t new_size) {
    if (new_size < size_) {
      zero(new_size, size_ - new_size);
      size_ = new_size;
    } else {
      grow_to(new_size);
    }
  }
  void zero(uint64_t off, uint64_t len) {
    uint64_t end = std::min(off + len, size_);
    if (off >= end) return;
    std::fill(bytes_.begin() + off, bytes_.begin() + end, 0);
    std::fill(writers_.begin() + off, writers_.begin() + end, 0);
  }
  void grow_to(uint64_t new_size) {
    if (new_size <= size_) return;
    if (bytes_.size() < new_size) {
      bytes_.resize(new_size, 0);
      writers_.resize(new_size, 0);
    }
    size_ = new_size;  // bytes past the old size are already zero
  }

 private:
  std::vector<uint8_t> bytes_;
  std::vector<uint64_t> writers_;
  uint64_t size_ = 0;
};

class Fsx {
 public:
  explicit Fsx(const Options& o) : opt_(o), rng_(o.seed) {}

  int run() {
    if (!open_file(O_TRUNC)) return 2;
    for (number_ = 1; number_ <= opt_.ops; ++number_) {
      if (!step()) return fail_exit();
      if (number_ == opt_.corrupt_at) {
        // Check at once: later operations could overwrite the corrupted byte.
        if (!corrupt_one_byte()) return 2;
        if (!check_size() || !verify_whole("self-check")) return fail_exit();
      }
    }
    if (!verify_whole("final check")) return fail_exit();
    ::close(fd_);
    std::printf("fzfs_fsx: %" PRIu64 " ops on %s, seed %" PRIu64 ", max size %" PRIu64
                ": no mismatch\n", opt_.ops, opt_.file.c_str(), opt_.seed, opt_.max_size);
    print_counts();
    return 0;
  }

 private:
  uint64_t random(uint64_t lo, uint64_t hi) {  // inclusive
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }

  Op choose() {
    // Weights in percent; unsupported operations fall back to a write.
    uint64_t r = random(0, 99);
    Op op = r < 30 ? Op::kWrite
            : r < 55 ? Op::kRead
            : r < 63 ? Op::kTruncate
            : r < 70 ? Op::kPunchHole
            : r < 74 ? Op::kFallocate
            : r < 84 ? Op::kMapRead
            : r < 92 ? Op::kMapWrite
            : r < 96 ? Op::kFsync
                     : Op::kReopen;
    if ((op == Op::kPunchHole && !punch_ok_) || (op == Op::kFallocate && !fallocate_ok_) ||
        ((op == Op::kMapRead || op == Op::kMapWrite) && !mmap_ok_)) {
      op = Op::kWrite;
    }
    return op;
  }

  // A range: mostly small and anywhere up to the maximum size; sometimes aligned to
  // pages or records so that whole blocks are replaced.
  void choose_range(uint64_t& off, uint64_t& len) {
    len = random(1, opt_.max_op);
    if (random(0, 9) == 0) len = std::min<uint64_t>(opt_.max_op, random(1, 8) * 4096);
    len = std::min(len, opt_.max_size);
    off = random(0, opt_.max_size - len);
    if (random(0, 4) == 0) off &= ~uint64_t{4095};
  }

  bool step() {
    Op op = choose();
    ++counts_[static_cast<int>(op)];
    switch (op) {
      case Op::kWrite: return do_write();
      case Op::kRead: return do_read();
      case Op::kTruncate: return do_truncate();
      case Op::kPunchHole: return do_punch_hole();
      case Op::kFallocate: return do_fallocate();
      case Op::kMapRead: return do_map_read();
      case Op::kMapWrite: return do_map_write();
      case Op::kFsync: return do_fsync();
      case Op::kReopen: return do_reopen();
    }
    return true;
  }

  void log(Op op, uint64_t off, uint64_t len) {
    log_.push_back({number_, op, off, len, model_.size()});
    if (log_.size() > 64) log_.pop_front();
  }

  bool do_write() {
    uint64_t off, len;
    choose_range(off, len);
    // Now and then start far past EOF so the file gets a hole.
    if (random(0, 7) == 0 && model_.size() + len < opt_.max_size) {
      off = random(model_.size(), opt_.max_size - len);
    }
    std::vector<uint8_t> buf(len);
    fill(buf);
    log(Op::kWrite, off, len);
    if (!pwrite_all(buf.data(), len, off)) return false;
    model_.write(off, buf.data(), len, number_);
    log_.back().size_after = model_.size();
    return check_size();
  }

  bool do_read() {
    uint64_t off, len;
    choose_range(off, len);
    if (model_.size() > 0 && random(0, 1) == 0) off = random(0, model_.size() - 1);  // mostly inside
    log(Op::kRead, off, len);
    std::vector<uint8_t> got(len);
    ssize_t n = ::pread(fd_, got.data(), len, static_cast<off_t>(off));
    if (n < 0) return fail_errno("pread");
    uint64_t want = off < model_.size() ? std::min(len, model_.size() - off) : 0;
    if (static_cast<uint64_t>(n) != want) {
      return fail("pread at %" PRIu64 " of %" PRIu64 " returned %zd bytes, expected %" PRIu64
                  " (file size %" PRIu64 ")", off, len, n, want, model_.size());
    }
    return compare(got.data(), off, want, "pread");
  }

  bool do_truncate() {
    uint64_t new_size = random(0, opt_.max_size);
    if (random(0, 3) == 0) new_size = std::min(model_.size(), new_size);  // shrink more often
    log(Op::kTruncate, new_size, 0);
    if (::ftruncate(fd_, static_cast<off_t>(new_size)) != 0) return fail_errno("ftruncate");
    model_.truncate(new_size);
    log_.back().size_after = model_.size();
    return check_size();
  }

  bool do_punch_hole() {
    uint64_t off, len;
    choose_range(off, len);
    log(Op::kPunchHole, off, len);
    int rc = ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(off),
                         static_cast<off_t>(len));
    if (rc != 0 && (errno == EOPNOTSUPP || errno == ENOSYS)) {
      std::printf("fzfs_fsx: PUNCH_HOLE not supported (%s), not used any more\n", std::strerror(errno));
      punch_ok_ = false;
      return true;
    }
    if (rc != 0) return fail_errno("fallocate(PUNCH_HOLE)");
    model_.zero(off, len);
    return check_size();
  }

  bool do_fallocate() {
    uint64_t off, len;
    choose_range(off, len);
    log(Op::kFallocate, off, len);
    int rc = ::fallocate(fd_, 0, static_cast<off_t>(off), static_cast<off_t>(len));
    if (rc != 0 && (errno == EOPNOTSUPP || errno == ENOSYS)) {
      std::printf("fzfs_fsx: fallocate not supported (%s), not used any more\n", std::strerror(errno));
      fallocate_ok_ = false;
      return true;
    }
    if (rc != 0) return fail_errno("fallocate");
    model_.grow_to(off + len);  // allocation never changes existing bytes
    log_.back().size_after = model_.size();
    return check_size();
  }

  bool do_map_read() {
    if (model_.size() == 0) return do_read();
    uint64_t off = random(0, model_.size() - 1);
    uint64_t len = std::min(random(1, opt_.max_op), model_.size() - off);
    log(Op::kMapRead, off, len);
    uint64_t page_off = off & ~uint64_t{4095};
    size_t map_len = off + len - page_off;
    void* m = ::mmap(nullptr, map_len, PROT_READ, MAP_SHARED, fd_, static_cast<off_t>(page_off));
    if (m == MAP_FAILED) return map_unsupported("mmap(PROT_READ)");
    std::vector<uint8_t> got(len);
    std::memcpy(got.data(), static_cast<uint8_t*>(m) + (off - page_off), len);
    ::munmap(m, map_len);
    return compare(got.data(), off, len, "mapread");
  }

  bool do_map_write() {
    uint64_t off, len;
    choose_range(off, len);
    log(Op::kMapWrite, off, len);
    // Like fsx: extend the file first, a mapping cannot grow it.
    if (off + len > model_.size()) {
      if (::ftruncate(fd_, static_cast<off_t>(off + len)) != 0) return fail_errno("ftruncate (mapwrite)");
      model_.truncate(off + len);
    }
    std::vector<uint8_t> buf(len);
    fill(buf);
    uint64_t page_off = off & ~uint64_t{4095};
    size_t map_len = off + len - page_off;
    void* m = ::mmap(nullptr, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, static_cast<off_t>(page_off));
    if (m == MAP_FAILED) return map_unsupported("mmap(PROT_WRITE)");
    std::memcpy(static_cast<uint8_t*>(m) + (off - page_off), buf.data(), len);
    int rc = ::msync(m, map_len, MS_SYNC);
    ::munmap(m, map_len);
    if (rc != 0) return fail_errno("msync");
    model_.write(off, buf.data(), len, number_);
    log_.back().size_after = model_.size();
    return check_size();
  }

  bool do_fsync() {
    log(Op::kFsync, 0, 0);
    if (::fsync(fd_) != 0) return fail_errno("fsync");
    return true;
  }

  bool do_reopen() {
    log(Op::kReopen, 0, 0);
    if (::close(fd_) != 0) return fail_errno("close");
    fd_ = -1;
    if (!open_file(0)) return false;
    return check_size() && verify_whole("after reopen");
  }

  // Flips one byte of the file without telling the model: the next check must catch it.
  bool corrupt_one_byte() {
    // An empty file gets a byte it should not have; otherwise one byte changes value.
    uint64_t off = model_.size() == 0 ? 0 : random(0, model_.size() - 1);
    uint8_t b = model_.size() == 0 ? 0x5a : static_cast<uint8_t>(model_.data()[off] ^ 0x5a);
    std::printf("fzfs_fsx: self-check: corrupting byte %" PRIu64 " after op %" PRIu64 "\n", off, number_);
    std::fflush(stdout);
    return ::pwrite(fd_, &b, 1, static_cast<off_t>(off)) == 1;
  }

  bool open_file(int extra_flags) {
    fd_ = ::open(opt_.file.c_str(), O_RDWR | O_CREAT | extra_flags, 0644);
    if (fd_ < 0) {
      std::fprintf(stderr, "fzfs_fsx: open %s: %s\n", opt_.file.c_str(), std::strerror(errno));
      return false;
    }
    return true;
  }

  bool map_unsupported(const char* what) {
    if (errno == ENODEV || errno == EOPNOTSUPP) {
      std::printf("fzfs_fsx: %s not supported (%s), not used any more\n", what, std::strerror(errno));
      mmap_ok_ = false;
      return true;
    }
    return fail_errno(what);
  }

  void fill(std::vector<uint8_t>& buf) {
    // Random bytes without zeros, so that data never looks like a hole by chance.
    for (size_t i = 0; i < buf.size(); i += 8) {
      uint64_t r = rng_();
      for (size_t k = i; k < std::min(buf.size(), i + 8); ++k, r >>= 8) {
        buf[k] = static_cast<uint8_t>(r) | ((r & 0xff) == 0 ? 1 : 0);
      }
    }
  }

  bool pwrite_all(const uint8_t* p, uint64_t len, uint64_t off) {
    while (len > 0) {
      ssize_t n = ::pwrite(fd_, p, len, static_cast<off_t>(off));
      if (n <= 0) return fail_errno("pwrite");
      p += n;
      off += static_cast<uint64_t>(n);
      len -= static_cast<uint64_t>(n);
    }
    return true;
  }

  bool check_size() {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return fail_errno("fstat");
    if (static_cast<uint64_t>(st.st_size) != model_.size()) {
      return fail("file size %" PRIu64 ", expected %" PRIu64, static_cast<uint64_t>(st.st_size), model_.size());
    }
    return true;
  }

  bool verify_whole(const char* when) {
    std::vector<uint8_t> got(model_.size());
    uint64_t done = 0;
    while (done < got.size()) {
      ssize_t n = ::pread(fd_, got.data() + done, got.size() - done, static_cast<off_t>(done));
      if (n < 0) return fail_errno("pread (whole file)");
      if (n == 0) return fail("whole-file read %s ended at %" PRIu64 " of %" PRIu64, when, done, model_.size());
      done += static_cast<uint64_t>(n);
    }
    return compare(got.data(), 0, got.size(), when);
  }

  bool compare(const uint8_t* got, uint64_t off, uint64_t len, const char* what) {
    const uint8_t* want = model_.data() + off;
    if (len == 0 || std::memcmp(got, want, len) == 0) return true;
    uint64_t i = 0;
    while (got[i] == want[i]) ++i;
    uint64_t bad = off + i;
    uint64_t run = i;
    while (run < len && got[run] != want[run]) ++run;
    report_log();
    std::fprintf(stderr,
                 "fzfs_fsx: MISMATCH in %s of [%" PRIu64 ", +%" PRIu64 ") at op %" PRIu64 "\n"
                 "  first differing offset %" PRIu64 " (0x%" PRIx64 "): expected 0x%02x, got 0x%02x\n"
                 "  expected byte written by op %" PRIu64 " (0 = zero from truncate/hole/never written)\n"
                 "  %" PRIu64 " differing bytes in a row; file size %" PRIu64 "\n",
                 what, off, len, number_, bad, bad, want[i], got[i], model_.writer(bad), run - i, model_.size());
    dump_bytes("expected", want, i, len);
    dump_bytes("got     ", got, i, len);
    return false;
  }

  static void dump_bytes(const char* label, const uint8_t* p, uint64_t from, uint64_t len) {
    std::fprintf(stderr, "  %s:", label);
    for (uint64_t k = from; k < std::min(len, from + 16); ++k) std::fprintf(stderr, " %02x", p[k]);
    std::fprintf(stderr, "\n");
  }

  bool fail_errno(const char* what) {
    int e = errno;
    return fail("%s: %s", what, std::strerror(e));
  }

  template <typename... Args>
  bool fail(const char* fmt, Args... args) {
    report_log();
    std::fprintf(stderr, "fzfs_fsx: FAILURE at op %" PRIu64 ": ", number_);
    std::fprintf(stderr, fmt, args...);
    std::fprintf(stderr, "\n");
    return false;
  }

  void report_log() const {
    std::fprintf(stderr, "fzfs_fsx: seed %" PRIu64 ", last %zu operations (number op offset length size-after):\n",
                 opt_.seed, log_.size());
    for (const auto& e : log_) {
      std::fprintf(stderr, "  %8" PRIu64 " %-10s %10" PRIu64 " %8" PRIu64 " %10" PRIu64 "\n", e.number,
                   op_name(e.op), e.offset, e.length, e.size_after);
    }
  }

  int fail_exit() {
    std::fprintf(stderr, "fzfs_fsx: reproduce with --seed %" PRIu64 " --max-size %" PRIu64 " --max-op %" PRIu64
                 " --ops %" PRIu64 "\n", opt_.seed, opt_.max_size, opt_.max_op, opt_.ops);
    return 1;
  }

  void print_counts() const {
    std::printf("fzfs_fsx: ops by type:");
    for (int i = 0; i <= static_cast<int>(Op::kReopen); ++i) {
      std::printf(" %s=%" PRIu64, op_name(static_cast<Op>(i)), counts_[i]);
    }
    std::printf("\n");
  }

  Options opt_;
  std::mt19937_64 rng_;
  Model model_;
  std::deque<LogEntry> log_;
  uint64_t counts_[9] = {};
  uint64_t number_ = 0;
  int fd_ = -1;
  bool punch_ok_ = true;
  bool fallocate_ok_ = true;
  bool mmap_ok_ = true;
};

bool parse_size(const char* s, uint64_t& out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || end == s) return false;
  switch (*end) {
    case 'k': case 'K': v <<= 10; ++end; break;
    case 'm': case 'M': v <<= 20; ++end; break;
    case 'g': case 'G': v <<= 30; ++end; break;
    default: break;
  }
  if (*end != '\0') return false;
  out = v;
  return true;
}

int usage() {
  std::fprintf(stderr,
               "usage: fzfs_fsx FILE [--ops N] [--seed S] [--max-size BYTES] [--max-op BYTES] [--keep]\n"
               "  FILE may be a directory: a fresh file is made in it (removed after a clean run).\n"
               "  Sizes take K, M, G suffixes. Defaults: --ops 10000 --max-size 1M --max-op 64K,\n"
               "  seed from the clock (printed).\n"
               "  --corrupt-at OP (self-check of the checker): after operation OP, change one byte\n"
               "  of the file behind the model's back; the run must then report a mismatch.\n");
  return 2;
}

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](uint64_t& out) { return i + 1 < argc && parse_size(argv[++i], out); };
    if (a == "--ops") {
      if (!value(o.ops)) return false;
    } else if (a == "--seed") {
      if (!value(o.seed)) return false;
      o.seed_given = true;
    } else if (a == "--max-size") {
      if (!value(o.max_size)) return false;
    } else if (a == "--max-op") {
      if (!value(o.max_op)) return false;
    } else if (a == "--corrupt-at") {
      if (!value(o.corrupt_at)) return false;
    } else if (a == "--keep") {
      o.keep = true;
    } else if (!a.empty() && a[0] != '-' && o.file.empty()) {
      o.file = a;
    } else {
      return false;
    }
  }
  return !o.file.empty() && o.max_size > 0 && o.max_op > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_args(argc, argv, o)) return usage();
  if (!o.seed_given) o.seed = static_cast<uint64_t>(::time(nullptr)) ^ static_cast<uint64_t>(::getpid());
  o.max_op = std::min(o.max_op, o.max_size);

  bool made_file = false;
  struct stat st {};
  if (::stat(o.file.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::string pattern = o.file + "/fzfs_fsx.XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    int fd = ::mkstemp(buf.data());
    if (fd < 0) {
      std::fprintf(stderr, "fzfs_fsx: mkstemp %s: %s\n", pattern.c_str(), std::strerror(errno));
      return 2;
    }
    ::close(fd);
    o.file = buf.data();
    made_file = true;
  }
  std::printf("fzfs_fsx: file %s, seed %" PRIu64 "\n", o.file.c_str(), o.seed);
  std::fflush(stdout);
  int rc = Fsx(o).run();
  // A failed run keeps its file for inspection, except the self-check whose failure is
  // the expected outcome.
  if (made_file && !o.keep && (rc == 0 || o.corrupt_at != 0)) {
    ::unlink(o.file.c_str());
  } else if (rc != 0) {
    std::fprintf(stderr, "fzfs_fsx: file kept at %s\n", o.file.c_str());
  }
  return rc;
}
