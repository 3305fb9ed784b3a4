#include "tests/damage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

namespace fzfs::test {
namespace {

constexpr uint64_t kLabelSize = 256 * 1024;
constexpr uint64_t kBlock = 4096;
constexpr uint64_t kDataStart = 4 * 1024 * 1024;

class File {
 public:
  explicit File(const std::string& path) : path_(path) {
    fd_ = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("open " + path + ": " + strerror(errno));
  }
  ~File() { close(fd_); }

  uint64_t size() const {
    struct stat st;
    if (fstat(fd_, &st) != 0) throw std::runtime_error("stat " + path_);
    return static_cast<uint64_t>(st.st_size);
  }
  void write_at(uint64_t off, const std::vector<char>& buf) {
    if (pwrite(fd_, buf.data(), buf.size(), static_cast<off_t>(off)) != static_cast<ssize_t>(buf.size())) {
      throw std::runtime_error("write " + path_ + ": " + strerror(errno));
    }
  }
  bool block_has_data(uint64_t off) const {
    char buf[kBlock];
    ssize_t n = pread(fd_, buf, kBlock, static_cast<off_t>(off));
    return n > 0 && std::any_of(buf, buf + n, [](char c) { return c != 0; });
  }
  // Next offset >= OFF that is not in a hole (or SIZE when none).
  uint64_t next_data(uint64_t off, uint64_t size) const {
    off_t d = lseek(fd_, static_cast<off_t>(off), SEEK_DATA);
    return d < 0 ? size : static_cast<uint64_t>(d);
  }
  uint64_t next_hole(uint64_t off, uint64_t size) const {
    off_t h = lseek(fd_, static_cast<off_t>(off), SEEK_HOLE);
    return h < 0 ? size : static_cast<uint64_t>(h);
  }

 private:
  std::string path_;
  int fd_;
};

std::vector<char> bytes(size_t n, Fill fill, std::mt19937_64& rng) {
  std::vector<char> buf(n, 0);
  if (fill == Fill::kRandom) {
    for (auto& c : buf) c = static_cast<char>(rng());
  }
  return buf;
}

}  // namespace

void overwrite_labels(const std::string& path, LabelPart part, Fill fill, uint64_t seed) {
  File f(path);
  uint64_t size = f.size() / kLabelSize * kLabelSize;
  if (size < 4 * kLabelSize) throw std::runtime_error(path + " is too small to hold four labels");
  uint64_t begin = 0, end = kLabelSize;
  if (part == LabelPart::kNvlist) begin = 16 * 1024, end = 128 * 1024;
  if (part == LabelPart::kUberblocks) begin = 128 * 1024, end = kLabelSize;
  std::mt19937_64 rng(seed);
  for (uint64_t label : {uint64_t{0}, kLabelSize, size - 2 * kLabelSize, size - kLabelSize}) {
    f.write_at(label + begin, bytes(end - begin, fill, rng));
  }
}

size_t garble_data_blocks(const std::string& path, double fraction, uint64_t seed) {
  File f(path);
  uint64_t size = f.size();
  if (size < kDataStart + 2 * kLabelSize) throw std::runtime_error(path + " is too small");
  uint64_t end = (size / kLabelSize * kLabelSize - 2 * kLabelSize) / kBlock * kBlock;
  std::vector<uint64_t> candidates;
  for (uint64_t off = f.next_data(kDataStart, end); off < end;) {
    uint64_t hole = std::min(f.next_hole(off, end), end);
    for (uint64_t b = off / kBlock * kBlock; b < hole; b += kBlock) {
      if (f.block_has_data(b)) candidates.push_back(b);
    }
    off = hole >= end ? end : f.next_data(hole, end);
  }
  size_t want = std::max<size_t>(1, static_cast<size_t>(static_cast<double>((end - kDataStart) / kBlock) * fraction));
  std::mt19937_64 rng(seed);
  std::shuffle(candidates.begin(), candidates.end(), rng);
  candidates.resize(std::min(want, candidates.size()));
  for (uint64_t b : candidates) f.write_at(b, bytes(kBlock, Fill::kRandom, rng));
  return candidates.size();
}

void fill_random(const std::string& path, uint64_t seed) {
  File f(path);
  uint64_t size = f.size();
  std::mt19937_64 rng(seed);
  for (uint64_t off = 0; off < size; off += 1 << 20) {
    f.write_at(off, bytes(static_cast<size_t>(std::min<uint64_t>(1 << 20, size - off)), Fill::kRandom, rng));
  }
}

void truncate_to(const std::string& path, uint64_t size) {
  if (truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
    throw std::runtime_error("truncate " + path + ": " + strerror(errno));
  }
}

}  // namespace fzfs::test
