// Dataset properties: what `zfs get` reports. Settable properties live in each DSL
// directory's props ZAP (name -> integer or string); an inheritable property not set
// on a dataset comes from the nearest ancestor that sets it, else its default.
// Statistics (used, referenced, ...) are computed from the DSL records.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/dsl/dsl_pool.h"
#include "engine/dsl/prop_value.h"

namespace fzfs {

// Facts about the dataset's file system that live in its objset, not in the DSL
// (the ZPL master node); filled by the caller when it has them.
struct ZplFacts {
  uint64_t version = 0;
  uint64_t normalization = 0, utf8only = 0, casesensitivity = 0;
};

// Every property of `node`, keyed by name, including user properties ("module:name").
// `pool_avail` is the space the pool can still give datasets (before quotas).
Result<std::map<std::string, PropValue>> dataset_properties(const DslPool& dp, const DslNode& node,
                                                            uint64_t pool_avail,
                                                            const std::optional<ZplFacts>& zpl);

}  // namespace fzfs
