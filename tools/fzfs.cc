// fzfs: the zfs-like command. A pure client of the pool daemons (see wire.h).
#include <set>

#include "tools/cli_common.h"
#include "tools/client.h"
#include "tools/dataset_select.h"
#include "tools/fzfs_change.h"
#include "tools/prop_columns.h"
#include "tools/prop_order.h"
#include "tools/rundir.h"
#include "tools/table.h"
#include "tools/wire.h"

namespace fzfs {

namespace {

using nlohmann::json;

struct Fetched {
  std::vector<DatasetInfo> datasets;
  int status = kExitOk;
};

// Datasets of the pools the names belong to (or of every pool), in pool-name order.
Fetched fetch(const std::vector<std::string>& names) {
  std::set<std::string> pools;
  if (names.empty())
    for (const auto& p : pools_with_sockets()) pools.insert(p);
  for (const auto& n : names) pools.insert(pool_of(n));
  Fetched f;
  for (const auto& pool : pools) {
    auto list = pool_datasets(pool);
    if (!list.ok()) {
      if (!is_no_such_pool(list.error())) {
        print_error("cannot open '{}': {}", pool, list.error().message());
        f.status = kExitError;
      }
      continue;  // not imported: its names are reported as missing
    }
    f.datasets.insert(f.datasets.end(), list->begin(), list->end());
  }
  return f;
}

// Selects, reporting names that do not exist. Returns the datasets.
std::vector<DatasetInfo> select_reporting(const DatasetQuery& q, int* status) {
  Fetched f = fetch(q.names);
  *status = f.status;
  Selection sel = select_datasets(f.datasets, q);
  for (const auto& m : sel.missing) {
    print_error("cannot open '{}': dataset does not exist", m);
    *status = kExitError;
  }
  return std::move(sel.datasets);
}

std::string prop_text(const DatasetInfo& ds, const std::string& prop, bool exact) {
  if (prop == "name") return ds.name;
  auto it = ds.props.find(prop);
  if (it == ds.props.end()) return "-";
  if (exact && it->second.number) return std::to_string(*it->second.number);
  return it->second.value;
}

struct CommonArgs {
  bool scripted = false, exact = false, recursive = false;
  int depth = -1;
  std::string types;
  std::string fields;
  std::vector<std::string> names;
};

// Builds the query from -r/-d/-t; a bad -t is a usage error.
std::optional<DatasetQuery> make_query(const CommonArgs& a, const std::string& default_types) {
  DatasetQuery q;
  q.names = a.names;
  q.recursive = a.recursive;
  if (a.depth >= 0) q.depth = a.depth;
  q.types_given = !a.types.empty();
  auto types = parse_types(q.types_given ? a.types : default_types);
  if (!types.ok()) {
    print_error("{}", types.error().message());
    return std::nullopt;
  }
  q.types = *types;
  return q;
}

int cmd_list(const CommonArgs& a) {
  auto q = make_query(a, "filesystem,volume");
  if (!q) return kExitUsage;
  std::vector<std::string> props;
  for (const auto& f : split_commas(a.fields)) props.push_back(zfs_prop_name(f));
  for (const auto& p : props)
    if (!is_zfs_property(p)) {
      print_error("invalid property '{}'", p);
      return kExitUsage;
    }
  int status;
  auto datasets = select_reporting(*q, &status);
  std::vector<Column> cols;
  for (const auto& p : props) cols.push_back(zfs_column(p));
  Table table(cols);
  for (const auto& ds : datasets) {
    std::vector<std::string> row;
    for (const auto& p : props) row.push_back(prop_text(ds, p, a.exact));
    table.add_row(std::move(row));
  }
  if (table.empty()) {
    if (a.names.empty()) print_error("no datasets available");
    return status;
  }
  fmt::print("{}", table.render(a.scripted, a.exact));
  return status;
}

int cmd_get(const CommonArgs& a, const std::string& which) {
  auto q = make_query(a, "all");
  if (!q) return kExitUsage;
  std::vector<std::string> wanted;
  if (which != "all")
    for (const auto& p : split_commas(which)) {
      wanted.push_back(zfs_prop_name(p));
      if (!is_zfs_property(wanted.back())) {
        print_error("bad property list: invalid property '{}'", p);
        return kExitUsage;
      }
    }
  const auto cols_wanted = split_commas(a.fields);
  std::vector<Column> cols;
  for (const auto& c : cols_wanted) {
    std::string h = c;
    std::transform(h.begin(), h.end(), h.begin(), ::toupper);
    cols.push_back({h, false, 0, false});
  }
  int status;
  auto datasets = select_reporting(*q, &status);
  Table table(cols);
  for (const auto& ds : datasets) {
    for (const auto& prop : which == "all" ? zfs_get_order(ds.props) : wanted) {
      auto it = ds.props.find(prop);
      std::vector<std::string> row;
      for (const auto& c : cols_wanted) {
        if (c == "name") row.push_back(ds.name);
        else if (c == "property") row.push_back(prop);
        else if (c == "value") row.push_back(prop_text(ds, prop, a.exact));
        else if (c == "source") row.push_back(it == ds.props.end() ? "-" : it->second.source);
        else row.push_back("-");  // received: nothing is ever received here
      }
      table.add_row(std::move(row));
    }
  }
  if (!table.empty()) fmt::print("{}", table.render(a.scripted, true));
  return status;
}

int mount_list() {
  for (const auto& pool : pools_with_sockets()) {
    auto reply = daemon_request(pool, {{"op", "mounts"}});
    if (!reply.ok()) continue;
    for (const auto& m : (*reply)["mounts"])
      fmt::print("{:<30}  {}\n", m["name"].get<std::string>(), m["mountpoint"].get<std::string>());
  }
  return kExitOk;
}

int mount_all() {
  int status = kExitOk;
  for (const auto& pool : pools_with_sockets()) {
    auto reply = daemon_request(pool, {{"op", "mount_all"}});
    if (!reply.ok()) {
      print_error("cannot mount '{}': {}", pool, reply.error().message());
      status = kExitError;
      continue;
    }
    for (const auto& e : (*reply)["errors"]) {
      print_error("{}", e.get<std::string>());
      status = kExitError;
    }
  }
  return status;
}

int cmd_mount(bool all, const std::string& dataset) {
  if (all) return mount_all();
  if (dataset.empty()) return mount_list();
  auto reply = daemon_request(pool_of(dataset), {{"op", "mount"}, {"name", dataset}});
  if (!reply.ok()) {
    if (reply.error().code() == ENOENT)
      print_error("cannot open '{}': dataset does not exist", dataset);
    else
      print_error("cannot mount '{}': {}", dataset, reply.error().message());
    return kExitError;
  }
  return kExitOk;
}

// The pool whose daemon has `path` mounted, if any.
std::optional<std::string> pool_mounting(const std::string& path) {
  for (const auto& pool : pools_with_sockets()) {
    auto reply = daemon_request(pool, {{"op", "mounts"}});
    if (!reply.ok()) continue;
    for (const auto& m : (*reply)["mounts"])
      if (m["mountpoint"] == path) return pool;
  }
  return std::nullopt;
}

int cmd_unmount(bool all, bool force, std::string target) {
  if (all) {
    int status = kExitOk;
    for (const auto& pool : pools_with_sockets()) {
      auto reply = daemon_request(pool, {{"op", "mounts"}});
      if (!reply.ok()) continue;
      for (const auto& m : (*reply)["mounts"])
        if (cmd_unmount(false, force, m["name"]) != kExitOk) status = kExitError;
    }
    return status;
  }
  if (target.empty()) {
    print_error("missing dataset or mountpoint argument");
    return kExitUsage;
  }
  while (target.size() > 1 && target.back() == '/') target.pop_back();
  std::optional<std::string> pool =
      target[0] == '/' ? pool_mounting(target) : std::optional(pool_of(target));
  if (!pool) {
    print_error("cannot unmount '{}': not a mounted fzfs file system", target);
    return kExitError;
  }
  auto reply = daemon_request(*pool, {{"op", "unmount"}, {"name", target}, {"force", force}});
  if (!reply.ok()) {
    if (reply.error().code() == ENOENT)
      print_error("cannot open '{}': dataset does not exist", target);
    else
      print_failure(fmt::format("cannot unmount '{}'", target), reply.error().message());
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

int fzfs_main(int argc, char** argv) {
  CLI::App app{"fzfs: create, change, list and mount ZFS datasets (userspace)", "fzfs"};
  app.require_subcommand(1);

  CommonArgs la;
  la.fields = "name,used,available,referenced,mountpoint";
  auto* list = app.add_subcommand("list", "list datasets");
  list->add_flag("-H", la.scripted, "scripted mode: no header, tab-separated");
  list->add_flag("-p", la.exact, "exact numbers");
  list->add_flag("-r", la.recursive, "include descendants");
  list->add_option("-d", la.depth, "recurse at most N levels");
  list->add_option("-o", la.fields, "fields");
  list->add_option("-t", la.types, "filesystem|snapshot|volume|all[,...]");
  list->add_option("name", la.names);

  CommonArgs ga;
  ga.fields = "name,property,value,source";
  std::string which;
  auto* get = app.add_subcommand("get", "show dataset properties");
  get->add_flag("-H", ga.scripted, "scripted mode");
  get->add_flag("-p", ga.exact, "exact numbers");
  get->add_flag("-r", ga.recursive, "include descendants");
  get->add_option("-d", ga.depth, "recurse at most N levels");
  get->add_option("-o", ga.fields, "fields: name,property,value,received,source");
  get->add_option("-t", ga.types, "types");
  get->add_option("property", which, "all or PROP[,PROP]")->required();
  get->add_option("name", ga.names);

  bool all = false, force = false;
  std::string target;
  auto* mount = app.add_subcommand("mount", "mount a dataset, all (-a), or list mounts");
  mount->add_flag("-a", all, "mount every filesystem");
  mount->add_option("dataset", target);

  auto* unmount = app.add_subcommand("unmount", "unmount a dataset or mountpoint");
  unmount->alias("umount");
  unmount->add_flag("-a", all, "unmount every fzfs file system");
  unmount->add_flag("-f", force, "unmount even if busy");
  unmount->add_option("target", target);

  bool parents = false, recursive = false;
  std::vector<std::string> props, operands;
  std::string name, new_name;
  auto* create = app.add_subcommand("create", "create a file system (and mount it)");
  create->add_flag("-p", parents, "create missing parents");
  create->add_option("-o", props, "property=value")->allow_extra_args(false);
  create->add_option("filesystem", name);

  auto* destroy = app.add_subcommand("destroy", "unmount and destroy a dataset");
  destroy->add_flag("-r", recursive, "destroy descendants too");
  destroy->add_option("dataset", name);

  auto* rename = app.add_subcommand("rename", "rename a dataset (and remount it)");
  rename->add_option("dataset", name);
  rename->add_option("newname", new_name);

  auto* set = app.add_subcommand("set", "set properties: PROP=VAL... DATASET...");
  set->add_option("args", operands);

  auto* inherit = app.add_subcommand("inherit", "clear a property: PROP DATASET...");
  inherit->add_flag("-r", recursive, "descendants too");
  inherit->add_option("args", operands);

  if (auto rc = parse_cli(app, argc, argv)) return *rc;
  if (create->parsed()) return fzfs_create(parents, props, name);
  if (destroy->parsed()) {
    if (name.empty()) {
      print_error("missing dataset argument");
      return kExitUsage;
    }
    return fzfs_destroy(recursive, name);
  }
  if (rename->parsed()) return fzfs_rename(name, new_name);
  if (set->parsed()) return fzfs_set(operands);
  if (inherit->parsed()) return fzfs_inherit(recursive, operands);
  if (list->parsed()) return cmd_list(la);
  if (get->parsed()) return cmd_get(ga, which);
  if (mount->parsed()) return cmd_mount(all, target);
  if (unmount->parsed()) return cmd_unmount(all, force, target);
  return kExitUsage;
}

}  // namespace fzfs

int main(int argc, char** argv) { return fzfs::fzfs_main(argc, argv); }
