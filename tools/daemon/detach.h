// Starting the daemon: `fzpool import` forks, the child starts a new session and forks
// again (so the daemon is no session leader and never gets a controlling terminal),
// and the grandchild imports the pool. The original process waits on a socket pair
// until the daemon reports "ready" or a failure, so the command's exit status tells
// whether the import worked.
#pragma once

#include <string>
#include <vector>

#include "engine/util/status.h"

namespace fzfs {

// What the daemon said about its start.
struct StartupReport {
  bool ready = false;
  std::string error;                  // when !ready
  std::vector<std::string> warnings;  // e.g. mounts that failed
};

class DaemonLink {
 public:
  // Forks. Returns in both the original process (is_daemon() false) and the detached
  // daemon (true); the intermediate process exits.
  static Result<DaemonLink> detach();

  bool is_daemon() const { return is_daemon_; }

  // Daemon side.
  void warn(const std::string& message);
  void fail(const std::string& message);  // then the daemon exits
  void ready();                           // closes the link

  // Parent side: blocks until the daemon reports ready or fails (or dies).
  StartupReport wait();

  DaemonLink(DaemonLink&& o) noexcept : is_daemon_(o.is_daemon_), fd_(o.fd_) { o.fd_ = -1; }
  ~DaemonLink();

 private:
  DaemonLink(bool is_daemon, int fd) : is_daemon_(is_daemon), fd_(fd) {}
  void send(const std::string& kind, const std::string& message);

  bool is_daemon_;
  int fd_;
};

}  // namespace fzfs
