// zfs-fuse (the Debian package, pool versions up to 23) as a live oracle for tests: it
// writes real pools that fzfs then has to read. Only one zfs-fuse can run on a machine,
// so a ZfsFuse holds an exclusive flock on /tmp/fzfs-zfs-fuse.lock from start() until
// the daemon is gone, and always stops the daemon when it goes away.
//
//   ZfsFuse zf(scratch);           nothing runs yet
//   zf.start()                     lock, zfs-fuse -p PIDFILE, wait for `zpool list`
//   zf.zpool({...}), zf.zfs({...}) the stock /sbin tools, talking to the daemon
//   zf.scrub_and_wait(pool)        zpool scrub, then zpool status -v until it ends; ok()
//                                  only for a finished scrub that found nothing wrong
//   zf.stop() / ~ZfsFuse           SIGTERM, wait until the process is gone, unlock
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/process.h"

namespace fzfs::test {

class ZfsFuse {
 public:
  // "" when zfs-fuse and its zpool/zfs are installed, else a sentence saying what is not.
  static std::string unavailable();

  // SCRATCH is a private directory for the pid file and captured command output.
  explicit ZfsFuse(std::string scratch);
  ~ZfsFuse();
  ZfsFuse(const ZfsFuse&) = delete;
  ZfsFuse& operator=(const ZfsFuse&) = delete;

  // "" on success, else what went wrong (nothing is left running then).
  std::string start();
  // Stops the daemon (if ours is running) and releases the lock. "" or a complaint.
  std::string stop();
  bool running() const { return pid_ > 0; }
  // How long start() waited for another user of zfs-fuse to finish.
  std::chrono::milliseconds lock_waited() const { return lock_waited_; }

  CommandResult zpool(const std::vector<std::string>& args,
                      std::chrono::seconds timeout = std::chrono::seconds(120));
  CommandResult zfs(const std::vector<std::string>& args,
                    std::chrono::seconds timeout = std::chrono::seconds(120));

  // `zpool scrub POOL`, then `zpool status -v POOL` until the scrub is no longer in
  // progress. Returns the scrub command's result if that failed, else the last status;
  // ok() only when the scrub completed within TIMEOUT "with 0 errors" and the status
  // says "No known data errors". Otherwise err ends with why (see describe()).
  CommandResult scrub_and_wait(const std::string& pool,
                               std::chrono::seconds timeout = std::chrono::seconds(600));

 private:
  std::string acquire_lock();
  void release_lock();
  CommandResult run(const std::string& tool, const std::vector<std::string>& args,
                    std::chrono::seconds timeout);

  std::string scratch_, pidfile_;
  int lock_fd_ = -1;
  pid_t pid_ = 0;
  std::chrono::milliseconds lock_waited_{0};
};

}  // namespace fzfs::test
