#include "fuse/fuse_fs.h"

#include <dirent.h>
#include <sys/stat.h>

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
  handles_[fh] = std::make_unique<const std::vector<Listed>>(std::move(listing));
  return fh;
}

const std::vector<Listed>* FuseFs::handle(uint64_t fh) {
  std::lock_guard<std::mutex> g(handles_mu_);
  auto it = handles_.find(fh);
  return it == handles_.end() ? nullptr : it->second.get();
}

void FuseFs::close_handle(uint64_t fh) {
  std::lock_guard<std::mutex> g(handles_mu_);
  handles_.erase(fh);
}

}  // namespace fzfs::fuse
