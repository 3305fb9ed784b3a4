#include "tools/fzpool_create.h"

#include <dirent.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>

#include "tools/cli_common.h"
#include "tools/client.h"
#include "tools/daemon/daemon.h"

namespace fzfs {

namespace {

// Words of a vdev specification that are not devices.
bool is_vdev_keyword(const std::string& w) {
  static const std::set<std::string> words = {"mirror", "raidz",   "raidz1", "raidz2", "raidz3",
                                              "spare",  "log",     "cache",  "special", "dedup"};
  return words.count(w) > 0 || w.rfind("draid", 0) == 0;
}

// Where a device argument lives: a path as given, a bare name under /dev (zpool's
// shorthand).
std::string device_path(const std::string& arg) {
  if (arg.find('/') != std::string::npos) return std::filesystem::absolute(arg).string();
  return "/dev/" + arg;
}

// "PROP=VAL" into map, or zpool's message for a missing '='.
bool add_props(const std::vector<std::string>& args, const char* option,
               std::map<std::string, std::string>* out) {
  for (const auto& a : args) {
    const auto eq = a.find('=');
    if (eq == std::string::npos) {
      print_error("missing '=' for {} option", option);
      return false;
    }
    (*out)[a.substr(0, eq)] = a.substr(eq + 1);
  }
  return true;
}

// zpool create refuses to mount over a directory with something in it, and says so
// before writing anything.
bool mountpoint_usable(const std::string& pool, const std::string& mountpoint,
                       const std::string& altroot) {
  if (mountpoint == "legacy" || mountpoint == "none") return true;
  if (!mountpoint.empty() && mountpoint[0] != '/') {
    print_error("invalid mountpoint '{}': must be an absolute path, 'legacy', or 'none'", mountpoint);
    return false;
  }
  std::string path = mountpoint.empty() ? "/" + pool : mountpoint;
  if (!altroot.empty()) path = mountpoint.empty() ? altroot + "/" + pool : altroot + mountpoint;
  DIR* dir = opendir(path.c_str());
  if (!dir) {
    if (errno == ENOENT) return true;
    print_error("mountpoint '{}' : {}", path, strerror(errno));
    print_error("use '-m' option to provide a different default");
    return false;
  }
  int entries = 0;
  while (entries < 3 && readdir(dir)) entries++;
  closedir(dir);
  if (entries > 2) {
    print_error("mountpoint '{}' exists and is not empty", path);
    print_error("use '-m' option to provide a different default");
    return false;
  }
  return true;
}

std::optional<CreateOptions> build_options(const CreateArgs& a, std::string* altroot) {
  CreateOptions o;
  o.pool = a.operands[0];
  o.vdevs.assign(a.operands.begin() + 1, a.operands.end());
  o.force = a.force;
  o.mountpoint = a.mountpoint;
  if (!add_props(a.pool_props, "-o", &o.pool_props) || !add_props(a.fs_props, "-O", &o.fs_props))
    return std::nullopt;
  // -O mountpoint is -m by another name; altroot is an import setting, not on disk.
  if (auto it = o.fs_props.find("mountpoint"); it != o.fs_props.end()) {
    if (o.mountpoint.empty()) o.mountpoint = it->second;
    o.fs_props.erase(it);
  }
  *altroot = a.altroot;
  if (auto it = o.pool_props.find("altroot"); it != o.pool_props.end()) {
    *altroot = it->second;
    o.pool_props.erase(it);
  }
  return o;
}

// Imports the new pool read-write from exactly its devices and mounts it.
int import_created(const CreateOptions& o, const std::string& altroot, const PoolBackend& backend) {
  DaemonConfig cfg;
  for (const auto& v : o.vdevs)
    if (!is_vdev_keyword(v)) cfg.import.search_dirs.push_back(device_path(v));
  cfg.import.pool = o.pool;
  cfg.import.readonly = false;
  cfg.altroot = altroot;
  cfg.mount = true;
  return start_pool_daemon(cfg, backend.import);
}

}  // namespace

int cmd_create(const CreateArgs& a, const PoolBackend& backend) {
  if (a.operands.empty()) {
    print_error("missing pool name argument");
    return kExitUsage;
  }
  if (a.operands.size() < 2) {
    print_error("missing vdev specification");
    return kExitUsage;
  }
  const std::string& pool = a.operands[0];
  if (pool.find('/') != std::string::npos) {
    print_error("cannot create '{}': invalid character '/' in pool name", pool);
    print_error("use 'zfs create' to create a dataset");
    return kExitError;
  }
  std::string altroot;
  auto opts = build_options(a, &altroot);
  if (!opts) return kExitError;
  if (!backend.create) {
    print_error("cannot create '{}': pool creation is not available here", pool);
    return kExitError;
  }
  // The devices are checked first (a dry run writes nothing), then the root and the
  // mountpoint: zpool reports problems in that order.
  CreateOptions check = *opts;
  check.dry_run = true;
  auto layout = backend.create(check);
  if (!layout.ok()) {
    print_failure(fmt::format("cannot create '{}'", pool), layout.error().message());
    return kExitError;
  }
  if (!altroot.empty() && altroot[0] != '/') {
    print_error("invalid alternate root '{}': must be an absolute path", altroot);
    return kExitError;
  }
  if (!mountpoint_usable(pool, opts->mountpoint, altroot)) return kExitError;
  if (a.dry_run) {
    const std::string header = fmt::format("would create '{}' with the following layout:\n\n", pool);
    fmt::print("{}{}", layout->rfind("would create", 0) == 0 ? "" : header, *layout);
    return kExitOk;
  }
  // Pools this machine has imported are known only to their daemons, not to the engine.
  if (daemon_request(pool, {{"op", "status"}}).ok()) {
    print_error("cannot create '{}': pool already exists", pool);
    return kExitError;
  }
  if (auto created = backend.create(*opts); !created.ok()) {
    print_failure(fmt::format("cannot create '{}'", pool), created.error().message());
    return kExitError;
  }
  return import_created(*opts, altroot, backend);
}

}  // namespace fzfs
