// The daemon's socket protocol: one JSON object per line each way.
//
//   request                         reply (ok)
//   {"op":"datasets"}               {"ok":true,"datasets":[{"name","type","dsobj","props"}]}
//   {"op":"pool_props"}             {"ok":true,"name":P,"props":{NAME:{"value","number"?,"source"}}}
//   {"op":"status"}                 {"ok":true,"name":P,"state":S,"status_text":T,"action_text":A,"config":VDEV}
//                                   VDEV = {"name","state","read","write","cksum","note","children":[VDEV]}
//   {"op":"mounts"}                 {"ok":true,"mounts":[{"name","mountpoint"}]}
//   {"op":"mount","name":DS}        {"ok":true,"mountpoint":M}
//   {"op":"mount_all"}              {"ok":true,"errors":[MESSAGE...]}
//   {"op":"unmount","name":DS|M,"force":bool}   {"ok":true}
//   {"op":"export","force":bool}    {"ok":true}, sent after everything is unmounted and
//                                   the pool committed, exported and closed; the daemon
//                                   then exits (also when the export itself failed)
//   {"op":"sync"}                   {"ok":true} once every change so far is on disk
//   dataset changes, each answered {"ok":true,"warnings":[MESSAGE...]} (mounts that
//   failed afterwards):
//   {"op":"create","name":DS,"props":{PROP:VAL},"parents":bool}
//   {"op":"destroy","name":DS,"recursive":bool}
//   {"op":"rename","name":DS,"to":NEWNAME}
//   {"op":"set","name":DS,"props":[[PROP,VAL]...]}          applied in order
//   {"op":"inherit","name":DS,"prop":PROP,"recursive":bool}
//   {"op":"pool_set","prop":PROP,"value":VAL}                {"ok":true}
//   any failure                     {"ok":false,"errno":N,"message":"..."}
//
// The conversions here are shared by the daemon and its clients.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/pool/pool.h"
#include "engine/util/status.h"

namespace fzfs::wire {

using nlohmann::json;

json to_json(const std::map<std::string, PropValue>& props);
std::map<std::string, PropValue> props_from_json(const json& j);

json to_json(const DatasetInfo& ds);
DatasetInfo dataset_from_json(const json& j);

json to_json(const VdevStatusNode& v);
VdevStatusNode vdev_from_json(const json& j);

// {"a":"1"} and [["a","1"]]; nullopt when the shape or a member's type is wrong.
std::optional<std::map<std::string, std::string>> string_map_from_json(const json& j);
std::optional<std::vector<std::pair<std::string, std::string>>> string_pairs_from_json(const json& j);

json error_reply(const Error& e);
// A reply as a Result: the object itself, or its error.
Result<json> check_reply(json reply);

}  // namespace fzfs::wire
