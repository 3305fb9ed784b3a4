#include "tools/daemon/protocol.h"

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
  Status s = svc.close(req.value("force", false));
  if (!s.ok()) return wire::error_reply(s.error());
  *stop = true;
  return ok();
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
  if (op == "export") return export_pool(svc, req, stop);
  return wire::error_reply(make_error(EINVAL, "unknown request '{}'", op));
}

}  // namespace fzfs
