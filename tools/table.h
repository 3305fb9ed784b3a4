// Column tables as zfs/zpool print them: a header row, columns separated by two
// spaces, numbers right-aligned, the last column unpadded; or, with -H, tab-separated
// rows without a header (scripted mode).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace fzfs {

struct Column {
  std::string header;
  bool right_align = false;
  // Width before content is seen. zfs gives numeric and enumerated properties a
  // fixed width that content does not widen (unless values are printed exactly).
  size_t min_width = 0;
  bool fixed = false;
};

class Table {
 public:
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

  void add_row(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }

  // scripted: -H. exact: -p (fixed columns then widen to fit their content).
  std::string render(bool scripted, bool exact = false) const;

 private:
  std::vector<size_t> widths(bool exact) const;

  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace fzfs
