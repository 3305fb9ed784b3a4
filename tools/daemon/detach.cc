#include "tools/daemon/detach.h"

#include <dirent.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "tools/line_io.h"

namespace fzfs {

namespace {

// The daemon outlives its starter: it must not hold the starter's pipes open (a
// caller reading our output to EOF would wait for the daemon's exit). stdin, stdout
// and stderr are redirected later; everything else but the link goes now.
void close_inherited_fds(int keep) {
  std::vector<int> fds;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      const int fd = atoi(e->d_name);
      if (e->d_name[0] != '.' && fd > 2 && fd != keep && fd != dirfd(d)) fds.push_back(fd);
    }
    closedir(d);
  }
  for (int fd : fds) close(fd);
}

}  // namespace

Result<DaemonLink> DaemonLink::detach() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return make_error(errno, "socketpair: {}", strerror(errno));
  const pid_t child = fork();
  if (child < 0) {
    const int err = errno;
    close(sv[0]);
    close(sv[1]);
    return make_error(err, "fork: {}", strerror(err));
  }
  if (child > 0) {
    close(sv[1]);
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    return DaemonLink(false, sv[0]);
  }
  close(sv[0]);
  close_inherited_fds(sv[1]);
  setsid();
  const pid_t grandchild = fork();
  if (grandchild != 0) _exit(grandchild < 0 ? 1 : 0);
  return DaemonLink(true, sv[1]);
}

DaemonLink::~DaemonLink() {
  if (fd_ >= 0) close(fd_);
}

void DaemonLink::send(const std::string& kind, const std::string& message) {
  if (fd_ < 0) return;
  // One line per message: newlines inside would split it.
  std::string m = message;
  for (char& c : m)
    if (c == '\n') c = ' ';
  const std::string line = kind + " " + m + "\n";
  (void)!::send(fd_, line.data(), line.size(), MSG_NOSIGNAL);
}

void DaemonLink::warn(const std::string& message) { send("warn", message); }
void DaemonLink::fail(const std::string& message) {
  send("fail", message);
  close(fd_);
  fd_ = -1;
}
void DaemonLink::ready() {
  send("ready", "");
  close(fd_);
  fd_ = -1;
}

StartupReport DaemonLink::wait() {
  StartupReport report;
  LineChannel ch(fd_);
  fd_ = -1;  // the channel owns it now
  for (;;) {
    auto line = ch.read_line();
    if (!line.ok() || line->empty()) break;
    const auto sp = line->find(' ');
    const std::string kind = line->substr(0, sp);
    const std::string msg = sp == std::string::npos ? "" : line->substr(sp + 1);
    if (kind == "warn") report.warnings.push_back(msg);
    if (kind == "fail") {
      report.error = msg;
      return report;
    }
    if (kind == "ready") {
      report.ready = true;
      return report;
    }
  }
  report.error = "the pool daemon exited unexpectedly";
  return report;
}

}  // namespace fzfs
