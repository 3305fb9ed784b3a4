#include "tools/table.h"

#include <algorithm>

namespace fzfs {

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

std::vector<size_t> Table::widths(bool exact) const {
  std::vector<size_t> w(columns_.size());
  for (size_t c = 0; c < columns_.size(); c++) {
    w[c] = std::max(columns_[c].header.size(), columns_[c].min_width);
    if (columns_[c].fixed && !exact) continue;
    for (const auto& row : rows_) w[c] = std::max(w[c], row[c].size());
  }
  return w;
}

static void append_cell(std::string& out, const std::string& cell, size_t width,
                        bool right, bool last) {
  const size_t pad = width > cell.size() ? width - cell.size() : 0;
  if (right) out.append(pad, ' ');
  out += cell;
  if (!right && !last) out.append(pad, ' ');
}

std::string Table::render(bool scripted, bool exact) const {
  std::string out;
  if (scripted) {
    for (const auto& row : rows_) {
      for (size_t c = 0; c < row.size(); c++) {
        if (c) out += '\t';
        out += row[c];
      }
      out += '\n';
    }
    return out;
  }
  const auto w = widths(exact);
  auto line = [&](auto cell_of) {
    for (size_t c = 0; c < columns_.size(); c++) {
      if (c) out += "  ";
      append_cell(out, cell_of(c), w[c], columns_[c].right_align, c + 1 == columns_.size());
    }
    out += '\n';
  };
  line([&](size_t c) -> const std::string& { return columns_[c].header; });
  for (const auto& row : rows_) line([&](size_t c) -> const std::string& { return row[c]; });
  return out;
}

}  // namespace fzfs
