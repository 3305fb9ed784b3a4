// The daemon's listening Unix socket: accepts clients one at a time (requests are
// short) and hands each line to a handler, until told to stop or signalled.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/util/status.h"

namespace fzfs {

class SocketServer {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request, bool* stop)>;

  // EEXIST if a live daemon already listens on path; a stale socket file is replaced.
  static Result<std::unique_ptr<SocketServer>> listen(const std::string& path);
  ~SocketServer();  // closes and removes the socket file

  // Returns when a handler sets *stop (after its reply went out) or when signal_fd
  // (a signalfd) becomes readable.
  void serve(const Handler& handler, int signal_fd);

 private:
  SocketServer(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  bool serve_client(int client, const Handler& handler);  // true: stop
  void close_listener();

  int fd_;
  std::string path_;
};

}  // namespace fzfs
