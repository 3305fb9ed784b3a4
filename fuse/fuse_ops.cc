#include "fuse/fuse_ops.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fuse/fuse_fs.h"

namespace fzfs::fuse {

namespace {

// Nothing under a read-only mount changes while it is mounted, so the kernel may keep
// names and attributes as long as it likes.
constexpr double kCacheTimeout = 86400.0;
constexpr unsigned kMaxRead = 1u << 20;

FuseFs& fs_of(fuse_req_t req) { return *static_cast<FuseFs*>(fuse_req_userdata(req)); }

void reply_error(fuse_req_t req, const Error& e) {
  fuse_reply_err(req, e.code() > 0 ? e.code() : EIO);
}

struct stat to_stat(const Attr& a) {
  struct stat st {};
  st.st_ino = a.ino;
  st.st_mode = a.mode;
  st.st_nlink = a.nlink;
  st.st_uid = a.uid;
  st.st_gid = a.gid;
  st.st_rdev = a.rdev;
  st.st_size = static_cast<off_t>(a.size);
  st.st_blocks = static_cast<blkcnt_t>(a.blocks);
  st.st_blksize = a.blksize ? a.blksize : 4096;
  st.st_atim = {a.atime.sec, a.atime.nsec};
  st.st_mtim = {a.mtime.sec, a.mtime.nsec};
  st.st_ctim = {a.ctime.sec, a.ctime.nsec};
  return st;
}

fuse_entry_param to_entry(const Node& n) {
  fuse_entry_param e{};
  e.ino = n.id;
  e.generation = n.attr.gen;
  e.attr = to_stat(n.attr);
  e.attr_timeout = kCacheTimeout;
  e.entry_timeout = kCacheTimeout;
  return e;
}

// Capabilities, all negotiated here. The kernel offers conn->capable; we ask in want.
void op_init(void* userdata, fuse_conn_info* conn) {
  auto want = [conn](unsigned cap, bool on) {
    if (on && (conn->capable & cap)) conn->want |= cap;
    if (!on) conn->want &= ~cap;
  };
  // Several reads of one file may be in flight at once; the engine reads are reentrant.
  want(FUSE_CAP_ASYNC_READ, true);
  // Directory listings return attributes too, saving a lookup per entry for `ls -l`;
  // the kernel chooses per directory whether plus is worth it.
  want(FUSE_CAP_READDIRPLUS, true);
  want(FUSE_CAP_READDIRPLUS_AUTO, true);
  // Lookups and readdirs in one directory may run concurrently: nothing is modified.
  want(FUSE_CAP_PARALLEL_DIROPS, true);
  // Symlink targets never change on a read-only mount; let the page cache keep them.
  want(FUSE_CAP_CACHE_SYMLINKS, true);
  // Direct I/O reads may be split and issued concurrently too.
  want(FUSE_CAP_ASYNC_DIO, true);
  // Splicing adds a pipe round trip per read; not measured to win here, so off.
  want(FUSE_CAP_SPLICE_READ, false);
  want(FUSE_CAP_SPLICE_WRITE, false);
  want(FUSE_CAP_SPLICE_MOVE, false);
  // Data cannot change under us: no need to re-validate the page cache on attr changes.
  want(FUSE_CAP_AUTO_INVAL_DATA, false);
  // Read-only: no write-back cache, no O_TRUNC handling.
  want(FUSE_CAP_WRITEBACK_CACHE, false);
  want(FUSE_CAP_ATOMIC_O_TRUNC, false);
  // Locks are local to this machine; let the kernel manage them without us.
  want(FUSE_CAP_POSIX_LOCKS, false);
  want(FUSE_CAP_FLOCK_LOCKS, false);
  // No NFS export: ".." lookups would need parent pointers we do not track.
  want(FUSE_CAP_EXPORT_SUPPORT, false);
  // Permission checks come from default_permissions, not from a POSIX ACL xattr.
  want(FUSE_CAP_POSIX_ACL, false);
  // Large sequential reads: read ahead up to one request's worth.
  conn->max_readahead = kMaxRead;
  conn->max_read = kMaxRead;
  // Kernel timestamps match what ZFS stores (nanoseconds).
  conn->time_gran = 1;
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  auto r = fs_of(req).lookup(parent, name);
  if (!r.ok()) {
    if (r.error().code() == ENOENT) {
      // A negative entry the kernel may cache as long as a positive one.
      fuse_entry_param e{};
      e.entry_timeout = kCacheTimeout;
      fuse_reply_entry(req, &e);
      return;
    }
    return reply_error(req, r.error());
  }
  const fuse_entry_param e = to_entry(*r);
  fuse_reply_entry(req, &e);
}

// Node ids are computed, not allocated, so there is nothing to release.
void op_forget(fuse_req_t req, fuse_ino_t, uint64_t) { fuse_reply_none(req); }
void op_forget_multi(fuse_req_t req, size_t, fuse_forget_data*) { fuse_reply_none(req); }

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  auto r = fs_of(req).getattr(ino);
  if (!r.ok()) return reply_error(req, r.error());
  const struct stat st = to_stat(*r);
  fuse_reply_attr(req, &st, kCacheTimeout);
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
  auto r = fs_of(req).readlink(ino);
  if (!r.ok()) return reply_error(req, r.error());
  fuse_reply_readlink(req, r->c_str());
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if ((fi->flags & O_ACCMODE) != O_RDONLY) return (void)fuse_reply_err(req, EROFS);
  auto r = fs_of(req).getattr(ino);
  if (!r.ok()) return reply_error(req, r.error());
  if (S_ISDIR(r->mode)) return (void)fuse_reply_err(req, EISDIR);
  fi->keep_cache = 1;  // contents never change: keep pages across opens
  fuse_reply_open(req, fi);
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  if (off < 0) return (void)fuse_reply_err(req, EINVAL);
  const size_t want = std::min<size_t>(size, kMaxRead);
  std::unique_ptr<uint8_t[]> buf(new (std::nothrow) uint8_t[want]);
  if (!buf) return (void)fuse_reply_err(req, ENOMEM);
  // The kernel takes a short reply as end of file, so fill the buffer unless EOF.
  size_t got = 0;
  while (got < want) {
    auto r = fs_of(req).read(ino, static_cast<uint64_t>(off) + got,
                             std::span<uint8_t>(buf.get() + got, want - got));
    if (!r.ok()) return reply_error(req, r.error());
    if (*r == 0) break;
    got += *r;
  }
  fuse_reply_buf(req, reinterpret_cast<const char*>(buf.get()), got);
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto r = fs_of(req).list(ino);
  if (!r.ok()) return reply_error(req, r.error());
  fi->fh = fs_of(req).open_handle(std::move(*r));
  fi->cache_readdir = 1;  // listings never change
  fi->keep_cache = 1;
  if (fuse_reply_open(req, fi) != 0) fs_of(req).close_handle(fi->fh);  // interrupted
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  fs_of(req).close_handle(fi->fh);
  fuse_reply_err(req, 0);
}

bool is_dot(const std::string& n) { return n == "." || n == ".."; }

void do_readdir(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi, bool plus) {
  const std::vector<Listed>* listing = fs_of(req).handle(fi->fh);
  if (!listing) return (void)fuse_reply_err(req, EBADF);
  const auto& entries = *listing;
  std::string buf(size, '\0');
  size_t used = 0;
  for (size_t i = off < 0 ? 0 : static_cast<size_t>(off); i < entries.size(); i++) {
    const Listed& e = entries[i];
    const off_t next = static_cast<off_t>(i + 1);
    size_t len;
    if (plus) {
      fuse_entry_param ep{};
      ep.attr.st_ino = e.ino;
      ep.attr.st_mode = e.dtype << 12;
      // "." and ".." and not-yet-opened snapshots carry no node: the kernel then
      // only lists the name and resolves it by lookup when used.
      if (e.id != 0 && !is_dot(e.name)) {
        auto a = fs_of(req).getattr(e.id);
        if (!a.ok()) return reply_error(req, a.error());
        ep = to_entry(Node{e.id, *a});
      }
      len = fuse_add_direntry_plus(req, buf.data() + used, size - used, e.name.c_str(), &ep,
                                   next);
    } else {
      struct stat st {};
      st.st_ino = e.ino;
      st.st_mode = e.dtype << 12;
      len = fuse_add_direntry(req, buf.data() + used, size - used, e.name.c_str(), &st, next);
    }
    if (len > size - used) break;  // does not fit: the next call resumes here
    used += len;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void op_readdir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  do_readdir(req, size, off, fi, false);
}
void op_readdirplus(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  do_readdir(req, size, off, fi, true);
}

void op_statfs(fuse_req_t req, fuse_ino_t) {
  auto r = fs_of(req).statfs();
  if (!r.ok()) return reply_error(req, r.error());
  struct statvfs sv {};
  sv.f_bsize = r->bsize;
  sv.f_frsize = r->bsize;
  sv.f_blocks = r->blocks;
  sv.f_bfree = r->bfree;
  sv.f_bavail = r->bavail;
  sv.f_files = r->files;
  sv.f_ffree = r->ffree;
  sv.f_favail = r->ffree;
  sv.f_fsid = r->fsid;
  sv.f_namemax = r->namemax;
  sv.f_flag = ST_RDONLY;
  fuse_reply_statfs(req, &sv);
}

// size 0 asks for the length; a too-small buffer is ERANGE, as for any xattr call.
void reply_xattr_bytes(fuse_req_t req, const char* data, size_t len, size_t size) {
  if (size == 0) return (void)fuse_reply_xattr(req, len);
  if (size < len) return (void)fuse_reply_err(req, ERANGE);
  fuse_reply_buf(req, data, len);
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  auto r = fs_of(req).getxattr(ino, name);
  if (!r.ok()) return reply_error(req, r.error());
  reply_xattr_bytes(req, reinterpret_cast<const char*>(r->data()), r->size(), size);
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  auto r = fs_of(req).listxattr(ino);
  if (!r.ok()) return reply_error(req, r.error());
  std::string names;
  for (const auto& n : *r) names.append(n.c_str(), n.size() + 1);
  reply_xattr_bytes(req, names.data(), names.size(), size);
}

fuse_lowlevel_ops make_ops() {
  fuse_lowlevel_ops ops{};
  ops.init = op_init;
  ops.lookup = op_lookup;
  ops.forget = op_forget;
  ops.forget_multi = op_forget_multi;
  ops.getattr = op_getattr;
  ops.readlink = op_readlink;
  ops.open = op_open;
  ops.read = op_read;
  ops.release = op_release;
  ops.opendir = op_opendir;
  ops.readdir = op_readdir;
  ops.readdirplus = op_readdirplus;
  ops.releasedir = op_releasedir;
  ops.statfs = op_statfs;
  ops.getxattr = op_getxattr;
  ops.listxattr = op_listxattr;
  return ops;
}

}  // namespace

const fuse_lowlevel_ops& read_only_ops() {
  static const fuse_lowlevel_ops ops = make_ops();
  return ops;
}

}  // namespace fzfs::fuse
