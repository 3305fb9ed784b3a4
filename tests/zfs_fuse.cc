#include "tests/zfs_fuse.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

namespace fzfs::test {
namespace {

constexpr const char* kDaemon = "/usr/sbin/zfs-fuse";
constexpr const char* kZpool = "/sbin/zpool";
constexpr const char* kZfs = "/sbin/zfs";
constexpr const char* kLockFile = "/tmp/fzfs-zfs-fuse.lock";
// Other test binaries may hold the oracle for a whole test case: wait that long.
constexpr auto kLockWait = std::chrono::minutes(10);

using Clock = std::chrono::steady_clock;

bool alive(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

// Polls until the process is gone or LIMIT passes; true when gone.
bool wait_gone(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = Clock::now() + limit;
  while (alive(pid)) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// Marks R as failed (ok() false) and says why at the end of its stderr.
CommandResult failed(CommandResult r, const std::string& why) {
  if (r.ok()) r.exit_code = 1;
  r.err += (r.err.empty() || r.err.back() == '\n' ? "" : "\n") + ("scrub_and_wait: " + why);
  return r;
}

pid_t read_pid(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 1) return 0;
  return static_cast<pid_t>(pid);
}

}  // namespace

std::string ZfsFuse::unavailable() {
  std::string missing;
  for (const char* p : {kDaemon, kZpool, kZfs}) {
    if (access(p, X_OK) != 0) missing += std::string(missing.empty() ? "" : ", ") + p;
  }
  if (!missing.empty()) return "zfs-fuse is not installed (missing " + missing + ")";
  if (access("/dev/fuse", R_OK | W_OK) != 0) return "/dev/fuse is not usable";
  return "";
}

ZfsFuse::ZfsFuse(std::string scratch) : scratch_(std::move(scratch)), pidfile_(scratch_ + "/zfs-fuse.pid") {}

ZfsFuse::~ZfsFuse() { stop(); }

std::string ZfsFuse::acquire_lock() {
  // O_CLOEXEC: the daemon must not inherit the lock and keep it after we stopped it.
  lock_fd_ = open(kLockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (lock_fd_ < 0) return std::string("open ") + kLockFile + ": " + strerror(errno);
  auto began = Clock::now();
  auto deadline = began + kLockWait;
  while (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      std::string why = std::string("flock ") + kLockFile + ": " + strerror(errno);
      release_lock();
      return why;
    }
    if (Clock::now() > deadline) {
      release_lock();
      return std::string("another zfs-fuse user held ") + kLockFile + " for too long";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  lock_waited_ = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began);
  return "";
}

void ZfsFuse::release_lock() {
  if (lock_fd_ >= 0) close(lock_fd_);  // closing drops the flock
  lock_fd_ = -1;
}

std::string ZfsFuse::start() {
  if (running()) return "";
  if (std::string err = acquire_lock(); !err.empty()) return err;
  unlink(pidfile_.c_str());
  CommandOptions opts;
  opts.scratch_dir = scratch_;
  opts.timeout = std::chrono::seconds(30);
  CommandResult r = run_command({kDaemon, "-p", pidfile_, "--no-kstat-mount"}, opts);
  pid_ = read_pid(pidfile_);
  if (!r.ok() || pid_ == 0) {
    std::string why = "zfs-fuse did not start: " + r.describe();
    stop();
    return why;
  }
  // The daemon answers once its control socket is up.
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (true) {
    CommandResult list = zpool({"list"}, std::chrono::seconds(10));
    if (list.ok()) return "";
    if (!alive(pid_) || Clock::now() > deadline) {
      std::string why = "zfs-fuse does not answer: " + list.describe();
      stop();
      return why;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

std::string ZfsFuse::stop() {
  std::string complaint;
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    if (!wait_gone(pid_, std::chrono::seconds(30))) {
      complaint = "zfs-fuse (pid " + std::to_string(pid_) + ") ignored SIGTERM; killed";
      kill(pid_, SIGKILL);
      wait_gone(pid_, std::chrono::seconds(10));
    }
    pid_ = 0;
  }
  release_lock();
  return complaint;
}

CommandResult ZfsFuse::run(const std::string& tool, const std::vector<std::string>& args,
                           std::chrono::seconds timeout) {
  std::vector<std::string> argv{tool};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandOptions opts;
  opts.scratch_dir = scratch_;
  opts.timeout = timeout;
  return run_command(argv, opts);
}

CommandResult ZfsFuse::zpool(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  return run(kZpool, args, timeout);
}

CommandResult ZfsFuse::zfs(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  return run(kZfs, args, timeout);
}

CommandResult ZfsFuse::scrub_and_wait(const std::string& pool, std::chrono::seconds timeout) {
  CommandResult scrub = zpool({"scrub", pool});
  if (!scrub.ok()) return failed(std::move(scrub), "zpool scrub failed");
  const auto deadline = Clock::now() + timeout;
  CommandResult status;
  while (true) {
    status = zpool({"status", "-v", pool});
    if (status.ok() && status.out.find("scrub in progress") == std::string::npos) break;
    if (Clock::now() > deadline) {
      const std::string why = (status.ok() ? "scrub still in progress after " : "zpool status still failing after ") +
                              std::to_string(timeout.count()) + " s";
      return failed(std::move(status), why);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // Version 23 reports "scrub: scrub completed after 0h0m with N errors on DATE".
  if (status.out.find("scrub completed") == std::string::npos) return failed(std::move(status), "no completed scrub");
  if (status.out.find("with 0 errors") == std::string::npos) return failed(std::move(status), "the scrub found errors");
  if (status.out.find("No known data errors") == std::string::npos)
    return failed(std::move(status), "the pool has data errors");
  return status;
}

}  // namespace fzfs::test
