#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "engine/io/block_device.h"
#include "engine/io/fault_device.h"
#include "engine/io/memory_device.h"

namespace fzfs {
namespace {

class TempFile {
 public:
  explicit TempFile(uint64_t size) {
    char tmpl[] = "/tmp/fzfs-io-XXXXXX";
    int fd = mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(ftruncate(fd, static_cast<off_t>(size)), 0);
    close(fd);
    path_ = tmpl;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; i++) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

TEST(io_file_device, WriteThenReadBack) {
  TempFile f(1 << 20);
  auto dev = open_file_device(f.path(), /*writable=*/true, /*exclusive=*/false);
  ASSERT_TRUE(dev.ok()) << dev.error().message();
  EXPECT_EQ((*dev)->size(), 1u << 20);
  EXPECT_EQ((*dev)->path(), f.path());
  auto data = pattern(100000, 3);
  ASSERT_TRUE((*dev)->pwrite(data, 12345).ok());
  ASSERT_TRUE((*dev)->flush().ok());
  std::vector<uint8_t> back(data.size());
  ASSERT_TRUE((*dev)->pread(back, 12345).ok());
  EXPECT_EQ(back, data);

  // The bytes really are in the file, where we put them.
  std::ifstream in(f.path(), std::ios::binary);
  in.seekg(12345);
  std::vector<uint8_t> raw(data.size());
  in.read(reinterpret_cast<char*>(raw.data()), raw.size());
  EXPECT_EQ(raw, data);
}

TEST(io_file_device, ShortReadIsEio) {
  TempFile f(4096);
  auto dev = open_file_device(f.path(), false, false);
  ASSERT_TRUE(dev.ok());
  std::vector<uint8_t> buf(8192);
  Status s = (*dev)->pread(buf, 0);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), EIO);
  EXPECT_NE(s.error().message().find(f.path()), std::string::npos);
}

TEST(io_file_device, ReadOnlyRefusesWrites) {
  TempFile f(4096);
  auto dev = open_file_device(f.path(), false, false);
  ASSERT_TRUE(dev.ok());
  std::vector<uint8_t> buf(512, 1);
  EXPECT_FALSE((*dev)->pwrite(buf, 0).ok());
}

TEST(io_file_device, MissingFileNamesPath) {
  auto dev = open_file_device("/tmp/fzfs-io-does-not-exist", false, false);
  ASSERT_FALSE(dev.ok());
  EXPECT_EQ(dev.error().code(), ENOENT);
  EXPECT_NE(dev.error().message().find("/tmp/fzfs-io-does-not-exist"), std::string::npos);
}

TEST(io_file_device, ExclusiveOpenIsBusyWhenHeld) {
  TempFile f(4096);
  auto first = open_file_device(f.path(), true, true);
  ASSERT_TRUE(first.ok()) << first.error().message();
  // Another process holding the lock: a child tries to open the device exclusively.
  pid_t pid = fork();
  if (pid == 0) {
    auto second = open_file_device(f.path(), true, true);
    _exit(!second.ok() && second.error().code() == EBUSY ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // In this process too (flock belongs to the open file, not the process).
  auto again = open_file_device(f.path(), false, true);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), EBUSY);
  EXPECT_EQ(again.error().message(), "device " + f.path() + " is in use by another process");
  // A shared (non-exclusive) open still works, and the lock goes with the device.
  EXPECT_TRUE(open_file_device(f.path(), false, false).ok());
  first->reset();
  EXPECT_TRUE(open_file_device(f.path(), false, true).ok());
}

TEST(io_file_device, BlockDeviceSizeFromIoctl) {
  // A loop device needs root and a loop driver; skip where there is none.
  if (geteuid() != 0 || !std::filesystem::exists("/dev/loop-control")) GTEST_SKIP() << "no loop devices";
  TempFile f(3 << 20);
  std::string cmd = "losetup -f --show " + f.path() + " > " + f.path() + ".loop 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "losetup failed";
  std::string loop;
  std::ifstream(f.path() + ".loop") >> loop;
  std::filesystem::remove(f.path() + ".loop");
  {
    auto dev = open_file_device(loop, false, false);
    ASSERT_TRUE(dev.ok()) << dev.error().message();
    EXPECT_EQ((*dev)->size(), 3u << 20);
  }
  EXPECT_EQ(std::system(("losetup -d " + loop).c_str()), 0);
}

TEST(io_file_device, RefusesDirectories) {
  auto dev = open_file_device("/tmp", false, false);
  ASSERT_FALSE(dev.ok());
}

TEST(io_memory_device, BoundsChecked) {
  MemoryDevice m("mem", 1024);
  std::vector<uint8_t> buf(100, 9);
  EXPECT_TRUE(m.pwrite(buf, 924).ok());
  EXPECT_FALSE(m.pwrite(buf, 925).ok());
  EXPECT_FALSE(m.pread(buf, UINT64_MAX - 10).ok());
  std::vector<uint8_t> back(100);
  EXPECT_TRUE(m.pread(back, 924).ok());
  EXPECT_EQ(back, buf);
}

std::shared_ptr<MemoryDevice> filled(size_t n) {
  auto m = std::make_shared<MemoryDevice>("/fake/disk", n);
  m->bytes() = pattern(n, 1);
  return m;
}

TEST(io_fault_device, CorruptsOnlyTheRange) {
  auto mem = filled(8192);
  FaultDevice f(mem);
  f.corrupt_reads(1000, 24);
  std::vector<uint8_t> buf(2048);
  ASSERT_TRUE(f.pread(buf, 0).ok());
  for (size_t i = 0; i < buf.size(); i++) {
    if (i >= 1000 && i < 1024) EXPECT_NE(buf[i], mem->bytes()[i]) << i;
    else EXPECT_EQ(buf[i], mem->bytes()[i]) << i;
  }
  // A read that does not touch the range is clean, and the stored bytes never change.
  std::vector<uint8_t> clean(512);
  ASSERT_TRUE(f.pread(clean, 4096).ok());
  EXPECT_TRUE(std::equal(clean.begin(), clean.end(), mem->bytes().begin() + 4096));
  EXPECT_EQ(mem->bytes(), pattern(8192, 1));
  EXPECT_EQ(f.reads(), 2u);
}

TEST(io_fault_device, FailsReadsInRange) {
  FaultDevice f(filled(8192));
  f.fail_reads(4096, 512);
  std::vector<uint8_t> buf(512);
  EXPECT_TRUE(f.pread(buf, 3584).ok());
  Status s = f.pread(buf, 3585);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), EIO);
  EXPECT_NE(s.error().message().find("/fake/disk"), std::string::npos);
  EXPECT_TRUE(f.pread(buf, 4608).ok());
  EXPECT_TRUE(f.pwrite(buf, 4096).ok());  // writes are unaffected
}

TEST(io_fault_device, FailsWritesInRange) {
  auto mem = filled(8192);
  FaultDevice f(mem);
  f.fail_writes(0, 100);
  std::vector<uint8_t> zeros(200, 0);
  EXPECT_FALSE(f.pwrite(zeros, 50).ok());
  EXPECT_EQ(mem->bytes(), pattern(8192, 1));
  EXPECT_TRUE(f.pwrite(zeros, 100).ok());
  EXPECT_EQ(f.writes(), 2u);
}

TEST(io_fault_device, FailAllActsMissingThenRecovers) {
  FaultDevice f(filled(8192));
  f.fail_all();
  std::vector<uint8_t> buf(16);
  EXPECT_EQ(f.pread(buf, 0).error().code(), EIO);
  EXPECT_EQ(f.pwrite(buf, 0).error().code(), EIO);
  EXPECT_FALSE(f.flush().ok());
  f.clear();
  EXPECT_TRUE(f.pread(buf, 0).ok());
  EXPECT_EQ(f.size(), 8192u);
}

}  // namespace
}  // namespace fzfs
