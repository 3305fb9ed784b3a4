#include "tools/daemon/socket_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "tools/line_io.h"
#include "tools/wire.h"

namespace fzfs {

namespace {

bool fill_addr(const std::string& path, sockaddr_un* addr) {
  *addr = {};
  addr->sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr->sun_path)) return false;
  std::memcpy(addr->sun_path, path.c_str(), path.size() + 1);
  return true;
}

bool someone_listens(const sockaddr_un& addr) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool live = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return live;
}

}  // namespace

Result<std::unique_ptr<SocketServer>> SocketServer::listen(const std::string& path) {
  sockaddr_un addr;
  if (!fill_addr(path, &addr)) return make_error(ENAMETOOLONG, "socket path {} too long", path);
  if (someone_listens(addr)) return make_error(EEXIST, "a pool with that name is already imported");
  unlink(path.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(errno, "socket: {}", strerror(errno));
  // Only root (the owner) may talk to the daemon: it mounts and unmounts.
  const mode_t old = umask(077);
  const int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  umask(old);
  if (rc != 0 || ::listen(fd, 16) != 0) {
    close(fd);
    return make_error(err, "cannot listen on {}: {}", path, strerror(err));
  }
  return std::unique_ptr<SocketServer>(new SocketServer(fd, path));
}

void SocketServer::close_listener() {
  if (fd_ < 0) return;
  close(fd_);
  unlink(path_.c_str());
  fd_ = -1;
}

SocketServer::~SocketServer() { close_listener(); }

bool SocketServer::serve_client(int client, const Handler& handler) {
  // A client that stops talking must not hang the daemon.
  timeval tv{10, 0};
  setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  LineChannel ch(client);
  for (;;) {
    auto line = ch.read_line();
    if (!line.ok() || line->empty()) return false;
    auto req = nlohmann::json::parse(*line, nullptr, false);
    bool stop = false;
    nlohmann::json reply = req.is_discarded()
                               ? wire::error_reply(make_error(EINVAL, "malformed request"))
                               : handler(req, &stop);
    // Stop listening before the last reply, so a client acting on it (importing the
    // pool again) never reaches this daemon's backlog.
    if (stop) close_listener();
    (void)ch.write_line(reply.dump());
    if (stop) return true;
  }
}

void SocketServer::serve(const Handler& handler, int signal_fd) {
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {signal_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    if (serve_client(client, handler)) return;
  }
}

}  // namespace fzfs
