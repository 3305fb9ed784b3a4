#include "tools/daemon/protocol.h"

#include <optional>

#include "tools/daemon/dataset_admin.h"
#include "tools/wire.h"

namespace fzfs {

namespace {

using nlohmann::json;

json ok(json fields = json::object()) {
  fields["ok"] = true;
  return fields;
}

json reply_status(const Status& s) { return s.ok() ? ok() : wire::error_reply(s.error()); }

json datasets(PoolService& svc) {
  auto list = svc.datasets();
  if (!list.ok()) return wire::error_reply(list.error());
  json arr = json::array();
  for (const auto& ds : *list) arr.push_back(wire::to_json(ds));
  return ok({{"datasets", arr}});
}

json mounts(PoolService& svc) {
  json arr = json::array();
  for (const auto& [ds, mp] : svc.mounts()) arr.push_back({{"name", ds}, {"mountpoint", mp}});
  return ok({{"mounts", arr}});
}

json mount(PoolService& svc, const json& req) {
  auto mp = svc.mount(req.value("name", ""));
  if (!mp.ok()) return wire::error_reply(mp.error());
  return ok({{"mountpoint", *mp}});
}

json export_pool(PoolService& svc, const json& req, bool* stop) {
  // A busy mount stops the export with nothing changed; once everything is unmounted
  // the daemon ends whatever the engine says, since the Pool is closed either way.
  if (Status s = svc.unmount_all(req.value("force", false)); !s.ok())
    return wire::error_reply(s.error());
  *stop = true;
  return reply_status(svc.close(true, req.value("destroy", false)));
}

json reply_warnings(const Result<Warnings>& r) {
  if (!r.ok()) return wire::error_reply(r.error());
  return ok({{"warnings", *r}});
}

// A string member, or nullopt when it is missing or not a string.
std::optional<std::string> text(const json& req, const char* key) {
  auto it = req.find(key);
  if (it == req.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

json malformed() { return wire::error_reply(make_error(EINVAL, "malformed request")); }

json create(PoolService& svc, const json& req) {
  auto name = text(req, "name");
  auto props = wire::string_map_from_json(req.value("props", json::object()));
  if (!name || !props) return malformed();
  return reply_warnings(admin_create(svc, *name, *props, req.value("parents", false)));
}

json set(PoolService& svc, const json& req) {
  auto name = text(req, "name");
  auto props = wire::string_pairs_from_json(req.value("props", json::array()));
  if (!name || !props) return malformed();
  return reply_warnings(admin_set(svc, *name, *props));
}

json dataset_change(PoolService& svc, const std::string& op, const json& req) {
  auto name = text(req, "name");
  if (!name) return malformed();
  if (op == "destroy") return reply_warnings(admin_destroy(svc, *name, req.value("recursive", false)));
  if (op == "rename") {
    auto to = text(req, "to");
    return to ? reply_warnings(admin_rename(svc, *name, *to)) : malformed();
  }
  auto prop = text(req, "prop");  // inherit
  return prop ? reply_warnings(admin_inherit(svc, *name, *prop, req.value("recursive", false)))
              : malformed();
}

json pool_set(PoolService& svc, const json& req) {
  auto prop = text(req, "prop"), value = text(req, "value");
  if (!prop || !value) return malformed();
  return reply_status(admin_pool_set(svc, *prop, *value));
}

}  // namespace

json handle_request(PoolService& svc, const json& req, bool* stop) {
  if (!req.is_object() || !req.contains("op") || !req["op"].is_string())
    return wire::error_reply(make_error(EINVAL, "malformed request"));
  const std::string op = req["op"];
  if (op == "datasets") return datasets(svc);
  if (op == "pool_props")
    return ok({{"name", svc.name()}, {"props", wire::to_json(svc.pool_properties())}});
  if (op == "status") {
    HealthReport h = svc.health_report();
    return ok({{"name", svc.name()},
               {"state", svc.health()},
               {"status_text", h.status},
               {"action_text", h.action},
               {"config", wire::to_json(svc.status())}});
  }
  if (op == "mounts") return mounts(svc);
  if (op == "mount") return mount(svc, req);
  if (op == "mount_all") return ok({{"errors", svc.mount_all()}});
  if (op == "unmount")
    return reply_status(svc.unmount(req.value("name", ""), req.value("force", false)));
  if (op == "export" || op == "destroy_pool") {
    json r = req;
    r["destroy"] = op == "destroy_pool";
    return export_pool(svc, r, stop);
  }
  if (op == "create") return create(svc, req);
  if (op == "set") return set(svc, req);
  if (op == "destroy" || op == "rename" || op == "inherit") return dataset_change(svc, op, req);
  if (op == "pool_set") return pool_set(svc, req);
  if (op == "sync") return reply_status(svc.with_pool([](Pool& p) { return p.sync(); }));
  return wire::error_reply(make_error(EINVAL, "unknown request '{}'", op));
}

}  // namespace fzfs
