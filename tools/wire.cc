#include "tools/wire.h"

namespace fzfs::wire {

namespace {

// The protocol's own spelling of types (the same words zfs prints).
const char* type_name(DatasetType t) {
  switch (t) {
    case DatasetType::kFilesystem: return "filesystem";
    case DatasetType::kSnapshot: return "snapshot";
    case DatasetType::kVolume: return "volume";
    case DatasetType::kBookmark: return "bookmark";
  }
  return "filesystem";
}

DatasetType type_from_string(const std::string& s) {
  if (s == "snapshot") return DatasetType::kSnapshot;
  if (s == "volume") return DatasetType::kVolume;
  if (s == "bookmark") return DatasetType::kBookmark;
  return DatasetType::kFilesystem;
}

}  // namespace

json to_json(const std::map<std::string, PropValue>& props) {
  json j = json::object();
  for (const auto& [name, p] : props) {
    json v = {{"value", p.value}, {"source", p.source}};
    if (p.number) v["number"] = *p.number;
    j[name] = std::move(v);
  }
  return j;
}

std::map<std::string, PropValue> props_from_json(const json& j) {
  std::map<std::string, PropValue> props;
  for (const auto& [name, v] : j.items()) {
    PropValue p;
    p.value = v.value("value", "");
    p.source = v.value("source", "-");
    if (v.contains("number")) p.number = v["number"].get<uint64_t>();
    props.emplace(name, std::move(p));
  }
  return props;
}

json to_json(const DatasetInfo& ds) {
  return {{"name", ds.name}, {"type", type_name(ds.type)}, {"dsobj", ds.dsobj},
          {"props", to_json(ds.props)}};
}

DatasetInfo dataset_from_json(const json& j) {
  DatasetInfo ds;
  ds.name = j.value("name", "");
  ds.type = type_from_string(j.value("type", "filesystem"));
  ds.dsobj = j.value("dsobj", uint64_t{0});
  if (j.contains("props")) ds.props = props_from_json(j["props"]);
  return ds;
}

json to_json(const VdevStatusNode& v) {
  json children = json::array();
  for (const auto& c : v.children) children.push_back(to_json(c));
  return {{"name", v.name},           {"state", v.state},         {"read", v.read_errors},
          {"write", v.write_errors},  {"cksum", v.cksum_errors},  {"note", v.note},
          {"children", children}};
}

VdevStatusNode vdev_from_json(const json& j) {
  VdevStatusNode v;
  v.name = j.value("name", "");
  v.state = j.value("state", "");
  v.read_errors = j.value("read", uint64_t{0});
  v.write_errors = j.value("write", uint64_t{0});
  v.cksum_errors = j.value("cksum", uint64_t{0});
  v.note = j.value("note", "");
  if (j.contains("children"))
    for (const auto& c : j["children"]) v.children.push_back(vdev_from_json(c));
  return v;
}

std::optional<std::map<std::string, std::string>> string_map_from_json(const json& j) {
  if (!j.is_object()) return std::nullopt;
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) return std::nullopt;
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> string_pairs_from_json(const json& j) {
  if (!j.is_array()) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& pair : j) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string())
      return std::nullopt;
    out.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  return out;
}

json error_reply(const Error& e) {
  return {{"ok", false}, {"errno", e.code()}, {"message", e.message()}};
}

Result<json> check_reply(json reply) {
  if (!reply.is_object()) return make_error(EPROTO, "malformed reply from pool daemon");
  if (reply.value("ok", false)) return reply;
  return Error(reply.value("errno", EIO), reply.value("message", std::string("unknown error")));
}

}  // namespace fzfs::wire
