#include "tools/daemon/pool_service.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "tools/daemon/readonly_mount.h"
#include "tools/daemon/stale_mount.h"
#include "tools/dataset_select.h"

namespace fzfs {

namespace {

const std::string* prop(const DatasetInfo& ds, const std::string& name) {
  auto it = ds.props.find(name);
  return it == ds.props.end() ? nullptr : &it->second.value;
}

bool has_path_mountpoint(const DatasetInfo& ds) {
  const std::string* mp = prop(ds, "mountpoint");
  return mp && !mp->empty() && (*mp)[0] == '/';
}

// What `zfs mount -a` mounts: filesystems with canmount=on and a path mountpoint.
bool auto_mountable(const DatasetInfo& ds) {
  const std::string* canmount = prop(ds, "canmount");
  return ds.type == DatasetType::kFilesystem && has_path_mountpoint(ds) &&
         (!canmount || *canmount == "on");
}

// The kernel's write-back cache for file data (on unless FZFS_WRITEBACK_CACHE is "0" or
// "off"): many small writes reach the engine as few page-sized or larger ones, and fsync
// still waits for the txg holding them. Every writer of a pool goes through this one
// mount, so the kernel's cached sizes and times cannot go stale behind its back.
bool writeback_cache_wanted() {
  const char* v = std::getenv("FZFS_WRITEBACK_CACHE");
  if (!v) return true;
  const std::string s(v);
  return !(s == "0" || s == "off" || s == "no");
}

}  // namespace

PoolService::PoolService(std::unique_ptr<Pool> pool, std::string altroot)
    : name_(pool->name()), altroot_(std::move(altroot)), pool_(std::move(pool)) {
  while (altroot_.size() > 1 && altroot_.back() == '/') altroot_.pop_back();
}

PoolService::~PoolService() { (void)close(true); }

std::string PoolService::full_mountpoint(const std::string& mountpoint) const {
  if (altroot_.empty() || altroot_ == "/") return mountpoint;
  return mountpoint == "/" ? altroot_ : altroot_ + mountpoint;
}

void PoolService::reap_dead_mounts() {
  std::lock_guard lock(mounts_mu_);
  for (auto it = mounts_.begin(); it != mounts_.end();) {
    if (it->second->serving()) {
      ++it;
      continue;
    }
    (void)it->second->unmount(true);
    it = mounts_.erase(it);
  }
}

Result<std::vector<DatasetInfo>> PoolService::datasets() {
  reap_dead_mounts();
  std::vector<DatasetInfo> list;
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_) return make_error(ENXIO, "pool is being exported");
    FZ_TRY(list, pool_->datasets());
  }
  std::lock_guard lock(mounts_mu_);
  for (auto& ds : list) {
    if (ds.type != DatasetType::kFilesystem) continue;
    if (has_path_mountpoint(ds)) {
      auto& mp = ds.props["mountpoint"].value;
      mp = full_mountpoint(mp);
    }
    ds.props["mounted"] = {mounts_.count(ds.name) ? "yes" : "no", std::nullopt, "-"};
  }
  return list;
}

std::map<std::string, PropValue> PoolService::pool_properties() {
  std::map<std::string, PropValue> props;
  {
    std::lock_guard lock(pool_mu_);
    if (pool_) props = pool_->properties();
  }
  // The alternate root is this import's, not the pool's.
  if (altroot_.empty()) props["altroot"] = {"-", std::nullopt, "default"};
  else props["altroot"] = {altroot_, std::nullopt, "local"};
  return props;
}

VdevStatusNode PoolService::status() {
  std::lock_guard lock(pool_mu_);
  return pool_ ? pool_->status() : VdevStatusNode{};
}

std::string PoolService::health() {
  std::lock_guard lock(pool_mu_);
  return pool_ ? pool_->health() : "UNAVAIL";
}

HealthReport PoolService::health_report() {
  std::lock_guard lock(pool_mu_);
  return pool_ ? pool_->health_report() : HealthReport{};
}

Status PoolService::with_pool(const std::function<Status(Pool&)>& fn) {
  std::lock_guard lock(pool_mu_);
  if (!pool_) return make_error(ENXIO, "pool is being exported");
  return fn(*pool_);
}

Result<std::string> PoolService::mount_locked(const DatasetInfo& ds) {
  if (ds.type != DatasetType::kFilesystem)
    return make_error(EINVAL, "{} cannot be mounted", ds.type == DatasetType::kSnapshot
                                                          ? "snapshots"
                                                          : "only filesystems");
  if (mounts_.count(ds.name)) return make_error(EBUSY, "filesystem already mounted");
  const std::string* mp = prop(ds, "mountpoint");
  if (!mp || *mp == "none") return make_error(EINVAL, "no mountpoint set");
  if (*mp == "legacy") return make_error(EINVAL, "legacy mountpoint, use mount(8)");
  const std::string path = *mp;  // already under the altroot (see datasets())
  const std::string fsname = "fzfs:" + ds.name;
  clear_stale_mounts(fsname, path);
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return make_error(ec.value(), "cannot create mountpoint {}: {}", path, ec.message());

  std::shared_ptr<Filesystem> fs;
  {
    std::lock_guard lock(pool_mu_);
    FZ_TRY(fs, pool_->open_filesystem(ds.name));
  }
  // Snapshots are opened by the FUSE threads on first lookup; they go through the
  // same lock as every other Pool call.
  fuse::SnapshotSource snaps{
      [this, name = ds.name]() -> Result<std::vector<std::string>> {
        std::lock_guard lock(pool_mu_);
        if (!pool_) return make_error(ENXIO, "pool is being exported");
        return pool_->snapshots_of(name);
      },
      [this, name = ds.name](const std::string& snap) -> Result<std::shared_ptr<Filesystem>> {
        std::lock_guard lock(pool_mu_);
        if (!pool_) return make_error(ENXIO, "pool is being exported");
        return pool_->open_filesystem(name + "@" + snap);
      }};
  const std::string* snapdir = prop(ds, "snapdir");
  auto fuse_fs = std::make_unique<fuse::FuseFs>(fs, std::move(snaps),
                                                snapdir && *snapdir == "visible");
  FZ_TRY(auto m, fuse::FuseMount::start(std::move(fuse_fs), path,
                                        {fsname, /*allow_other=*/true, writeback_cache_wanted()}));
  const std::string* readonly = prop(ds, "readonly");
  if (readonly && *readonly == "on" && !fs->readonly()) {
    if (Status s = make_mount_readonly(path); !s.ok()) {
      (void)m->unmount(true);
      return std::move(s).error();
    }
  }
  mounts_.emplace(ds.name, std::move(m));
  return path;
}

Result<std::string> PoolService::mount(const std::string& dataset) {
  FZ_TRY(auto list, datasets());
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const DatasetInfo& d) { return d.name == dataset; });
  if (it == list.end()) return make_error(ENOENT, "dataset does not exist");
  std::lock_guard lock(mounts_mu_);
  return mount_locked(*it);
}

std::vector<std::string> PoolService::mount_all() { return mount_subtree(""); }

std::vector<std::string> PoolService::mount_subtree(
    const std::string& root, const std::function<bool(const std::string&)>& only) {
  std::vector<std::string> errors;
  auto list = datasets();
  if (!list.ok()) return {"cannot list datasets: " + list.error().message()};
  std::vector<const DatasetInfo*> todo;
  for (const auto& ds : *list)
    if (in_subtree(root, ds.name) && auto_mountable(ds) && (!only || only(ds.name)))
      todo.push_back(&ds);
  // A parent's mountpoint sorts before its children's, so children mount on top.
  std::stable_sort(todo.begin(), todo.end(), [](const DatasetInfo* a, const DatasetInfo* b) {
    return *prop(*a, "mountpoint") < *prop(*b, "mountpoint");
  });
  std::lock_guard lock(mounts_mu_);
  for (const DatasetInfo* ds : todo) {
    if (mounts_.count(ds->name)) continue;
    auto r = mount_locked(*ds);
    if (!r.ok()) errors.push_back("cannot mount '" + ds->name + "': " + r.error().message());
  }
  return errors;
}

Status PoolService::unmount(const std::string& dataset_or_path, bool force) {
  reap_dead_mounts();
  std::lock_guard lock(mounts_mu_);
  auto it = mounts_.find(dataset_or_path);
  if (it == mounts_.end())
    it = std::find_if(mounts_.begin(), mounts_.end(),
                      [&](const auto& m) { return m.second->mountpoint() == dataset_or_path; });
  if (it == mounts_.end()) return make_error(EINVAL, "not currently mounted");
  return unmount_locked({it->first}, force);
}

Status PoolService::unmount_locked(std::vector<std::string> order, bool force) {
  // Children before parents: the reverse of mount order.
  std::sort(order.begin(), order.end(), [this](const std::string& a, const std::string& b) {
    return mounts_[a]->mountpoint() > mounts_[b]->mountpoint();
  });
  for (const auto& ds : order) {
    auto s = mounts_[ds]->unmount(force);
    if (!s.ok()) {
      // zfs's words for a mount still in use.
      const int code = s.error().code();
      return make_error(code, "cannot unmount '{}': {}", mounts_[ds]->mountpoint(),
                        code == EBUSY ? std::string("pool or dataset is busy") : s.error().message());
    }
    mounts_.erase(ds);
  }
  return Status::Ok();
}

Status PoolService::unmount_all(bool force) {
  std::lock_guard lock(mounts_mu_);
  std::vector<std::string> all;
  for (const auto& [ds, m] : mounts_) all.push_back(ds);
  return unmount_locked(std::move(all), force);
}

Result<std::vector<std::string>> PoolService::unmount_subtree(const std::string& root, bool force) {
  reap_dead_mounts();
  std::lock_guard lock(mounts_mu_);
  std::vector<std::string> mounted;
  for (const auto& [ds, m] : mounts_)
    if (in_subtree(root, ds)) mounted.push_back(ds);
  FZ_CHECK(unmount_locked(mounted, force));
  return mounted;
}

std::vector<std::pair<std::string, std::string>> PoolService::mounts() {
  reap_dead_mounts();
  std::lock_guard lock(mounts_mu_);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [ds, m] : mounts_) out.emplace_back(ds, m->mountpoint());
  return out;
}

Status PoolService::close(bool force, bool destroy) {
  FZ_CHECK(unmount_all(force));
  std::lock_guard lock(pool_mu_);
  if (!pool_) return Status::Ok();
  // Everything written through the mounts is committed and the labels say
  // "exported", so the next import (ours or another implementation's) sees it all.
  Status exported = destroy              ? pool_->destroy_pool()
                    : pool_->readonly() ? Status::Ok()
                                        : pool_->export_pool();
  pool_.reset();
  return exported;
}

}  // namespace fzfs
