#include "tools/dataset_select.h"

#include <gtest/gtest.h>

namespace fzfs {
namespace {

std::vector<DatasetInfo> sample() {
  auto fs = [](const char* n) { return DatasetInfo{n, DatasetType::kFilesystem, 0, {}}; };
  auto snap = [](const char* n) { return DatasetInfo{n, DatasetType::kSnapshot, 0, {}}; };
  return {fs("a"), snap("a@s"), fs("a/b"), snap("a/b@t"), fs("a/b/c"), fs("z")};
}

std::vector<std::string> names(const Selection& s) {
  std::vector<std::string> out;
  for (const auto& d : s.datasets) out.push_back(d.name);
  return out;
}

DatasetQuery query(std::vector<std::string> n, const char* types = "filesystem,volume") {
  DatasetQuery q;
  q.names = std::move(n);
  q.types = *parse_types(types);
  return q;
}

TEST(DatasetSelect, EverythingOfTheDefaultTypes) {
  EXPECT_EQ(names(select_datasets(sample(), query({}))),
            (std::vector<std::string>{"a", "a/b", "a/b/c", "z"}));
  EXPECT_EQ(names(select_datasets(sample(), query({}, "snapshot"))),
            (std::vector<std::string>{"a@s", "a/b@t"}));
}

TEST(DatasetSelect, NamedWithAndWithoutRecursion) {
  EXPECT_EQ(names(select_datasets(sample(), query({"a/b"}))), (std::vector<std::string>{"a/b"}));
  auto q = query({"a/b"});
  q.recursive = true;
  EXPECT_EQ(names(select_datasets(sample(), q)), (std::vector<std::string>{"a/b", "a/b/c"}));
  // An explicitly named snapshot is shown without -t.
  EXPECT_EQ(names(select_datasets(sample(), query({"a@s"}))), (std::vector<std::string>{"a@s"}));
}

TEST(DatasetSelect, DepthCountsSnapshotsOneBelowTheirDataset) {
  auto q = query({"a"}, "all");
  q.depth = 1;
  EXPECT_EQ(names(select_datasets(sample(), q)), (std::vector<std::string>{"a", "a@s", "a/b"}));
  q.depth = 0;
  EXPECT_EQ(names(select_datasets(sample(), q)), (std::vector<std::string>{"a"}));
}

TEST(DatasetSelect, MissingNamesAreReported) {
  auto s = select_datasets(sample(), query({"a/x", "z"}));
  EXPECT_EQ(names(s), (std::vector<std::string>{"z"}));
  EXPECT_EQ(s.missing, (std::vector<std::string>{"a/x"}));
}

TEST(DatasetSelect, PoolOfAndTypes) {
  EXPECT_EQ(pool_of("tank/a@s"), "tank");
  EXPECT_EQ(pool_of("tank@s"), "tank");
  EXPECT_EQ(pool_of("tank"), "tank");
  EXPECT_FALSE(parse_types("filesystem,bogus").ok());
  EXPECT_EQ(parse_types("fs,snap")->size(), 2u);
}

}  // namespace
}  // namespace fzfs
