// `zpool create`, engine side: from CreateOptions to a new pool on disk, left exported.
//
//   options ─parse─► CreateSettings (version, ashift, pool and root-dataset properties)
//   vdev words ─parse_vdev_words/probe_leaf/check_vdev_spec/plan_vdevs─► VdevPlan
//   -n: describe_layout(plan) and stop
//   write_fresh_labels: every leaf's 4 labels (txg 0, create_txg 4, no uberblock)
//   Spa::open (writable) ─► WritablePool::create_new(txg 4)
//     create_mos (DSL tree, config, bplists, history, metaslab arrays)
//     root dataset objset: create_zpl (master node, root directory, ...)
//     config object = final vdev tree; sync (labels: active, txg 4)
//     config object again, state exported; sync (labels: exported, txg 5)
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/dsl/prop_set.h"
#include "engine/pool/pool.h"
#include "engine/spa/vdev_config.h"

namespace fzfs {

inline constexpr uint64_t kDefaultCreateVersion = 28;
inline constexpr uint64_t kDefaultCreateAshift = 9;

// What the options ask for, checked.
struct CreateSettings {
  uint64_t version = kDefaultCreateVersion;
  uint64_t ashift = kDefaultCreateAshift;
  std::vector<std::pair<std::string, uint64_t>> pool_props;      // stored in pool_props
  std::vector<PropSetting> root_props;                           // the root dir's props ZAP
  std::string checksum = "on", compression = "off", copies = "1"; // the root's write policy
  uint64_t zpl_version = 0;                                      // 0: the pool version's
  uint64_t normalization = 0, utf8only = 0, casesensitivity = 0; // ZPL master node
};

// Checks -o and -O (and -m) with zpool's messages ("cannot create 'P': ...").
Result<CreateSettings> parse_create_settings(const CreateOptions& opts);

// What `zpool create -n` prints: "would create 'P' with the following layout:" and the tree.
std::string describe_layout(const std::string& pool, const VdevPlan& plan);

}  // namespace fzfs
