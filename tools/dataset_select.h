// Which datasets `zfs list` and `zfs get` show, given names, -r, -d and -t.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/pool/pool.h"

namespace fzfs {

struct DatasetQuery {
  std::vector<std::string> names;  // none: every dataset of every pool
  bool recursive = false;
  std::optional<int> depth;        // -d N (implies recursive)
  std::set<DatasetType> types;     // what -t allows for datasets not named explicitly
  bool types_given = false;        // -t given: it filters named datasets too
};

struct Selection {
  std::vector<DatasetInfo> datasets;  // in the order the pools listed them
  std::vector<std::string> missing;   // names that do not exist
};

Selection select_datasets(const std::vector<DatasetInfo>& all, const DatasetQuery& query);

// NAME lies below BASE: "tank/a/b" and "tank/a@s" under "tank/a".
bool is_descendant(const std::string& base, const std::string& name);
// BASE itself or one of its descendants; "" stands for every dataset.
bool in_subtree(const std::string& base, const std::string& name);

// The pool a dataset name belongs to: "tank/a@s" -> "tank".
std::string pool_of(const std::string& dataset);

// "filesystem,snapshot", "all", abbreviations fs/snap/vol. EINVAL names the bad type.
Result<std::set<DatasetType>> parse_types(const std::string& csv);

}  // namespace fzfs
