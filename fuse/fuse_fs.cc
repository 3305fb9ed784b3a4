#include "fuse/fuse_fs.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdio>  // RENAME_NOREPLACE, RENAME_EXCHANGE
#include <mutex>
#include <optional>

namespace fzfs::fuse {

namespace {

bool is_synthetic(NodeRef ref) {
  return ref.tree == 0 && (ref.object == kCtlDirObject || ref.object == kSnapDirObject);
}

Error bad_object(const std::string& ds, uint64_t obj) {
  return make_error(EIO, "{}: object number {} out of range", ds, obj);
}

// ZFS names are at most 255 bytes; the kernel lets FUSE names run to 1024.
constexpr size_t kNameMax = 255;

Status check_name(std::string_view name) {
  if (name.size() > kNameMax) return make_error(ENAMETOOLONG, "name of {} bytes", name.size());
  return Status::Ok();
}

uint32_t masked(uint32_t mode, const Caller& c) { return mode & 07777 & ~(c.umask & 0777); }

}  // namespace

FuseFs::FuseFs(std::shared_ptr<Filesystem> live, SnapshotSource snapshots,
               bool snapdir_visible)
    : live_(live),
      ids_(live->root_object()),
      snapshots_(std::move(snapshots)),
      snapdir_visible_(snapdir_visible) {
  trees_.push_back(live_);
}

Result<FuseFs::Object> FuseFs::resolve(uint64_t id) {
  const NodeRef ref = ids_.decode(id);
  if (is_synthetic(ref)) return Object{nullptr, ref};
  std::shared_lock lock(mu_);
  if (ref.tree >= trees_.size())
    return make_error(ESTALE, "{}: stale node id {:#x}", dataset_name(), id);
  return Object{trees_[ref.tree], ref};
}

// The file system and object of a real (non-synthetic) node.
Result<std::shared_ptr<Filesystem>> FuseFs::object_fs(uint64_t id, uint64_t* obj) {
  FZ_TRY(Object o, resolve(id));
  if (!o.fs) return make_error(EISDIR, "{}: .zfs is a directory", dataset_name());
  *obj = o.ref.object;
  return o.fs;
}

Result<Node> FuseFs::node_of(const std::shared_ptr<Filesystem>& fs, NodeRef ref) {
  if (!NodeIdMap::valid_object(ref.object)) return bad_object(fs->dataset_name(), ref.object);
  FZ_TRY(Attr attr, fs->getattr(ref.object));
  return Node{ids_.encode(ref), attr};
}

Result<uint32_t> FuseFs::open_snapshot(const std::string& name) {
  {
    std::shared_lock lock(mu_);
    if (auto it = snap_trees_.find(name); it != snap_trees_.end()) return it->second;
  }
  if (name.empty() || name.find_first_of("/@") != std::string::npos)
    return make_error(ENOENT, "no snapshot '{}'", name);
  // Opening reads from the pool: do it unlocked, then publish (first one wins).
  FZ_TRY(std::shared_ptr<Filesystem> fs, snapshots_.open(name));
  std::unique_lock lock(mu_);
  if (auto it = snap_trees_.find(name); it != snap_trees_.end()) return it->second;
  if (trees_.size() >= kMaxTrees)
    return make_error(EMFILE, "{}: too many snapshots open", dataset_name());
  const uint32_t tree = static_cast<uint32_t>(trees_.size());
  trees_.push_back(std::move(fs));
  snap_trees_.emplace(name, tree);
  return tree;
}

Result<Node> FuseFs::lookup(uint64_t parent, std::string_view name) {
  FZ_CHECK(check_name(name));
  FZ_TRY(Object dir, resolve(parent));
  const NodeRef ref = dir.ref;
  if (ref.tree == 0 && ref.object == kCtlDirObject) {
    if (name != "snapshot") return make_error(ENOENT, ".zfs/{} does not exist", name);
    FZ_TRY(Attr a, synthetic_attr(kSnapDirObject));
    return Node{ids_.encode({0, kSnapDirObject}), a};
  }
  if (ref.tree == 0 && ref.object == kSnapDirObject) {
    FZ_TRY(uint32_t tree, open_snapshot(std::string(name)));
    std::shared_ptr<Filesystem> fs;
    {
      std::shared_lock lock(mu_);
      fs = trees_[tree];
    }
    return node_of(fs, {tree, fs->root_object()});
  }
  // `.zfs` is reachable by name in the live root even while hidden from readdir.
  if (ref.tree == 0 && ref.object == dir.fs->root_object() && name == ".zfs") {
    FZ_TRY(Attr a, synthetic_attr(kCtlDirObject));
    return Node{ids_.encode({0, kCtlDirObject}), a};
  }
  FZ_TRY(uint64_t child, dir.fs->lookup(ref.object, name));
  return node_of(dir.fs, {ref.tree, child});
}

Result<Attr> FuseFs::synthetic_attr(uint64_t object) {
  FZ_TRY(Attr a, live_->getattr(live_->root_object()));
  a.ino = object;
  a.mode = S_IFDIR | 0555;
  a.nlink = 2;
  a.size = 0;
  a.blocks = 0;
  return a;
}

Result<Attr> FuseFs::getattr(uint64_t id) {
  FZ_TRY(Object o, resolve(id));
  if (!o.fs) return synthetic_attr(o.ref.object);
  return o.fs->getattr(o.ref.object);
}

Result<std::vector<Listed>> FuseFs::list_synthetic(uint64_t object) {
  const uint64_t root_ino = live_->root_object();
  std::vector<Listed> out;
  out.push_back({".", ids_.encode({0, object}), object, DT_DIR});
  if (object == kCtlDirObject) {
    out.push_back({"..", ids_.encode({0, root_ino}), root_ino, DT_DIR});
    out.push_back({"snapshot", ids_.encode({0, kSnapDirObject}), kSnapDirObject, DT_DIR});
    return out;
  }
  out.push_back({"..", ids_.encode({0, kCtlDirObject}), kCtlDirObject, DT_DIR});
  FZ_TRY(std::vector<std::string> names, snapshots_.list());
  std::shared_lock lock(mu_);
  for (auto& n : names) {
    auto it = snap_trees_.find(n);
    const uint64_t id = it == snap_trees_.end() ? 0 : ids_.encode({it->second, root_ino});
    out.push_back({std::move(n), id, root_ino, DT_DIR});
  }
  return out;
}

Result<std::vector<Listed>> FuseFs::list(uint64_t dir) {
  FZ_TRY(Object o, resolve(dir));
  if (!o.fs) return list_synthetic(o.ref.object);
  std::vector<Listed> out;
  std::optional<Error> bad;
  FZ_CHECK(o.fs->readdir(o.ref.object, 0, [&](const DirEntry& e) {
    if (!NodeIdMap::valid_object(e.ino)) {
      bad = bad_object(o.fs->dataset_name(), e.ino);
      return false;
    }
    out.push_back({e.name, ids_.encode({o.ref.tree, e.ino}), e.ino, e.type});
    return true;
  }));
  if (bad) return std::move(*bad);
  if (o.ref.tree == 0 && o.ref.object == o.fs->root_object() && snapdir_visible_)
    out.push_back({".zfs", ids_.encode({0, kCtlDirObject}), kCtlDirObject, DT_DIR});
  return out;
}

Result<size_t> FuseFs::read(uint64_t id, uint64_t offset, std::span<uint8_t> out) {
  uint64_t obj = 0;
  FZ_TRY(auto fs, object_fs(id, &obj));
  return fs->read(obj, offset, out);
}

Result<std::string> FuseFs::readlink(uint64_t id) {
  uint64_t obj = 0;
  auto fs = object_fs(id, &obj);
  if (!fs.ok()) return make_error(EINVAL, "not a symlink");
  return (*fs)->readlink(obj);
}

Result<std::vector<std::string>> FuseFs::listxattr(uint64_t id) {
  FZ_TRY(Object o, resolve(id));
  if (!o.fs) return std::vector<std::string>{};
  return o.fs->listxattr(o.ref.object);
}

Result<std::vector<uint8_t>> FuseFs::getxattr(uint64_t id, std::string_view name) {
  FZ_TRY(Object o, resolve(id));
  if (!o.fs) return make_error(ENODATA, "no xattr '{}'", name);
  return o.fs->getxattr(o.ref.object, name);
}

Result<FsStat> FuseFs::statfs() { return live_->statfs(); }

uint64_t FuseFs::open_handle(std::vector<Listed> listing) {
  std::lock_guard<std::mutex> g(handles_mu_);
  uint64_t fh = next_handle_++;
  handles_[fh].listing = std::make_unique<const std::vector<Listed>>(std::move(listing));
  return fh;
}

Result<const std::vector<Listed>*> FuseFs::listing_at(uint64_t fh, uint64_t dir, int64_t off) {
  bool relist = false;
  {
    std::lock_guard<std::mutex> g(handles_mu_);
    auto it = handles_.find(fh);
    if (it == handles_.end()) return make_error(EBADF, "no directory handle {}", fh);
    if (off <= 0) {
      relist = !it->second.fresh && mutable_node(dir);
      it->second.fresh = false;
    }
    if (!relist) return it->second.listing.get();
  }
  // The kernel reads one handle from one thread at a time, so replacing its listing
  // cannot pull it from under another reader of the same handle.
  FZ_TRY(std::vector<Listed> fresh, list(dir));
  std::lock_guard<std::mutex> g(handles_mu_);
  auto it = handles_.find(fh);
  if (it == handles_.end()) return make_error(EBADF, "no directory handle {}", fh);
  it->second.listing = std::make_unique<const std::vector<Listed>>(std::move(fresh));
  return it->second.listing.get();
}

void FuseFs::close_handle(uint64_t fh) {
  std::lock_guard<std::mutex> g(handles_mu_);
  handles_.erase(fh);
}

bool FuseFs::mutable_node(uint64_t id) {
  auto o = resolve(id);
  if (!o.ok()) return true;  // unknown: assume the worst, cache nothing
  return o->fs ? !o->fs->readonly() : !live_->readonly();
}

// ---- changes ----

Result<FuseFs::Object> FuseFs::writable(uint64_t id) {
  FZ_TRY(Object o, resolve(id));
  if (!o.fs) return make_error(EROFS, "{}: .zfs is read-only", dataset_name());
  if (o.fs->readonly()) return make_error(EROFS, "{}: read-only file system", o.fs->dataset_name());
  return o;
}

Result<FuseFs::Object> FuseFs::writable_dir(uint64_t id, std::string_view name) {
  FZ_CHECK(check_name(name));
  return writable(id);
}

// Each snapshot is a file system of its own (ZFS mounts it apart), and so is `.zfs`:
// links and renames between them and the live tree are EXDEV, before any EROFS.
Status FuseFs::same_tree(uint64_t a, uint64_t b) {
  FZ_TRY(Object x, resolve(a));
  FZ_TRY(Object y, resolve(b));
  if (x.ref.tree != y.ref.tree || !x.fs != !y.fs)
    return make_error(EXDEV, "{}: link or rename across file systems", dataset_name());
  return Status::Ok();
}

Result<Creds> FuseFs::owner_in(const Object& dir, const Caller& c, bool* setgid_dir) {
  FZ_TRY(Attr d, dir.fs->getattr(dir.ref.object));
  if (!S_ISDIR(d.mode)) return make_error(ENOTDIR, "object {} is not a directory", dir.ref.object);
  *setgid_dir = (d.mode & S_ISGID) != 0;
  return Creds{c.uid, *setgid_dir ? d.gid : c.gid};
}

Result<Node> FuseFs::new_node(const Object& dir, Result<Attr> made) {
  if (!made.ok()) return std::move(made).error();
  if (!NodeIdMap::valid_object(made->ino)) return bad_object(dir.fs->dataset_name(), made->ino);
  return Node{ids_.encode({dir.ref.tree, made->ino}), *made};
}

Result<Node> FuseFs::create(uint64_t parent, std::string_view name, uint32_t mode,
                            uint64_t rdev, const Caller& c) {
  FZ_TRY(Object dir, writable_dir(parent, name));
  bool setgid_dir = false;
  FZ_TRY(Creds who, owner_in(dir, c, &setgid_dir));
  uint32_t type = mode & S_IFMT;
  if (type == 0) type = S_IFREG;
  if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR && type != S_IFBLK)
    return make_error(EINVAL, "cannot create a node of type {:#o}", type);
  const bool device = type == S_IFCHR || type == S_IFBLK;
  return new_node(dir, dir.fs->create(dir.ref.object, name, type | masked(mode, c),
                                      device ? rdev : 0, who));
}

Result<Node> FuseFs::mkdir(uint64_t parent, std::string_view name, uint32_t mode,
                           const Caller& c) {
  FZ_TRY(Object dir, writable_dir(parent, name));
  bool setgid_dir = false;
  FZ_TRY(Creds who, owner_in(dir, c, &setgid_dir));
  // The kernel strips S_ISGID from mkdir's mode; a setgid parent passes it on.
  const uint32_t perm = masked(mode, c) | (setgid_dir ? S_ISGID : 0);
  return new_node(dir, dir.fs->mkdir(dir.ref.object, name, S_IFDIR | perm, who));
}

Result<Node> FuseFs::symlink(uint64_t parent, std::string_view name, std::string_view target,
                             const Caller& c) {
  FZ_TRY(Object dir, writable_dir(parent, name));
  bool setgid_dir = false;
  FZ_TRY(Creds who, owner_in(dir, c, &setgid_dir));
  return new_node(dir, dir.fs->symlink(dir.ref.object, name, target, who));
}

Result<Node> FuseFs::link(uint64_t id, uint64_t newparent, std::string_view newname) {
  FZ_CHECK(check_name(newname));
  FZ_CHECK(same_tree(id, newparent));
  FZ_TRY(Object dir, writable(newparent));
  FZ_TRY(Object o, writable(id));
  return new_node(dir, dir.fs->link(o.ref.object, dir.ref.object, newname));
}

Status FuseFs::unlink(uint64_t parent, std::string_view name) {
  FZ_TRY(Object dir, writable_dir(parent, name));
  return dir.fs->unlink(dir.ref.object, name);
}

Status FuseFs::rmdir(uint64_t parent, std::string_view name) {
  FZ_TRY(Object dir, writable_dir(parent, name));
  return dir.fs->rmdir(dir.ref.object, name);
}

Status FuseFs::rename(uint64_t parent, std::string_view name, uint64_t newparent,
                      std::string_view newname, unsigned flags) {
  FZ_CHECK(check_name(newname));
  if (flags & ~unsigned{RENAME_NOREPLACE | RENAME_EXCHANGE})  // RENAME_WHITEOUT: overlayfs only
    return make_error(EINVAL, "rename flags {:#x} not supported", flags);
  FZ_CHECK(same_tree(parent, newparent));
  FZ_TRY(Object from, writable_dir(parent, name));
  FZ_TRY(Object to, writable(newparent));
  return from.fs->rename(from.ref.object, name, to.ref.object, newname, flags);
}

Result<Attr> FuseFs::setattr(uint64_t id, const SetAttr& a) {
  FZ_TRY(Object o, writable(id));
  return o.fs->setattr(o.ref.object, a);
}

Result<size_t> FuseFs::write(uint64_t id, uint64_t offset, std::span<const uint8_t> data) {
  FZ_TRY(Object o, writable(id));
  return o.fs->write(o.ref.object, offset, data);
}

Status FuseFs::fsync(uint64_t id, bool datasync) {
  FZ_TRY(Object o, resolve(id));
  // Nothing to make durable in .zfs or a snapshot.
  if (!o.fs || o.fs->readonly()) return Status::Ok();
  return o.fs->fsync(o.ref.object, datasync);
}

Status FuseFs::setxattr(uint64_t id, std::string_view name, std::span<const uint8_t> value,
                        int flags) {
  FZ_TRY(Object o, writable(id));
  return o.fs->setxattr(o.ref.object, name, value, flags);
}

Status FuseFs::removexattr(uint64_t id, std::string_view name) {
  FZ_TRY(Object o, writable(id));
  return o.fs->removexattr(o.ref.object, name);
}

// ---- lookup counts ----

void FuseFs::forget(uint64_t id, uint64_t n) {
  if (lookups_.drop(id, n)) release(id);
}

void FuseFs::shutdown() {
  for (uint64_t id : lookups_.drain()) release(id);
  if (!live_->readonly()) (void)live_->fsync(live_->root_object(), false);
}

void FuseFs::release(uint64_t id) {
  auto o = resolve(id);
  if (!o.ok() || !o->fs) return;  // stale or synthetic: nothing behind it
  // The kernel keeps the mount root for the life of the mount; never release it.
  if (o->ref.tree == 0 && o->ref.object == live_->root_object()) return;
  o->fs->forget(o->ref.object);
}

}  // namespace fzfs::fuse
