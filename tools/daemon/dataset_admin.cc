#include "tools/daemon/dataset_admin.h"

#include <algorithm>
#include <set>

#include "tools/dataset_select.h"

namespace fzfs {

namespace {

// Properties the mount itself depends on: a change unmounts the affected file systems
// first and mounts them again afterwards (readonly and snapdir are fixed when a FUSE
// mount starts).
bool affects_mounts(const std::string& prop) {
  return prop == "mountpoint" || prop == "canmount" || prop == "readonly" || prop == "snapdir";
}

// canmount is not inherited: only the dataset itself is affected. The others are.
bool subtree_affected(const std::string& prop) { return prop != "canmount"; }

Result<std::set<std::string>> dataset_names(PoolService& svc) {
  FZ_TRY(auto list, svc.datasets());
  std::set<std::string> names;
  for (const auto& ds : list) names.insert(ds.name);
  return names;
}

// Datasets in the subtree whose mountpoint is not a path (none, legacy): zfs mounts
// them when a new mountpoint makes them mountable.
Result<std::set<std::string>> unmountable_in(PoolService& svc, const std::string& root) {
  FZ_TRY(auto list, svc.datasets());
  std::set<std::string> names;
  for (const auto& ds : list) {
    if (!in_subtree(root, ds.name) || ds.type != DatasetType::kFilesystem) continue;
    auto it = ds.props.find("mountpoint");
    if (it == ds.props.end() || it->second.value.empty() || it->second.value[0] != '/')
      names.insert(ds.name);
  }
  return names;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The unmount/change/remount choreography of one property change. `change` is the
// Pool call; on failure what was unmounted is mounted again.
Result<Warnings> change_property(PoolService& svc, const std::string& name, const std::string& prop,
                                 const std::function<Status(Pool&)>& change) {
  if (!affects_mounts(prop)) {
    FZ_CHECK(svc.with_pool(change));
    return Warnings{};
  }
  std::set<std::string> newly_mountable;
  if (prop == "mountpoint") {
    FZ_TRY(newly_mountable, unmountable_in(svc, name));
  }
  std::vector<std::string> was;
  if (subtree_affected(prop)) {
    FZ_TRY(was, svc.unmount_subtree(name, false));
  } else if (Status s = svc.unmount(name, false); s.ok()) {
    was.push_back(name);
  } else if (s.error().code() != EINVAL) {  // EINVAL: it was not mounted
    return std::move(s).error();
  }
  if (Status s = svc.with_pool(change); !s.ok()) {
    (void)svc.mount_subtree(name, [&](const std::string& ds) { return contains(was, ds); });
    return std::move(s).error();
  }
  return svc.mount_subtree(name, [&](const std::string& ds) {
    return contains(was, ds) || newly_mountable.count(ds) > 0;
  });
}

}  // namespace

Result<Warnings> admin_create(PoolService& svc, const std::string& name,
                              const std::map<std::string, std::string>& props, bool parents) {
  FZ_TRY(auto before, dataset_names(svc));
  FZ_CHECK(svc.with_pool([&](Pool& p) { return p.create_dataset(name, props, parents); }));
  // The new dataset, and with -p any ancestors created for it, mount as zfs mounts them.
  const std::string pool = name.substr(0, name.find('/'));
  Warnings w = svc.mount_subtree(pool, [&](const std::string& ds) { return !before.count(ds); });
  if (!w.empty()) w.push_back("filesystem successfully created, but not mounted");
  return w;
}

Result<Warnings> admin_destroy(PoolService& svc, const std::string& name, bool recursive) {
  // Without -r the dataset has no children (fzfs checks), so this is NAME alone.
  FZ_TRY(auto was, svc.unmount_subtree(name, false));
  if (Status s = svc.with_pool([&](Pool& p) { return p.destroy_dataset(name, recursive); }); !s.ok()) {
    (void)svc.mount_subtree(name, [&](const std::string& ds) { return contains(was, ds); });
    return std::move(s).error();
  }
  return Warnings{};
}

Result<Warnings> admin_rename(PoolService& svc, const std::string& from, const std::string& to) {
  FZ_TRY(auto was, svc.unmount_subtree(from, false));
  if (Status s = svc.with_pool([&](Pool& p) { return p.rename_dataset(from, to); }); !s.ok()) {
    (void)svc.mount_subtree(from, [&](const std::string& ds) { return contains(was, ds); });
    return std::move(s).error();
  }
  // FROM/x is now TO/x: mount again what was mounted, under its new name.
  return svc.mount_subtree(to, [&](const std::string& ds) {
    return contains(was, from + ds.substr(to.size()));
  });
}

Result<Warnings> admin_set(PoolService& svc, const std::string& name,
                           const std::vector<std::pair<std::string, std::string>>& props) {
  Warnings all;
  for (const auto& [prop, value] : props) {
    FZ_TRY(auto w, change_property(svc, name, prop, [&](Pool& p) {
             return p.set_property(name, prop, value);
           }));
    all.insert(all.end(), w.begin(), w.end());
  }
  return all;
}

Result<Warnings> admin_inherit(PoolService& svc, const std::string& name, const std::string& prop,
                               bool recursive) {
  std::vector<std::string> targets{name};
  if (recursive) {
    FZ_TRY(auto list, svc.datasets());
    const bool user_prop = prop.find(':') != std::string::npos;
    for (const auto& ds : list) {
      if (!is_descendant(name, ds.name)) continue;
      // Native properties do not apply to snapshots; user properties do.
      if (ds.type == DatasetType::kSnapshot && !user_prop) continue;
      targets.push_back(ds.name);
    }
  }
  Warnings all;
  for (const auto& target : targets) {
    FZ_TRY(auto w, change_property(svc, target, prop, [&](Pool& p) {
             return p.inherit_property(target, prop);
           }));
    all.insert(all.end(), w.begin(), w.end());
  }
  return all;
}

Status admin_pool_set(PoolService& svc, const std::string& prop, const std::string& value) {
  return svc.with_pool([&](Pool& p) { return p.set_pool_property(prop, value); });
}

}  // namespace fzfs
