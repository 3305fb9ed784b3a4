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

// Nothing in a read-only tree (a snapshot, a read-only import) changes while it is
// mounted, so the kernel may keep its names and attributes as long as it likes.
constexpr double kStableTimeout = 86400.0;
// A writable tree changes only through this kernel, which drops or updates what it
// cached on every change it makes (d_delete/d_move on unlink and rename, attributes of
// the inodes and parents involved), so caching stays correct; the timeouts only bound
// how long something changed behind its back stays visible (the engine's own updates
// such as st_blocks after a sync). Attributes must not be cached 0 s: with
// default_permissions every path walk would then send a GETATTR per directory (10,000
// creates+stats+unlinks on the fake mount: 3.6 s at 0 s, 1.6 s at 1 s).
constexpr double kMutableEntryTimeout = 10.0;
constexpr double kMutableAttrTimeout = 1.0;
constexpr unsigned kMaxRead = 1u << 20;
constexpr unsigned kMaxWrite = 1u << 20;

FuseFs& fs_of(fuse_req_t req) { return *static_cast<FuseFs*>(fuse_req_userdata(req)); }

void reply_error(fuse_req_t req, const Error& e) {
  fuse_reply_err(req, e.code() > 0 ? e.code() : EIO);
}

void reply_status(fuse_req_t req, const Status& s) {
  if (!s.ok()) return reply_error(req, s.error());
  fuse_reply_err(req, 0);
}

Caller caller_of(fuse_req_t req) {
  const fuse_ctx* c = fuse_req_ctx(req);
  return Caller{static_cast<uint32_t>(c->uid), static_cast<uint32_t>(c->gid),
                static_cast<uint32_t>(c->umask)};
}

double attr_timeout(bool mut) { return mut ? kMutableAttrTimeout : kStableTimeout; }
double entry_timeout(bool mut) { return mut ? kMutableEntryTimeout : kStableTimeout; }

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

fuse_entry_param to_entry(const Node& n, bool mut) {
  fuse_entry_param e{};
  e.ino = n.id;
  e.generation = n.attr.gen;
  e.attr = to_stat(n.attr);
  e.attr_timeout = attr_timeout(mut);
  e.entry_timeout = entry_timeout(mut);
  return e;
}

// Hands a node to the kernel, counting the reference first (see lookup_counts.h).
void reply_node(fuse_req_t req, const Result<Node>& r) {
  if (!r.ok()) return reply_error(req, r.error());
  FuseFs& fs = fs_of(req);
  const fuse_entry_param e = to_entry(*r, fs.mutable_node(r->id));
  fs.remember(r->id);
  if (fuse_reply_entry(req, &e) != 0) fs.forget(r->id, 1);  // the kernel never saw it
}

// Capabilities, all negotiated here. The kernel offers conn->capable; we ask in want.
void op_init(void* userdata, fuse_conn_info* conn) {
  auto& fs = *static_cast<FuseFs*>(userdata);
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
  // Lookups and readdirs in one directory may run concurrently (the kernel still
  // serialises the changes to a directory); Filesystem calls are thread-safe.
  want(FUSE_CAP_PARALLEL_DIROPS, true);
  // A symlink's target never changes (a new target is a new inode): let the page cache
  // keep it.
  want(FUSE_CAP_CACHE_SYMLINKS, true);
  // Direct I/O reads may be split and issued concurrently too.
  want(FUSE_CAP_ASYNC_DIO, true);
  // Splicing adds a pipe round trip per request; not measured to win here, so off.
  want(FUSE_CAP_SPLICE_READ, false);
  want(FUSE_CAP_SPLICE_WRITE, false);
  want(FUSE_CAP_SPLICE_MOVE, false);
  // Only this kernel changes file data, and it keeps its page cache in step itself.
  want(FUSE_CAP_AUTO_INVAL_DATA, false);
  // Write-back caching only when asked for (MountOptions::writeback_cache): the kernel
  // then owns size and mtime of open files and sends them back in setattr.
  want(FUSE_CAP_WRITEBACK_CACHE, fs.writeback_cache() && !fs.readonly());
  // open(O_TRUNC) arrives as a setattr(size 0) before the open: one code path.
  want(FUSE_CAP_ATOMIC_O_TRUNC, false);
  // The kernel applies the umask itself when it can; create() applies fuse_req_ctx's
  // umask as well, which is correct either way (masking twice changes nothing).
  want(FUSE_CAP_DONT_MASK, false);
  // The kernel clears S_ISUID/S_ISGID on write and chown by sending a setattr(mode).
  want(FUSE_CAP_HANDLE_KILLPRIV, false);
  // Locks are local to this machine; let the kernel manage them without us.
  want(FUSE_CAP_POSIX_LOCKS, false);
  want(FUSE_CAP_FLOCK_LOCKS, false);
  // No NFS export: ".." lookups would need parent pointers we do not track.
  want(FUSE_CAP_EXPORT_SUPPORT, false);
  // Permission checks come from default_permissions, not from a POSIX ACL xattr.
  want(FUSE_CAP_POSIX_ACL, false);
  // Large sequential reads: read ahead up to one request's worth; 1 MiB writes.
  conn->max_readahead = kMaxRead;
  conn->max_read = kMaxRead;
  conn->max_write = kMaxWrite;
  // Kernel timestamps match what ZFS stores (nanoseconds).
  conn->time_gran = 1;
}

// The session ends: the kernel will not forget what it still holds, nor sync.
void op_destroy(void* userdata) { static_cast<FuseFs*>(userdata)->shutdown(); }

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  auto r = fs_of(req).lookup(parent, name);
  if (!r.ok() && r.error().code() == ENOENT) {
    // A negative entry (id 0) the kernel may cache as long as a positive one.
    fuse_entry_param e{};
    e.entry_timeout = entry_timeout(fs_of(req).mutable_node(parent));
    fuse_reply_entry(req, &e);
    return;
  }
  reply_node(req, r);
}

void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  fs_of(req).forget(ino, nlookup);
  fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; i++) fs_of(req).forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void reply_attr(fuse_req_t req, fuse_ino_t ino, const Result<Attr>& r) {
  if (!r.ok()) return reply_error(req, r.error());
  const struct stat st = to_stat(*r);
  fuse_reply_attr(req, &st, attr_timeout(fs_of(req).mutable_node(ino)));
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  reply_attr(req, ino, fs_of(req).getattr(ino));
}

Timespec to_time(const struct timespec& ts) { return Timespec{ts.tv_sec, ts.tv_nsec}; }

// chmod, chown, truncate/ftruncate and utimens (UTIME_OMIT leaves the bit unset).
void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info*) {
  SetAttr a;
  if (to_set & FUSE_SET_ATTR_MODE) a.mode = attr->st_mode & 07777;
  if (to_set & FUSE_SET_ATTR_UID) a.uid = attr->st_uid;
  if (to_set & FUSE_SET_ATTR_GID) a.gid = attr->st_gid;
  if (to_set & FUSE_SET_ATTR_SIZE) {
    if (attr->st_size < 0) return (void)fuse_reply_err(req, EINVAL);
    a.size = static_cast<uint64_t>(attr->st_size);
  }
  if (to_set & FUSE_SET_ATTR_ATIME_NOW) a.atime_now = true;
  else if (to_set & FUSE_SET_ATTR_ATIME) a.atime = to_time(attr->st_atim);
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) a.mtime_now = true;
  else if (to_set & FUSE_SET_ATTR_MTIME) a.mtime = to_time(attr->st_mtim);
  if (to_set & FUSE_SET_ATTR_CTIME) a.ctime = to_time(attr->st_ctim);
  reply_attr(req, ino, fs_of(req).setattr(ino, a));
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
  auto r = fs_of(req).readlink(ino);
  if (!r.ok()) return reply_error(req, r.error());
  fuse_reply_readlink(req, r->c_str());
}

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  reply_node(req, fs_of(req).create(parent, name, mode, rdev, caller_of(req)));
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  reply_node(req, fs_of(req).mkdir(parent, name, mode, caller_of(req)));
}

void op_symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  reply_node(req, fs_of(req).symlink(parent, name, target, caller_of(req)));
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
  reply_node(req, fs_of(req).link(ino, newparent, newname));
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  reply_status(req, fs_of(req).unlink(parent, name));
}

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  reply_status(req, fs_of(req).rmdir(parent, name));
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
               const char* newname, unsigned flags) {
  reply_status(req, fs_of(req).rename(parent, name, newparent, newname, flags));
}

// A file's pages may stay cached across opens only where nothing can change them.
void set_open_flags(FuseFs& fs, fuse_ino_t ino, fuse_file_info* fi) {
  fi->keep_cache = fs.mutable_node(ino) ? 0 : 1;
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  FuseFs& fs = fs_of(req);
  if ((fi->flags & O_ACCMODE) != O_RDONLY && !fs.mutable_node(ino))
    return (void)fuse_reply_err(req, EROFS);
  auto r = fs.getattr(ino);
  if (!r.ok()) return reply_error(req, r.error());
  if (S_ISDIR(r->mode)) return (void)fuse_reply_err(req, EISDIR);
  set_open_flags(fs, ino, fi);
  fuse_reply_open(req, fi);
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
               fuse_file_info* fi) {
  FuseFs& fs = fs_of(req);
  auto r = fs.create(parent, name, S_IFREG | (mode & 07777), 0, caller_of(req));
  if (!r.ok()) return reply_error(req, r.error());
  const fuse_entry_param e = to_entry(*r, fs.mutable_node(r->id));
  set_open_flags(fs, r->id, fi);
  fs.remember(r->id);
  if (fuse_reply_create(req, &e, fi) != 0) fs.forget(r->id, 1);
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

// Without splice the request's bytes are already in memory: plain write needs no copy.
void op_write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
              fuse_file_info*) {
  if (off < 0) return (void)fuse_reply_err(req, EINVAL);
  auto r = fs_of(req).write(ino, static_cast<uint64_t>(off),
                            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf), size));
  if (!r.ok()) return reply_error(req, r.error());
  fuse_reply_write(req, *r);
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }

void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info*) {
  reply_status(req, fs_of(req).fsync(ino, datasync != 0));
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  FuseFs& fs = fs_of(req);
  auto r = fs.list(ino);
  if (!r.ok()) return reply_error(req, r.error());
  fi->fh = fs.open_handle(std::move(*r));
  // A listing that cannot change may stay in the kernel's cache.
  const bool stable = !fs.mutable_node(ino);
  fi->cache_readdir = stable;
  fi->keep_cache = stable;
  if (fuse_reply_open(req, fi) != 0) fs.close_handle(fi->fh);  // interrupted
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  fs_of(req).close_handle(fi->fh);
  fuse_reply_err(req, 0);
}

bool is_dot(const std::string& n) { return n == "." || n == ".."; }

// One entry with its attributes when it has a node; the kernel counts those (except
// "." and "..") as lookups. An entry removed since the listing goes without attributes.
size_t add_plus(fuse_req_t req, char* buf, size_t room, const Listed& e, off_t next,
                std::vector<uint64_t>* counted) {
  FuseFs& fs = fs_of(req);
  fuse_entry_param ep{};
  ep.attr.st_ino = e.ino;
  ep.attr.st_mode = e.dtype << 12;
  // "." and ".." and not-yet-opened snapshots carry no node: the kernel then only lists
  // the name and resolves it by lookup when used.
  if (e.id != 0 && !is_dot(e.name)) {
    if (auto a = fs.getattr(e.id); a.ok()) ep = to_entry(Node{e.id, *a}, fs.mutable_node(e.id));
  }
  const size_t len = fuse_add_direntry_plus(req, buf, room, e.name.c_str(), &ep, next);
  if (len <= room && ep.ino != 0) {
    fs.remember(ep.ino);
    counted->push_back(ep.ino);
  }
  return len;
}

void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi,
                bool plus) {
  FuseFs& fs = fs_of(req);
  auto listing = fs.listing_at(fi->fh, ino, off);
  if (!listing.ok()) return reply_error(req, listing.error());
  const auto& entries = **listing;
  std::string buf(size, '\0');
  std::vector<uint64_t> counted;
  size_t used = 0;
  for (size_t i = off < 0 ? 0 : static_cast<size_t>(off); i < entries.size(); i++) {
    const Listed& e = entries[i];
    const off_t next = static_cast<off_t>(i + 1);
    size_t len;
    if (plus) {
      len = add_plus(req, buf.data() + used, size - used, e, next, &counted);
    } else {
      struct stat st {};
      st.st_ino = e.ino;
      st.st_mode = e.dtype << 12;
      len = fuse_add_direntry(req, buf.data() + used, size - used, e.name.c_str(), &st, next);
    }
    if (len > size - used) break;  // does not fit: the next call resumes here
    used += len;
  }
  if (fuse_reply_buf(req, buf.data(), used) != 0)
    for (uint64_t id : counted) fs.forget(id, 1);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  do_readdir(req, ino, size, off, fi, false);
}
void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    fuse_file_info* fi) {
  do_readdir(req, ino, size, off, fi, true);
}

void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info*) {
  reply_status(req, fs_of(req).fsync(ino, datasync != 0));
}

void op_statfs(fuse_req_t req, fuse_ino_t) {
  FuseFs& fs = fs_of(req);
  auto r = fs.statfs();
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
  sv.f_flag = fs.readonly() ? ST_RDONLY : 0;
  fuse_reply_statfs(req, &sv);
}

// size 0 asks for the length; a too-small buffer is ERANGE, as for any xattr call.
void reply_xattr_bytes(fuse_req_t req, const char* data, size_t len, size_t size) {
  if (size == 0) return (void)fuse_reply_xattr(req, len);
  if (size < len) return (void)fuse_reply_err(req, ERANGE);
  fuse_reply_buf(req, data, len);
}

void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value,
                 size_t size, int flags) {
  const std::span<const uint8_t> v(reinterpret_cast<const uint8_t*>(value), size);
  reply_status(req, fs_of(req).setxattr(ino, name, v, flags));
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

void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  reply_status(req, fs_of(req).removexattr(ino, name));
}

fuse_lowlevel_ops make_ops() {
  fuse_lowlevel_ops ops{};
  ops.init = op_init;
  ops.destroy = op_destroy;
  ops.lookup = op_lookup;
  ops.forget = op_forget;
  ops.forget_multi = op_forget_multi;
  ops.getattr = op_getattr;
  ops.setattr = op_setattr;
  ops.readlink = op_readlink;
  ops.mknod = op_mknod;
  ops.mkdir = op_mkdir;
  ops.symlink = op_symlink;
  ops.link = op_link;
  ops.unlink = op_unlink;
  ops.rmdir = op_rmdir;
  ops.rename = op_rename;
  ops.open = op_open;
  ops.create = op_create;
  ops.read = op_read;
  ops.write = op_write;
  // No flush: writes reach the engine as they come (with write-back caching the kernel
  // writes its dirty pages back before it would send flush), so close has nothing to
  // push. Unset, libfuse answers ENOSYS once and the kernel stops sending it: one round
  // trip less per close.
  ops.release = op_release;
  ops.fsync = op_fsync;
  ops.opendir = op_opendir;
  ops.readdir = op_readdir;
  ops.readdirplus = op_readdirplus;
  ops.releasedir = op_releasedir;
  ops.fsyncdir = op_fsyncdir;
  ops.statfs = op_statfs;
  ops.setxattr = op_setxattr;
  ops.getxattr = op_getxattr;
  ops.listxattr = op_listxattr;
  ops.removexattr = op_removexattr;
  return ops;
}

}  // namespace

const fuse_lowlevel_ops& lowlevel_ops() {
  static const fuse_lowlevel_ops ops = make_ops();
  return ops;
}

}  // namespace fzfs::fuse
