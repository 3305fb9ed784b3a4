#include "tools/fzfs_change.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "tools/cli_common.h"
#include "tools/client.h"
#include "tools/dataset_select.h"
#include "tools/prop_columns.h"
#include "tools/prop_order.h"
#include "tools/prop_rules.h"

namespace fzfs {

namespace {

using nlohmann::json;

// PROP=VAL arguments in order, or nullopt after printing zfs's complaint.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_assignments(
    const std::vector<std::string>& args) {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  for (const auto& a : args) {
    const auto eq = a.find('=');
    if (eq == std::string::npos) {
      print_error("missing '=' for property=value argument");
      return std::nullopt;
    }
    std::string prop = zfs_prop_name(a.substr(0, eq));  // "compress" -> "compression"
    if (!seen.insert(prop).second) {
      print_error("property '{}' specified multiple times", prop);
      return std::nullopt;
    }
    out.emplace_back(std::move(prop), a.substr(eq + 1));
  }
  return out;
}

// Sends a dataset change. Returns the mount warnings, or prints the failure (prefix
// is zfs's, e.g. "cannot create 'tank/a'") and returns nullopt.
std::optional<std::vector<std::string>> request_change(const std::string& name, const std::string& prefix,
                                                       const json& request) {
  auto reply = daemon_request(pool_of(name), request);
  if (!reply.ok()) {
    if (is_no_such_pool(reply.error()))
      print_error("{}: no such pool '{}'", prefix, pool_of(name));
    else
      print_failure(prefix, reply.error().message());
    return std::nullopt;
  }
  std::vector<std::string> warnings;
  for (const auto& w : (*reply)["warnings"]) warnings.push_back(w.get<std::string>());
  for (const auto& w : warnings) print_error("{}", w);
  return warnings;
}

// The named dataset among its pool's, or a printed "cannot open" and nullopt.
std::optional<std::vector<DatasetInfo>> datasets_with(const std::string& name) {
  auto list = pool_datasets(pool_of(name));
  const bool found = list.ok() && std::any_of(list->begin(), list->end(),
                                              [&](const DatasetInfo& d) { return d.name == name; });
  if (list.ok() && !found) {
    print_error("cannot open '{}': dataset does not exist", name);
    return std::nullopt;
  }
  if (!list.ok()) {
    if (is_no_such_pool(list.error())) print_error("cannot open '{}': dataset does not exist", name);
    else print_error("cannot open '{}': {}", name, list.error().message());
    return std::nullopt;
  }
  return std::move(*list);
}

// What would go with BASE, in the order zfs lists it: each child file system with
// everything under it, then BASE's snapshots (creation order), then each dataset after
// its dependents. BASE itself is not included.
void dependents(const std::vector<DatasetInfo>& all, const std::string& base,
                std::vector<std::string>* out) {
  std::vector<std::string> children, snaps;
  for (const auto& d : all) {
    if (!is_descendant(base, d.name)) continue;
    const std::string rest = d.name.substr(base.size() + 1);
    if (d.name[base.size()] == '@') snaps.push_back(d.name);
    else if (rest.find_first_of("/@") == std::string::npos) children.push_back(d.name);
  }
  std::sort(children.begin(), children.end());
  for (const auto& c : children) {
    dependents(all, c, out);
    out->push_back(c);
  }
  out->insert(out->end(), snaps.begin(), snaps.end());
}

const char* type_word(const std::vector<DatasetInfo>& all, const std::string& name) {
  for (const auto& d : all)
    if (d.name == name) return to_string(d.type);
  return "filesystem";
}

}  // namespace

int fzfs_create(bool parents, const std::vector<std::string>& props, const std::string& name) {
  if (name.empty()) {
    print_error("missing filesystem argument");
    return kExitUsage;
  }
  auto assigned = parse_assignments(props);
  if (!assigned) return kExitError;
  json p = json::object();
  for (const auto& [k, v] : *assigned) p[k] = v;
  auto w = request_change(name, fmt::format("cannot create '{}'", name),
                          {{"op", "create"}, {"name", name}, {"props", p}, {"parents", parents}});
  // A file system that was created but could not be mounted is still a success.
  return w ? kExitOk : kExitError;
}

int fzfs_destroy(bool recursive, const std::string& name) {
  auto all = datasets_with(name);
  if (!all) return kExitError;
  const bool is_pool_root = name.find_first_of("/@") == std::string::npos;
  if (is_pool_root && !recursive) {
    print_error("cannot destroy '{}': operation does not apply to pools", name);
    print_error("use 'zfs destroy -r {}' to destroy all datasets in the pool", name);
    print_error("use 'zpool destroy {}' to destroy the pool itself", name);
    return kExitError;
  }
  std::vector<std::string> deps;
  dependents(*all, name, &deps);
  if (!recursive && !deps.empty()) {
    print_error("cannot destroy '{}': {} has children", name, type_word(*all, name));
    print_error("use '-r' to destroy the following datasets:");
    for (const auto& d : deps) print_error("{}", d);
    return kExitError;
  }
  auto w = request_change(name, fmt::format("cannot destroy '{}'", name),
                          {{"op", "destroy"}, {"name", name}, {"recursive", recursive}});
  return w ? kExitOk : kExitError;
}

int fzfs_rename(const std::string& from, const std::string& to) {
  if (from.empty()) {
    print_error("missing source dataset argument");
    return kExitUsage;
  }
  if (to.empty()) {
    print_error("missing target dataset argument");
    return kExitUsage;
  }
  if (!datasets_with(from)) return kExitError;
  if (from == to) return kExitOk;
  if (pool_of(from) != pool_of(to)) {
    print_error("cannot rename to '{}': datasets must be within same pool", to);
    return kExitError;
  }
  if (is_descendant(from, to)) {
    print_error("cannot rename to '{}': New dataset name cannot be a descendant of current "
                "dataset name", to);
    return kExitError;
  }
  auto w = request_change(from, fmt::format("cannot rename '{}'", from),
                          {{"op", "rename"}, {"name", from}, {"to", to}});
  return w && w->empty() ? kExitOk : kExitError;
}

int fzfs_set(const std::vector<std::string>& args) {
  if (args.empty()) {
    print_error("missing arguments");
    return kExitUsage;
  }
  if (args.size() < 2) {
    print_error("{}", args[0].find('=') == std::string::npos ? "missing property=value argument(s)"
                                                             : "missing dataset name(s)");
    return kExitUsage;
  }
  // PROP=VAL arguments first, then the datasets.
  auto first_ds = std::find_if(args.begin(), args.end(),
                               [](const std::string& a) { return a.find('=') == std::string::npos; });
  if (first_ds == args.end()) {
    print_error("missing dataset name(s)");
    return kExitUsage;
  }
  if (std::any_of(first_ds, args.end(), [](const std::string& a) { return a.find('=') != std::string::npos; })) {
    print_error("invalid argument order");
    return kExitUsage;
  }
  auto assigned = parse_assignments({args.begin(), first_ds});
  if (!assigned) return kExitError;
  json pairs = json::array();
  for (const auto& [k, v] : *assigned) pairs.push_back({k, v});
  int status = kExitOk;
  for (auto it = first_ds; it != args.end(); ++it) {
    if (!datasets_with(*it)) {
      status = kExitError;
      continue;
    }
    auto w = request_change(*it, fmt::format("cannot set property for '{}'", *it),
                            {{"op", "set"}, {"name", *it}, {"props", pairs}});
    if (w && !w->empty()) print_error("property may be set but unable to remount filesystem");
    if (!w || !w->empty()) status = kExitError;
  }
  return status;
}

int fzfs_inherit(bool recursive, const std::vector<std::string>& args) {
  if (args.empty()) {
    print_error("missing property argument");
    return kExitUsage;
  }
  if (args.size() < 2) {
    print_error("missing dataset argument");
    return kExitUsage;
  }
  const std::string prop = zfs_prop_name(args[0]);
  if (!is_zfs_property(prop) || prop == "name") {
    print_error("invalid property '{}'", prop);
    return kExitUsage;
  }
  if (zfs_prop_is_readonly(prop)) {
    print_error("{} property is read-only", prop);
    return kExitError;
  }
  if (!zfs_prop_is_inheritable(prop)) {
    print_error("'{}' property cannot be inherited", prop);
    if (zfs_prop_clears_with_none(prop)) {
      print_error("use 'zfs set {}=none' to clear", prop);
      print_error("use 'zfs inherit -S {}' to revert to received value", prop);
    }
    return kExitError;
  }
  int status = kExitOk;
  for (size_t i = 1; i < args.size(); i++) {
    const std::string& name = args[i];
    if (!datasets_with(name)) {
      status = kExitError;
      continue;
    }
    auto w = request_change(name, fmt::format("cannot inherit {} for '{}'", prop, name),
                            {{"op", "inherit"}, {"name", name}, {"prop", prop}, {"recursive", recursive}});
    if (!w || !w->empty()) status = kExitError;
  }
  return status;
}

}  // namespace fzfs
