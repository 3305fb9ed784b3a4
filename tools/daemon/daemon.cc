#include "tools/daemon/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tools/client.h"
#include "tools/daemon/detach.h"
#include "tools/daemon/pool_service.h"
#include "tools/daemon/protocol.h"
#include "tools/daemon/socket_server.h"
#include "tools/rundir.h"

namespace fzfs {

namespace {

// Signals that end the daemon are taken through a signalfd. They are blocked before
// any thread starts, so every FUSE worker inherits the mask and none is interrupted.
int block_exit_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signalfd(-1, &set, SFD_CLOEXEC);
}

void redirect_stdio(const std::string& err_path) {
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  int err = err_path.empty() ? -1 : open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  dup2(null, STDIN_FILENO);
  dup2(null, STDOUT_FILENO);
  dup2(err >= 0 ? err : null, STDERR_FILENO);
  if (err >= 0) close(err);
  close(null);
}

Status write_pidfile(const std::string& path) {
  std::ofstream f(path, std::ios::trunc);
  f << getpid() << "\n";
  if (!f.flush()) return make_error(EIO, "cannot write {}", path);
  return Status::Ok();
}

// Runs in the detached daemon. Returns the process exit status.
int run_daemon(DaemonLink& link, const DaemonConfig& cfg, const PoolOpener& open_pool) {
  const int sigfd = block_exit_signals();
  redirect_stdio("");
  if (chdir("/") != 0) {}
  auto pool = open_pool(cfg.import);
  if (!pool.ok()) {
    link.fail(pool.error().message());
    return 1;
  }
  const std::string name = (*pool)->name();
  std::error_code ec;
  std::filesystem::create_directories(runtime_dir(), ec);
  if (ec) {
    link.fail(fmt::format("cannot create {}: {}", runtime_dir(), ec.message()));
    return 1;
  }
  auto server = SocketServer::listen(socket_path(name));
  if (!server.ok()) {
    link.fail(server.error().message());
    return 1;
  }
  const std::string pidfile = pidfile_path(name);
  if (auto s = write_pidfile(pidfile); !s.ok()) {
    link.fail(s.error().message());
    return 1;
  }
  redirect_stdio(logfile_path(name));

  PoolService service(std::move(*pool), cfg.altroot);
  if (cfg.mount)
    for (const auto& msg : service.mount_all()) link.warn(msg);
  link.ready();

  (*server)->serve(
      [&](const nlohmann::json& req, bool* stop) {
        auto reply = handle_request(service, req, stop);
        if (*stop) unlink(pidfile.c_str());
        return reply;
      },
      sigfd);
  if (auto s = service.close(true); !s.ok())
    fmt::print(stderr, "export: {}\n", s.error().message());
  server->reset();
  unlink(pidfile.c_str());
  // Keep the log only if something was written to it.
  struct stat st;
  const std::string log = logfile_path(name);
  if (stat(log.c_str(), &st) == 0 && st.st_size == 0) unlink(log.c_str());
  return 0;
}

}  // namespace

int start_pool_daemon(const DaemonConfig& cfg, const PoolOpener& open_pool) {
  const std::string& pool = cfg.import.pool;
  // A daemon already serving that name: refuse before touching any device.
  if (daemon_request(pool, {{"op", "status"}}).ok()) {
    fmt::print(stderr, "cannot import '{}': a pool with that name is already imported\n", pool);
    return 1;
  }
  auto link = DaemonLink::detach();
  if (!link.ok()) {
    fmt::print(stderr, "cannot import '{}': {}\n", pool, link.error().message());
    return 1;
  }
  if (link->is_daemon()) {
    const int status = run_daemon(*link, cfg, open_pool);
    std::fflush(nullptr);
    _exit(status);
  }
  StartupReport report = link->wait();
  for (const auto& w : report.warnings) fmt::print(stderr, "{}\n", w);
  if (!report.ready) {
    fmt::print(stderr, "cannot import '{}': {}\n", pool, report.error);
    return 1;
  }
  return report.warnings.empty() ? 0 : 1;
}

}  // namespace fzfs
