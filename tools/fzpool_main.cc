#include "tools/fzpool_main.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "tools/cli_common.h"
#include "tools/client.h"
#include "tools/daemon/daemon.h"
#include "tools/fzpool_create.h"
#include "tools/prop_columns.h"
#include "tools/prop_order.h"
#include "tools/rundir.h"
#include "tools/status_format.h"
#include "tools/table.h"
#include "tools/wire.h"

namespace fzfs {

namespace {

using nlohmann::json;

// ---- import ----

struct ImportArgs {
  std::vector<std::string> dirs;
  std::vector<std::string> props;  // -o key=value
  std::string altroot;
  bool no_mount = false;
  bool force = false;
  std::string pool;
  std::string new_name;
};

int list_importable(const ImportArgs& a, const PoolBackend& backend) {
  auto found = backend.discover(a.dirs.empty() ? std::vector<std::string>{"/dev"} : a.dirs);
  if (!found.ok()) {
    print_error("cannot discover pools: {}", found.error().message());
    return kExitError;
  }
  if (found->empty()) {
    print_error("no pools available to import");
    return kExitError;
  }
  for (size_t i = 0; i < found->size(); i++)
    fmt::print("{}{}", i ? "\n" : "", format_import_candidate((*found)[i]));
  return kExitOk;
}

int import_pool(const ImportArgs& a, const PoolBackend& backend) {
  bool readonly = false;
  for (const auto& p : a.props) {
    if (p == "readonly=on") readonly = true;
    else if (p == "readonly=off") readonly = false;
    else {
      print_error("cannot import '{}': property '{}' is not supported on import", a.pool, p);
      return kExitError;
    }
  }
  if (!a.new_name.empty()) {
    print_error("cannot import '{}': importing under a new name is not supported", a.pool);
    return kExitError;
  }
  // The daemon works from "/": relative -d and -R paths must mean what they meant here.
  auto absolute = [](const std::string& p) { return p.empty() ? p : std::filesystem::absolute(p).string(); };
  DaemonConfig cfg;
  cfg.import.search_dirs = a.dirs.empty() ? std::vector<std::string>{"/dev"} : a.dirs;
  for (auto& d : cfg.import.search_dirs) d = absolute(d);
  cfg.import.pool = a.pool;
  cfg.import.readonly = readonly;
  cfg.import.force = a.force;
  cfg.altroot = absolute(a.altroot);
  cfg.mount = !a.no_mount;
  return start_pool_daemon(cfg, backend.import);
}

// ---- pools served by daemons ----

// The pools to report on: the named ones, or every pool with a daemon. A named pool
// without a daemon is reported and leaves *status at 1.
std::vector<std::string> target_pools(const std::vector<std::string>& named, int* status) {
  if (named.empty()) return pools_with_sockets();
  std::vector<std::string> pools;
  for (const auto& p : named) {
    if (daemon_request(p, {{"op", "status"}}).ok()) {
      pools.push_back(p);
    } else {
      print_error("cannot open '{}': no such pool", p);
      *status = kExitError;
    }
  }
  return pools;
}

Result<std::map<std::string, PropValue>> pool_props(const std::string& pool) {
  FZ_TRY(json reply, daemon_request(pool, {{"op", "pool_props"}}));
  auto props = wire::props_from_json(reply["props"]);
  props.try_emplace("name", PropValue{pool, std::nullopt, "-"});
  return props;
}

// Calls fn with the properties of each named pool (or of every imported one); a pool
// that cannot answer is reported on stderr and turns *status into an error.
void for_each_pool_props(const std::vector<std::string>& named, int* status,
                         const std::function<void(const std::string&, const std::map<std::string, PropValue>&)>& fn) {
  for (const auto& pool : target_pools(named, status)) {
    auto pp = pool_props(pool);
    if (!pp.ok()) {
      print_error("cannot open '{}': {}", pool, pp.error().message());
      *status = kExitError;
      continue;
    }
    fn(pool, *pp);
  }
}

std::string shown(const std::map<std::string, PropValue>& props, const std::string& name,
                  bool exact) {
  auto it = props.find(name);
  if (it == props.end()) return "-";
  if (exact && it->second.number) return std::to_string(*it->second.number);
  return it->second.value;
}

// ---- list ----

int cmd_list(bool scripted, bool exact, const std::string& fields,
             const std::vector<std::string>& named) {
  int status = kExitOk;
  std::vector<std::string> props;
  for (const auto& f : split_commas(fields)) props.push_back(zpool_prop_name(f));
  std::vector<Column> cols;
  for (const auto& p : props) cols.push_back(zpool_column(p));
  Table table(cols);
  for_each_pool_props(named, &status, [&](const std::string&, const std::map<std::string, PropValue>& pp) {
    std::vector<std::string> row;
    for (const auto& p : props) row.push_back(shown(pp, p, exact));
    table.add_row(std::move(row));
  });
  if (table.empty() && named.empty()) {
    fmt::print("no pools available\n");
    return status;
  }
  if (!table.empty()) fmt::print("{}", table.render(scripted, exact));
  return status;
}

// ---- status ----

int cmd_status(const std::vector<std::string>& named) {
  int status = kExitOk;
  bool first = true;
  for (const auto& pool : target_pools(named, &status)) {
    auto reply = daemon_request(pool, {{"op", "status"}});
    if (!reply.ok()) {
      print_error("cannot open '{}': {}", pool, reply.error().message());
      status = kExitError;
      continue;
    }
    if (!first) fmt::print("\n");
    first = false;
    HealthReport health{reply->value("status_text", ""), reply->value("action_text", "")};
    fmt::print("{}", format_status((*reply)["name"].get<std::string>(),
                                   (*reply)["state"].get<std::string>(),
                                   wire::vdev_from_json((*reply)["config"]), health));
  }
  if (first && named.empty()) fmt::print("no pools available\n");
  return status;
}

// ---- export ----

pid_t read_pid(const std::string& path) {
  std::ifstream f(path);
  pid_t pid = 0;
  f >> pid;
  return pid;
}

// Running, as opposed to gone or a zombie waiting for init to reap it.
bool process_running(pid_t pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(f, stat);
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

int cmd_export(const std::vector<std::string>& pools, bool force) {
  int status = kExitOk;
  for (const auto& pool : pools) {
    const pid_t pid = read_pid(pidfile_path(pool));
    auto reply = daemon_request(pool, {{"op", "export"}, {"force", force}});
    if (!reply.ok()) {
      if (is_no_such_pool(reply.error())) print_error("cannot open '{}': no such pool", pool);
      else print_failure(fmt::format("cannot export '{}'", pool), reply.error().message());
      status = kExitError;
      continue;
    }
    // The daemon replies once everything is unmounted and the pool closed; wait for
    // the process too, so the devices are certainly free when we return.
    for (int i = 0; i < 1000 && process_running(pid); i++) usleep(10000);
  }
  return status;
}

// ---- destroy ----

int cmd_destroy(const std::string& pool) {
  if (!daemon_request(pool, {{"op", "status"}}).ok()) {
    print_error("cannot open '{}': no such pool", pool);
    if (pool.find('/') != std::string::npos) print_error("use 'zfs destroy' to destroy a dataset");
    return kExitError;
  }
  // The daemon unmounts everything, commits and marks the labels destroyed.
  const pid_t pid = read_pid(pidfile_path(pool));
  auto reply = daemon_request(pool, {{"op", "destroy_pool"}, {"force", true}});
  if (!reply.ok()) {
    print_failure(fmt::format("cannot destroy '{}'", pool), reply.error().message());
    return kExitError;
  }
  for (int i = 0; i < 1000 && process_running(pid); i++) usleep(10000);
  return kExitOk;
}

// ---- set ----

int cmd_set(const std::string& assignment, const std::string& pool) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos) {
    print_error("missing value in property=value argument");
    return kExitUsage;
  }
  const std::string prop = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  auto reply = daemon_request(pool, {{"op", "pool_set"}, {"prop", prop}, {"value", value}});
  if (reply.ok()) return kExitOk;
  if (is_no_such_pool(reply.error()))
    print_error("cannot open '{}': no such pool", pool);
  else
    print_failure(fmt::format("cannot set property for '{}'", pool), reply.error().message());
  return kExitError;
}

// ---- sync ----

// zpool sync [POOL]...: every change so far on stable storage.
int cmd_sync(const std::vector<std::string>& named) {
  int status = kExitOk;
  for (const auto& pool : target_pools(named, &status)) {
    auto reply = daemon_request(pool, {{"op", "sync"}});
    if (!reply.ok()) {
      print_failure(fmt::format("sync '{}' failed", pool), reply.error().message());
      status = kExitError;
    }
  }
  return status;
}

// ---- get ----

int cmd_get(bool scripted, bool exact, const std::string& fields, const std::string& which,
            const std::vector<std::string>& named) {
  int status = kExitOk;
  std::vector<std::string> cols_wanted = split_commas(fields);
  std::vector<Column> cols;
  for (const auto& c : cols_wanted) {
    std::string h = c;
    std::transform(h.begin(), h.end(), h.begin(), ::toupper);
    cols.push_back({h, false, 0, false});
  }
  Table table(cols);
  for_each_pool_props(named, &status, [&](const std::string& pool, const std::map<std::string, PropValue>& pp) {
    std::vector<std::string> names;
    if (which == "all") names = zpool_get_order(pp);
    else
      for (const auto& p : split_commas(which)) names.push_back(zpool_prop_name(p));
    for (const auto& prop : names) {
      auto it = pp.find(prop);
      const std::string source = it == pp.end() ? "-" : it->second.source;
      std::vector<std::string> row;
      for (const auto& c : cols_wanted) {
        if (c == "name") row.push_back(pool);
        else if (c == "property") row.push_back(prop);
        else if (c == "value") row.push_back(shown(pp, prop, exact));
        else if (c == "source") row.push_back(source);
        else row.push_back("-");
      }
      table.add_row(std::move(row));
    }
  });
  if (!table.empty()) fmt::print("{}", table.render(scripted, true));
  return status;
}

}  // namespace

int fzpool_main(int argc, char** argv, const PoolBackend& backend) {
  CLI::App app{"fzpool: create, import, list and export ZFS pools (userspace)", "fzpool"};
  app.require_subcommand(1);

  CreateArgs ca;
  auto* create = app.add_subcommand("create", "create a pool, import it and mount its root");
  create->add_flag("-f", ca.force, "use devices even with mismatched replication or in use");
  create->add_flag("-n", ca.dry_run, "show the layout, write nothing");
  create->add_option("-o", ca.pool_props, "pool property=value (version, ashift, autoexpand)")
      ->allow_extra_args(false);
  create->add_option("-O", ca.fs_props, "root file system property=value")->allow_extra_args(false);
  create->add_option("-m", ca.mountpoint, "mountpoint of the root file system");
  create->add_option("-R", ca.altroot, "alternate root for mountpoints");
  create->add_option("pool_and_vdevs", ca.operands, "POOL VDEV...");

  ImportArgs ia;
  auto* imp = app.add_subcommand("import", "list importable pools, or import one");
  imp->add_option("-d", ia.dirs, "search DIR for devices")->allow_extra_args(false);
  imp->add_option("-o", ia.props, "property=value (readonly=on|off)")->allow_extra_args(false);
  imp->add_option("-R", ia.altroot, "alternate root for mountpoints");
  imp->add_flag("-N", ia.no_mount, "import without mounting");
  imp->add_flag("-f", ia.force, "import even if in use elsewhere");
  imp->add_option("pool", ia.pool, "pool name or numeric id");
  imp->add_option("newname", ia.new_name, "(not supported)");

  bool scripted = false, exact = false, force = false, verbose = false;
  std::string fields = "name,size,allocated,free,capacity,dedupratio,health,altroot";
  std::vector<std::string> pools;
  auto* list = app.add_subcommand("list", "list imported pools");
  list->add_flag("-H", scripted, "scripted mode: no header, tab-separated");
  list->add_flag("-p", exact, "exact numbers");
  list->add_option("-o", fields, "fields");
  list->add_option("pool", pools);

  auto* stat = app.add_subcommand("status", "show pool health and devices");
  stat->add_flag("-v", verbose, "verbose");
  stat->add_option("pool", pools);

  auto* exp = app.add_subcommand("export", "unmount and release a pool");
  exp->add_flag("-f", force, "unmount even if busy");
  exp->add_option("pool", pools)->required();

  std::string which;
  std::string get_fields = "name,property,value,source";
  auto* get = app.add_subcommand("get", "show pool properties");
  get->add_flag("-H", scripted, "scripted mode");
  get->add_flag("-p", exact, "exact numbers");
  get->add_option("-o", get_fields, "fields: name,property,value,source");
  get->add_option("property", which, "all or PROP[,PROP]")->required();
  get->add_option("pool", pools);

  std::string pool_arg;
  auto* destroy = app.add_subcommand("destroy", "unmount, export and destroy a pool");
  destroy->add_flag("-f", force, "unmount even if busy");
  destroy->add_option("pool", pool_arg)->required();

  std::string assignment;
  auto* set = app.add_subcommand("set", "set a pool property");
  set->add_option("property=value", assignment)->required();
  set->add_option("pool", pool_arg)->required();

  auto* sync = app.add_subcommand("sync", "commit every change so far to disk");
  sync->add_option("pool", pools);

  if (auto rc = parse_cli(app, argc, argv)) return *rc;
  if (sync->parsed()) return cmd_sync(pools);
  if (create->parsed()) return cmd_create(ca, backend);
  if (destroy->parsed()) return cmd_destroy(pool_arg);
  if (set->parsed()) return cmd_set(assignment, pool_arg);
  if (imp->parsed()) return ia.pool.empty() ? list_importable(ia, backend) : import_pool(ia, backend);
  if (list->parsed()) return cmd_list(scripted, exact, fields, pools);
  if (stat->parsed()) return cmd_status(pools);
  if (exp->parsed()) return cmd_export(pools, force);
  if (get->parsed()) return cmd_get(scripted, exact, get_fields, which, pools);
  return kExitUsage;
}

}  // namespace fzfs
