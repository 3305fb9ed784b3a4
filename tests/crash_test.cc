// Crash safety: a process writing files through fzfs is killed with SIGKILL at a
// random moment, 50 times over. After every kill the pool must import, zfs-fuse must
// scrub it with 0 errors, and every file whose fsync returned before the kill must hold
// exactly its bytes. (The writer runs in a forked child: SIGKILL gives it no chance to
// flush anything; only what a txg sync made durable survives.)
// After each kill fzfs reads back every file made durable so far, and zfs-fuse those of
// the cycle just ended; after the last kill zfs-fuse reads them all. (zfs-fuse reading
// every file at every cycle grows with the square of the cycles and held the one
// zfs-fuse daemon, which other tests wait for, for minutes.)
// Labelled "integration"; skips when zfs-fuse or the corpus is absent.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <span>
#include <thread>

#include "engine/pool/pool.h"
#include "tests/corpus.h"
#include "tests/manifest.h"
#include "tests/oracle_tree.h"
#include "tests/pool_fixture.h"
#include "tests/zfs_fuse.h"

namespace fzfs::test {
namespace {

constexpr int kCycles = 50;

std::string content_of(int cycle, int i) {
  std::mt19937 rng(cycle * 100003 + i);
  size_t size = (rng() % 4 == 0) ? rng() % 600000 : rng() % 20000;
  return random_bytes(std::to_string(cycle) + ":" + std::to_string(i), size);
}
std::string name_of(int cycle, int i) { return "c" + std::to_string(cycle) + "-" + std::to_string(i); }

// fzfs's view of the pool the kill left: every durable file holds its bytes.
void expect_durable_in_fzfs(const std::string& devices, const std::string& pool, const std::string& dataset,
                            const std::map<std::string, std::string>& durable, int cycle) {
  ImportOptions opts{{devices}, pool};
  auto p = Pool::import(opts);
  ASSERT_TRUE(p.ok()) << "cycle " << cycle << ": " << p.error().message();
  auto fs = (*p)->open_filesystem(dataset);
  ASSERT_TRUE(fs.ok()) << "cycle " << cycle << ": " << fs.error().message();
  auto dir = (*fs)->lookup((*fs)->root_object(), "crash");
  ASSERT_TRUE(dir.ok()) << "cycle " << cycle << ": " << dir.error().message();
  std::string got;
  for (const auto& [name, bytes] : durable) {
    auto obj = (*fs)->lookup(*dir, name);
    if (!obj.ok()) {
      ADD_FAILURE() << "cycle " << cycle << ": fzfs: " << name << ": " << obj.error().message();
      continue;
    }
    got.assign(bytes.size() + 1, '\0');  // one byte more: a longer file shows
    auto n = (*fs)->read(*obj, 0, std::span(reinterpret_cast<uint8_t*>(got.data()), got.size()));
    if (!n.ok()) {
      ADD_FAILURE() << "cycle " << cycle << ": fzfs: " << name << ": " << n.error().message();
      continue;
    }
    got.resize(*n);
    EXPECT_TRUE(got == bytes) << "cycle " << cycle << ": fzfs reads " << name << " as " << got.size()
                              << " bytes that differ from the " << bytes.size() << " written";
  }
}

// The child: writes files forever, reporting on `fd` each one whose fsync returned.
[[noreturn]] void writer(const std::string& devices, const std::string& pool, const std::string& dataset, int cycle,
                         int fd) {
  ImportOptions opts{{devices}, pool};
  opts.readonly = false;
  auto p = Pool::import(opts);
  if (!p.ok()) _exit(2);
  auto fs = (*p)->open_filesystem(dataset);
  if (!fs.ok()) _exit(3);
  auto dir = (*fs)->lookup((*fs)->root_object(), "crash");
  if (!dir.ok()) _exit(4);
  uint64_t written = 0;
  for (int i = 0;; i++) {
    if (written > (12u << 20)) {
      // This cycle's share of the pool is used: keep syncing until the kill comes.
      (void)(*fs)->fsync(*dir, false);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    const std::string bytes = content_of(cycle, i);
    written += bytes.size();
    auto a = (*fs)->create(*dir, name_of(cycle, i), S_IFREG | 0644, 0, Creds{});
    if (!a.ok()) _exit(5);
    // Several writes, as an application would issue them.
    for (size_t off = 0; off < bytes.size(); off += 65536) {
      size_t n = std::min<size_t>(65536, bytes.size() - off);
      auto w = (*fs)->write(a->ino, off, std::span(reinterpret_cast<const uint8_t*>(bytes.data()) + off, n));
      if (!w.ok()) {
        fprintf(stderr, "writer: write: %s\n", w.error().message().c_str());
        _exit(6);
      }
    }
    if (i % 3 == 2) {
      if (Status s = (*fs)->fsync(a->ino, false); !s.ok()) {
        fprintf(stderr, "writer: fsync: %s\n", s.error().message().c_str());
        _exit(7);
      }
      std::string line = std::to_string(i) + "\n";  // every file up to i is durable
      if (::write(fd, line.data(), line.size()) < 0) _exit(8);
    }
  }
}

TEST(Crash, SigkillMidWriteLosesNothingFsynced) {
  if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
  const std::string pool = "crashpool", dataset = pool + "/data";
  PoolWorkspace ws;
  const std::string scratch = ws.dir() + "/zfs-fuse";
  mkdir(scratch.c_str(), 0755);
  ZfsFuse zf(scratch);
  ASSERT_EQ(zf.start(), "");
  // A 1 GiB two-way mirror made by zfs-fuse (pool version 23), with a file system.
  for (const char* d : {"/a", "/b"}) {
    int fd = open((ws.devices() + d).c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, 1LL << 30), 0);
    close(fd);
  }
  CommandResult made = zf.zpool({"create", "-o", "version=23", "-m", "none", pool, "mirror", ws.devices() + "/a",
                                 ws.devices() + "/b"});
  ASSERT_TRUE(made.ok()) << made.describe();
  ASSERT_TRUE(zf.zfs({"create", "-o", "mountpoint=/" + dataset, dataset}).ok());
  ASSERT_TRUE(zf.zpool({"export", pool}).ok());
  {
    ImportOptions opts{{ws.devices()}, pool};
    opts.readonly = false;
    auto p = Pool::import(opts);
    ASSERT_TRUE(p.ok()) << p.error().message();
    auto fs = (*p)->open_filesystem(dataset);
    ASSERT_TRUE(fs.ok());
    ASSERT_TRUE((*fs)->mkdir((*fs)->root_object(), "crash", 0755, Creds{}).ok());
    ASSERT_TRUE((*p)->export_pool().ok());
  }
  std::mt19937 rng(12345);
  std::map<std::string, std::string> durable;  // name -> bytes whose fsync returned
  for (int cycle = 0; cycle < kCycles; cycle++) {
    int pfd[2];
    ASSERT_EQ(pipe(pfd), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(pfd[0]);
      writer(ws.devices(), pool, dataset, cycle, pfd[1]);
    }
    close(pfd[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 2500));
    kill(pid, SIGKILL);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "cycle " << cycle << ": the writer exited early with status "
                                      << WEXITSTATUS(wstatus);
    std::string reported;
    char buf[4096];
    for (ssize_t n; (n = read(pfd[0], buf, sizeof buf)) > 0;) reported.append(buf, n);
    close(pfd[0]);
    int last = -1;
    for (size_t pos = 0; pos < reported.size();) {
      size_t nl = reported.find('\n', pos);
      if (nl == std::string::npos) break;
      last = std::stoi(reported.substr(pos, nl - pos));
      pos = nl + 1;
    }
    for (int i = 0; i <= last; i++) durable[name_of(cycle, i)] = content_of(cycle, i);
    expect_durable_in_fzfs(ws.devices(), pool, dataset, durable, cycle);
    if (HasFailure()) break;

    // zfs-fuse: imports the pool as the kill left it, scrubs clean, shows this cycle's
    // durable files (and, after the last kill, every one).
    CommandResult imp = zf.zpool({"import", "-f", "-d", ws.devices(), "-R", ws.altroot(), pool});
    ASSERT_TRUE(imp.ok()) << "cycle " << cycle << ": " << imp.describe();
    CommandResult status = zf.scrub_and_wait(pool);
    EXPECT_TRUE(status.ok()) << "cycle " << cycle << ": " << status.describe();
    CommandResult mp = zf.zfs({"get", "-H", "-o", "value", "mountpoint", dataset});
    ASSERT_TRUE(mp.ok()) << mp.describe();
    const std::string dir = mp.out.substr(0, mp.out.find('\n')) + "/crash/";
    const bool last_cycle = cycle + 1 == kCycles;
    const std::string this_cycle = "c" + std::to_string(cycle) + "-";
    int checked = 0;
    for (const auto& [name, bytes] : durable) {
      if (!last_cycle && name.rfind(this_cycle, 0) != 0) continue;
      std::string got;
      try {
        got = sha256_file(dir + name);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "cycle " << cycle << ": " << e.what();
        continue;
      }
      EXPECT_EQ(got, sha256_hex(bytes)) << "cycle " << cycle << ": " << name;
      checked++;
    }
    CommandResult exp = zf.zpool({"export", pool});
    ASSERT_TRUE(exp.ok()) << exp.describe();
    if (HasFailure()) break;
    RecordProperty("cycle" + std::to_string(cycle), checked);
  }
  EXPECT_GT(durable.size(), size_t(kCycles)) << "the writer made too little progress to prove anything";
  std::cout << kCycles << " kills; " << durable.size()
            << " fsync'd files intact after each (fzfs read all, zfs-fuse the new ones, and all after the last);"
               " zfs-fuse scrubbed clean each time\n";
  EXPECT_EQ(zf.stop(), "");
}

}  // namespace
}  // namespace fzfs::test
