#include "tools/client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "tools/line_io.h"
#include "tools/rundir.h"
#include "tools/wire.h"

namespace fzfs {

namespace {

constexpr const char* kNoSuchPool = "no such pool";

Result<int> connect_to(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return make_error(ENAMETOOLONG, "{}: path too long", path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(errno, "socket: {}", strerror(errno));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    close(fd);
    return make_error(err, "{}: {}", path, strerror(err));
  }
  // A daemon that stopped answering must not hang the command forever.
  timeval tv{120, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

}  // namespace

Result<nlohmann::json> daemon_request(const std::string& pool, const nlohmann::json& request) {
  auto fd = connect_to(socket_path(pool));
  if (!fd.ok()) {
    const int code = fd.error().code();
    // A stale socket (daemon gone) means the same as none: the pool is not imported.
    if (code == ENOENT || code == ECONNREFUSED) return make_error(ENOENT, kNoSuchPool);
    return std::move(fd).error();
  }
  LineChannel ch(*fd);
  auto sent = ch.write_line(request.dump());
  if (!sent.ok()) return std::move(sent).error();
  FZ_TRY(std::string line, ch.read_line());
  if (line.empty()) return make_error(EPIPE, "pool daemon for '{}' closed the connection", pool);
  auto reply = nlohmann::json::parse(line, nullptr, false);
  return wire::check_reply(std::move(reply));
}

bool is_no_such_pool(const Error& e) { return e.code() == ENOENT && e.message() == kNoSuchPool; }

Result<std::vector<DatasetInfo>> pool_datasets(const std::string& pool) {
  FZ_TRY(nlohmann::json reply, daemon_request(pool, {{"op", "datasets"}}));
  std::vector<DatasetInfo> list;
  for (const auto& d : reply["datasets"]) list.push_back(wire::dataset_from_json(d));
  return list;
}

}  // namespace fzfs
