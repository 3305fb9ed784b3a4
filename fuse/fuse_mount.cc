#include "fuse/fuse_mount.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "fuse/fuse_ops.h"

namespace fzfs::fuse {

namespace {

std::string mount_options(const MountOptions& opts, bool readonly) {
  // default_permissions: the kernel checks modes against st_uid/st_gid/st_mode, so
  // the file system need not implement access() nor check permissions per call.
  std::string o = std::string(readonly ? "ro," : "rw,") +
                  "default_permissions,subtype=fzfs,max_read=1048576,fsname=" + opts.fsname;
  if (opts.allow_other && geteuid() == 0) o += ",allow_other";
  return o;
}

}  // namespace

Result<std::unique_ptr<FuseMount>> FuseMount::start(std::unique_ptr<FuseFs> fs,
                                                    const std::string& mountpoint,
                                                    const MountOptions& opts) {
  struct stat st {};
  if (stat(mountpoint.c_str(), &st) != 0)
    return make_error(errno, "mountpoint {}: {}", mountpoint, strerror(errno));
  if (!S_ISDIR(st.st_mode)) return make_error(ENOTDIR, "mountpoint {}: not a directory", mountpoint);

  std::unique_ptr<FuseMount> m(new FuseMount(std::move(fs), mountpoint));
  m->fs_->set_writeback_cache(opts.writeback_cache);
  const std::string o = mount_options(opts, m->fs_->readonly());
  std::vector<const char*> argv = {"fzfs", "-o", o.c_str()};
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), const_cast<char**>(argv.data()));
  const auto& ops = lowlevel_ops();
  m->session_ = fuse_session_new(&args, &ops, sizeof(ops), m->fs_.get());
  fuse_opt_free_args(&args);  // the session may have copied them into its own list
  if (!m->session_) return make_error(EINVAL, "mount {}: cannot create FUSE session", mountpoint);
  if (fuse_session_mount(m->session_, mountpoint.c_str()) != 0) {
    fuse_session_destroy(m->session_);
    m->session_ = nullptr;
    return make_error(EIO, "mount {}: FUSE mount failed", mountpoint);
  }
  m->serving_ = true;
  m->loop_ = std::thread([raw = m.get()] { raw->serve(); });
  return m;
}

void FuseMount::serve() {
  fuse_loop_config* cfg = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(cfg, 16);
  fuse_loop_cfg_set_idle_threads(cfg, 4);
  fuse_session_loop_mt(session_, cfg);
  fuse_loop_cfg_destroy(cfg);
  serving_ = false;
}

namespace {

// Detaches the kernel mount. As root umount2 directly; otherwise fusermount3 does it.
Status detach_mount(const std::string& mountpoint, bool force) {
  if (geteuid() == 0) {
    if (umount2(mountpoint.c_str(), force ? MNT_DETACH : 0) == 0) return Status::Ok();
    if (errno == EINVAL) return Status::Ok();  // already unmounted from outside
    return make_error(errno, "{}", strerror(errno));
  }
  const pid_t pid = fork();
  if (pid < 0) return make_error(errno, "fork: {}", strerror(errno));
  if (pid == 0) {
    if (force) execlp("fusermount3", "fusermount3", "-u", "-z", "--", mountpoint.c_str(), nullptr);
    else execlp("fusermount3", "fusermount3", "-u", "--", mountpoint.c_str(), nullptr);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  return make_error(EBUSY, "fusermount3 -u failed");
}

}  // namespace

Status FuseMount::unmount(bool force) {
  if (!session_) return Status::Ok();
  if (serving_) FZ_CHECK(detach_mount(mountpoint_, force));
  // Once the kernel drops the super block it aborts the connection; the workers then
  // see ENODEV and the loop returns. A lazily detached mount still in use stays alive
  // until its last user leaves: do not wait for that forever.
  for (int i = 0; i < 500 && serving_; i++) usleep(10000);
  if (serving_) {
    // Leaked on purpose: the workers still use the session and the file system.
    loop_.detach();
    (void)fs_.release();
    session_ = nullptr;
    return Status::Ok();
  }
  if (loop_.joinable()) loop_.join();
  // The kernel mount is gone; this frees what fuse_session_mount allocated.
  fuse_session_unmount(session_);
  fuse_session_destroy(session_);
  session_ = nullptr;
  return Status::Ok();
}

FuseMount::~FuseMount() { (void)unmount(true); }

}  // namespace fzfs::fuse
