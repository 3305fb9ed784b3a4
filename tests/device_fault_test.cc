// A pool's device file turns read-only, or vanishes, while the pool is imported
// read-write and mounted through the fzfs daemon. Plain files cannot stage that (an
// open fd keeps working after chmod or unlink), so the device lives on
// faulty_backing_fs, a FUSE pass-through the test switches into failing:
//
//   backing/dev  ◄── faulty_backing_fs ──►  devices/dev  ◄── fzpool (daemon) ──►  root/POOL
//                    (.fault: ok | readonly | gone)
//
// For each mode: files fsync'd before the fault (some cold, written in an earlier
// import, some still in the daemon's cache) must survive; under the fault, fsync fails
// with a clear errno, `fzpool status` says why (naming the device), reads of synced
// data return the right bytes or EIO, every syscall returns (each runs in a child
// process with a time limit), export ends and the daemon exits. With the device back,
// fzfs re-imports the pool and finds every synced byte, and zfs-fuse imports it and
// scrubs it with 0 errors.
// Labelled "integration"; skips without the tools, FUSE or root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "tests/manifest.h"
#include "tests/oracle_tree.h"
#include "tests/pool_fixture.h"
#include "tests/zfs_fuse.h"

namespace fzfs::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool mounted(const std::string& path) {
  std::ifstream in("/proc/self/mounts");
  std::string dev, mp, rest;
  while (in >> dev >> mp && std::getline(in, rest))
    if (mp == path) return true;
  return false;
}

bool alive(pid_t pid) { return pid > 0 && kill(pid, 0) == 0; }

// What a bounded operation did: whether it returned in time, the errno it failed
// with (0 for success), the step that failed, and what it produced.
struct Outcome {
  bool returned = false;
  int err = 0;
  std::string step, out;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  if (!o.returned) return os << "did not return in time";
  if (o.err == 0) return os << "succeeded";
  return os << o.step << " failed: " << std::strerror(o.err) << " (errno " << o.err << ")";
}

// Runs BODY in a child process that is killed after LIMIT, so that a request stuck in
// a FUSE file system cannot hang the test. BODY returns the errno it failed with (or
// 0) and fills `step` and `out`, which travel back through a pipe as "step\nout".
Outcome bounded(const std::function<int(std::string* step, std::string* out)>& body,
                std::chrono::seconds limit = 30s) {
  int pfd[2];
  if (pipe(pfd) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    std::string step, out;
    const int err = body(&step, &out);
    const std::string msg = step + "\n" + out;
    if (::write(pfd[1], msg.data(), msg.size()) < 0) _exit(255);
    _exit(err);
  }
  close(pfd[1]);
  Outcome o;
  int status = 0;
  const auto deadline = Clock::now() + limit;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      close(pfd[0]);
      return o;
    }
    std::this_thread::sleep_for(10ms);
  }
  std::string msg;
  char buf[4096];
  for (ssize_t n; (n = read(pfd[0], buf, sizeof buf)) > 0;) msg.append(buf, n);
  close(pfd[0]);
  o.returned = WIFEXITED(status);
  o.err = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  const size_t nl = msg.find('\n');
  o.step = msg.substr(0, nl);
  if (nl != std::string::npos) o.out = msg.substr(nl + 1);
  return o;
}

// Creates PATH with BYTES, fsyncs it if asked, closes it; the errno of the first step
// that failed.
Outcome write_file(const std::string& path, const std::string& bytes, bool fsync_it) {
  return bounded([&](std::string* step, std::string*) {
    *step = "open";
    const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) return errno;
    *step = "write";
    for (size_t done = 0; done < bytes.size();) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0) return errno;
      done += static_cast<size_t>(n);
    }
    *step = "fsync";
    if (fsync_it && fsync(fd) != 0) return errno;
    *step = "close";
    return close(fd) == 0 ? 0 : errno;
  });
}

// Reads PATH whole; `out` is its SHA-256.
Outcome read_file(const std::string& path) {
  return bounded([&](std::string* step, std::string* out) {
    *step = "open";
    const int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0) return errno;
    *step = "read";
    std::string bytes;
    char buf[65536];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
      if (n < 0) return errno;
      bytes.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    *out = sha256_hex(bytes);
    return 0;
  });
}

// faulty_backing_fs serving BACKING at MOUNTPOINT, as a child process of the test.
class FaultyMount {
 public:
  FaultyMount(std::string backing, std::string mountpoint, std::string log)
      : backing_(std::move(backing)), mnt_(std::move(mountpoint)), log_(std::move(log)) {}
  ~FaultyMount() {
    if (pid_ <= 0) return;
    (void)set("ok");
    (void)unmount();
    if (pid_ > 0) {  // still busy: detach it, then end the process
      run_command({"fusermount3", "-u", "-z", mnt_}, CommandOptions{});
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // "" once the mount is up, else why not.
  std::string start() {
    pid_ = fork();
    if (pid_ < 0) return std::string("fork: ") + std::strerror(errno);
    if (pid_ == 0) {
      const int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      execl(FAULTY_BACKING_FS_BIN, FAULTY_BACKING_FS_BIN, backing_.c_str(), mnt_.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 100 && !mounted(mnt_); i++) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = 0;
        return "faulty_backing_fs exited: " + log();
      }
      std::this_thread::sleep_for(100ms);
    }
    return mounted(mnt_) ? "" : "faulty_backing_fs did not mount: " + log();
  }

  // Switches the failure mode: ok, readonly or gone.
  bool set(const std::string& mode) {
    std::ofstream f(mnt_ + "/.fault");
    f << mode << "\n";
    return static_cast<bool>(f.flush());
  }

  // Unmounts (retrying while the kernel still holds the device open) and returns the
  // process's exit status: -1 if it was killed, or did not end (then it is still ours).
  int unmount() {
    CommandOptions opts;
    opts.timeout = 20s;
    for (int i = 0; i < 50 && mounted(mnt_); i++) {
      if (run_command({"fusermount3", "-u", mnt_}, opts).ok()) break;
      std::this_thread::sleep_for(200ms);
    }
    int status = 0;
    for (int i = 0; i < 100; i++) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(100ms);
    }
    return -1;
  }

  std::string log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string backing_, mnt_, log_;
  pid_t pid_ = 0;
};

struct Fault {
  std::string mode;            // what faulty_backing_fs is told
  std::set<int> fsync_errnos;  // what a failing fsync may report
  bool reads_work;             // reads of synced data must still return its bytes
};

void PrintTo(const Fault& f, std::ostream* os) { *os << f.mode; }

class DeviceFault : public ::testing::TestWithParam<Fault> {
 protected:
  void SetUp() override {
    if (std::string why = missing_tools(); !why.empty()) GTEST_SKIP() << why;
    if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "needs root and /dev/fuse";
    backing_ = ws_.dir() + "/backing";
    ASSERT_EQ(mkdir(backing_.c_str(), 0755), 0);
    // The faulty mount sits on devices/: the workspace's imports scan it.
    faulty_ = std::make_unique<FaultyMount>(backing_, ws_.devices(), ws_.dir() + "/faulty.log");
    ASSERT_EQ(faulty_->start(), "");
  }
  // A test that stopped early may leave its pool imported on the faulty mount: heal the
  // device, export, and unmount it before the workspace looks for stray mounts.
  void TearDown() override {
    if (faulty_ && !pool_.empty()) {
      faulty_->set("ok");
      (void)ws_.export_pool(pool_);
    }
    faulty_.reset();
  }

  // Writes NAME under the pool's mount with BYTES and fsyncs it; remembers it as synced.
  void write_synced(const std::string& name, const std::string& bytes) {
    Outcome o = write_file(mnt_ + "/" + name, bytes, true);
    ASSERT_TRUE(o.returned && o.err == 0) << name << ": " << o;
    synced_[name] = sha256_hex(bytes);
  }

  PoolWorkspace ws_;
  std::string pool_, backing_, mnt_;
  std::unique_ptr<FaultyMount> faulty_;
  std::map<std::string, std::string> synced_;  // name -> SHA-256 of what was fsync'd
};

TEST_P(DeviceFault, ClearErrorsAndNothingSyncedIsLost) {
  const Fault& fault = GetParam();
  const std::string pool = pool_ = "fault" + fault.mode;
  const std::string dev = ws_.make_device("dev", 128ULL << 20);
  CommandResult made = ws_.create_pool(pool, {dev}, {"-o", "version=23", "-m", "/" + pool});
  ASSERT_TRUE(made.ok()) << made.describe();
  mnt_ = ws_.mounted_at("/" + pool);

  // Cold files: synced, then the pool is exported and imported again, so that the
  // daemon has to read them from the device.
  for (size_t size : {1000, 200000, 3 << 20})
    write_synced("cold-" + std::to_string(size), random_bytes("c" + std::to_string(size), size));
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(ws_.export_pool(pool).ok());
  CommandResult imported = ws_.import_readwrite(pool);
  ASSERT_TRUE(imported.ok()) << imported.describe();
  // Warm files: synced in this import (the daemon may still have their blocks cached).
  for (size_t size : {5000, 1 << 20})
    write_synced("warm-" + std::to_string(size), random_bytes("w" + std::to_string(size), size));
  ASSERT_FALSE(HasFatalFailure());
  std::ifstream pidfile(ws_.rundir() + "/" + pool + ".pid");
  pid_t daemon = 0;
  pidfile >> daemon;
  ASSERT_TRUE(alive(daemon)) << "no pool daemon";

  ASSERT_TRUE(faulty_->set(fault.mode));

  // New data cannot reach the device: fsync (or an earlier step) fails with a clear errno.
  Outcome late = write_file(mnt_ + "/late", random_bytes("late", 2 << 20), true);
  ASSERT_TRUE(late.returned) << "write + fsync of a new file: " << late;
  EXPECT_TRUE(fault.fsync_errnos.count(late.err)) << "write + fsync of a new file: " << late;
  // The pool is suspended now: further changes are refused at once.
  Outcome later = write_file(mnt_ + "/later", "more", true);
  ASSERT_TRUE(later.returned) << "a change after the failure: " << later;
  EXPECT_NE(later.err, 0) << "a change after the failure: " << later;

  // `fzpool status` explains, naming the device.
  CommandResult status = ws_.fzpool({"status", pool}, 30s);
  EXPECT_FALSE(status.timed_out) << status.describe();
  EXPECT_NE(status.out.find("state: SUSPENDED"), std::string::npos) << status.describe();
  EXPECT_NE(status.out.find(dev), std::string::npos) << status.describe();
  if (late.err > 0) {
    EXPECT_NE(status.out.find(std::strerror(late.err)), std::string::npos) << status.describe();
  }

  // Reads of synced files: the right bytes, or (the device gone) EIO; never wrong bytes.
  std::string reads;
  for (const auto& [name, sha] : synced_) {
    Outcome r = read_file(mnt_ + "/" + name);
    reads += "  read " + name + ": " + ::testing::PrintToString(r) + "\n";
    ASSERT_TRUE(r.returned) << "read " << name << ": " << r;
    if (r.err == 0) {
      EXPECT_EQ(r.out, sha) << "read " << name;
    } else {
      EXPECT_EQ(r.err, EIO) << "read " << name << ": " << r;
    }
    if (fault.reads_work) {
      EXPECT_EQ(r.err, 0) << "read " << name << " (the device still reads): " << r;
    } else if (name.rfind("cold-", 0) == 0) {
      EXPECT_EQ(r.err, EIO) << "read " << name << " (not cached, the device gone): " << r;
    }
  }

  // Export ends (its error is expected: the last sync cannot be written), and so does
  // the daemon, taking its mount with it.
  CommandResult exported = ws_.export_pool(pool);
  EXPECT_FALSE(exported.timed_out) << exported.describe();
  if (!exported.ok()) {
    EXPECT_NE(exported.err.find(dev), std::string::npos) << exported.describe();
  }
  std::cout << fault.mode << ": fsync of new data: " << late << "; next change: " << later << "\n"
            << reads << "fzpool status:\n" << status.out << "fzpool export: " << exported.describe() << "\n";
  for (int i = 0; i < 300 && alive(daemon); i++) std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(alive(daemon)) << "the pool daemon did not exit";
  EXPECT_FALSE(mounted(mnt_)) << "the pool's mount is still there";

  // The device comes back: fzfs imports the pool at its last good txg with every
  // synced file intact, and a new change sticks.
  ASSERT_TRUE(faulty_->set("ok"));
  imported = ws_.import_readwrite(pool);
  ASSERT_TRUE(imported.ok()) << imported.describe();
  for (const auto& [name, sha] : synced_) {
    Outcome r = read_file(mnt_ + "/" + name);
    EXPECT_TRUE(r.returned && r.err == 0 && r.out == sha) << "after re-import, " << name << ": " << r;
  }
  write_synced("recovered", "written after the device came back\n");
  CommandResult final_export = ws_.export_pool(pool);
  ASSERT_TRUE(final_export.ok()) << final_export.describe();
  EXPECT_EQ(faulty_->unmount(), 0) << faulty_->log();

  // zfs-fuse, reading the backing file directly, agrees.
  if (std::string why = ZfsFuse::unavailable(); !why.empty()) {
    std::cout << "zfs-fuse check skipped: " << why << "\n";
    return;
  }
  const std::string scratch = ws_.dir() + "/zfs-fuse";
  mkdir(scratch.c_str(), 0755);
  ZfsFuse zf(scratch);
  ASSERT_EQ(zf.start(), "");
  std::cout << "zfs-fuse: waited " << zf.lock_waited().count() << " ms for its lock\n";
  CommandResult imp = zf.zpool({"import", "-f", "-d", backing_, "-R", ws_.altroot(), pool});
  ASSERT_TRUE(imp.ok()) << imp.describe();
  CommandResult scrub = zf.scrub_and_wait(pool);
  EXPECT_TRUE(scrub.ok()) << scrub.describe();
  CommandResult mp = zf.zfs({"get", "-H", "-o", "value", "mountpoint", pool});
  ASSERT_TRUE(mp.ok()) << mp.describe();
  const std::string zmnt = mp.out.substr(0, mp.out.find('\n'));
  for (const auto& [name, sha] : synced_) {
    EXPECT_EQ(sha256_file(zmnt + "/" + name), sha) << "zfs-fuse: " << name;
  }
  CommandResult zexp = zf.zpool({"export", pool});
  EXPECT_TRUE(zexp.ok()) << zexp.describe();
  EXPECT_EQ(zf.stop(), "");
}

INSTANTIATE_TEST_SUITE_P(Modes, DeviceFault,
                         ::testing::Values(Fault{"readonly", {EROFS, EIO}, true}, Fault{"gone", {EIO, ENXIO}, false}),
                         [](const auto& info) { return info.param.mode; });

}  // namespace
}  // namespace fzfs::test
