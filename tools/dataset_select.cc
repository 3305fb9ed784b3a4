#include "tools/dataset_select.h"

#include <algorithm>
#include <sstream>

namespace fzfs {

namespace {

// Levels below `base`: each '/' is one, a snapshot is one more below its dataset.
int depth_below(const std::string& base, const std::string& name) {
  const std::string rest = name.substr(base.size());
  int d = static_cast<int>(std::count(rest.begin(), rest.end(), '/'));
  if (rest.find('@') != std::string::npos) d++;
  return d;
}

}  // namespace

bool is_descendant(const std::string& base, const std::string& name) {
  return name.size() > base.size() && name.compare(0, base.size(), base) == 0 &&
         (name[base.size()] == '/' || name[base.size()] == '@');
}

bool in_subtree(const std::string& base, const std::string& name) {
  return base.empty() || name == base || is_descendant(base, name);
}

std::string pool_of(const std::string& dataset) {
  return dataset.substr(0, dataset.find_first_of("/@"));
}

Result<std::set<DatasetType>> parse_types(const std::string& csv) {
  std::set<DatasetType> types;
  std::stringstream ss(csv);
  std::string t;
  while (std::getline(ss, t, ',')) {
    if (t == "filesystem" || t == "fs") types.insert(DatasetType::kFilesystem);
    else if (t == "snapshot" || t == "snap") types.insert(DatasetType::kSnapshot);
    else if (t == "volume" || t == "vol") types.insert(DatasetType::kVolume);
    else if (t == "bookmark") types.insert(DatasetType::kBookmark);
    else if (t == "all")
      types.insert({DatasetType::kFilesystem, DatasetType::kSnapshot, DatasetType::kVolume,
                    DatasetType::kBookmark});
    else return make_error(EINVAL, "invalid type '{}'", t);
  }
  return types;
}

Selection select_datasets(const std::vector<DatasetInfo>& all, const DatasetQuery& q) {
  Selection sel;
  const bool recursive = q.recursive || q.depth.has_value() || q.names.empty();
  std::vector<bool> chosen(all.size(), false);
  auto type_ok = [&](const DatasetInfo& d) { return q.types.count(d.type) > 0; };
  auto take_descendants = [&](const std::string& base) {
    for (size_t i = 0; i < all.size(); i++)
      if (is_descendant(base, all[i].name) && type_ok(all[i]) &&
          (!q.depth || depth_below(base, all[i].name) <= *q.depth))
        chosen[i] = true;
  };
  if (q.names.empty()) {
    // Every pool's root dataset, and everything under it.
    for (size_t i = 0; i < all.size(); i++) {
      if (all[i].name.find_first_of("/@") != std::string::npos) continue;
      if (type_ok(all[i])) chosen[i] = true;
      take_descendants(all[i].name);
    }
  }
  for (const auto& name : q.names) {
    auto it = std::find_if(all.begin(), all.end(), [&](const DatasetInfo& d) { return d.name == name; });
    if (it == all.end()) {
      sel.missing.push_back(name);
      continue;
    }
    if (!q.types_given || type_ok(*it)) chosen[it - all.begin()] = true;
    if (recursive) take_descendants(name);
  }
  for (size_t i = 0; i < all.size(); i++)
    if (chosen[i]) sel.datasets.push_back(all[i]);
  return sel;
}

}  // namespace fzfs
