#include "tools/status_format.h"

#include <algorithm>

#include <fmt/format.h>

#include "engine/util/nicenum.h"

namespace fzfs {

namespace {

// Width of the NAME column: the longest name plus its indent, at least 10.
size_t name_width(const VdevStatusNode& v, size_t depth) {
  size_t w = std::max<size_t>(10, v.name.size() + depth);
  for (const auto& c : v.children) w = std::max(w, name_width(c, depth + 2));
  return w;
}

void status_rows(std::string& out, const VdevStatusNode& v, size_t depth, size_t width) {
  out += fmt::format("\t{:{}}{:<{}}  {:<8} {:>5} {:>5} {:>5}{}\n", "", depth, v.name,
                     width - depth, v.state, nicenum(v.read_errors), nicenum(v.write_errors),
                     nicenum(v.cksum_errors), v.note.empty() ? "" : "  " + v.note);
  for (const auto& c : v.children) status_rows(out, c, depth + 2, width);
}

void import_rows(std::string& out, const VdevStatusNode& v, size_t depth, size_t width) {
  out += fmt::format("\t{:{}}{:<{}}  {}{}\n", "", depth, v.name, width - depth, v.state,
                     v.note.empty() ? "" : "  " + v.note);
  for (const auto& c : v.children) import_rows(out, c, depth + 2, width);
}

}  // namespace

std::string format_status(const std::string& pool, const std::string& state,
                          const VdevStatusNode& config, const HealthReport& health) {
  std::string out = fmt::format("  pool: {}\n state: {}\n", pool, state);
  if (!health.status.empty()) out += fmt::format("status: {}\n", health.status);
  if (!health.action.empty()) out += fmt::format("action: {}\n", health.action);
  out += " scrub: none requested\nconfig:\n\n";
  const size_t w = name_width(config, 0);
  out += fmt::format("\t{:<{}}  {:<8} {:>5} {:>5} {:>5}\n", "NAME", w, "STATE", "READ",
                     "WRITE", "CKSUM");
  status_rows(out, config, 0, w);
  out += "\nerrors: No known data errors\n";
  return out;
}

std::string format_import_candidate(const ImportCandidate& c) {
  std::string out = fmt::format("   pool: {}\n     id: {}\n  state: {}\n", c.name, c.guid, c.state);
  if (!c.status.empty()) out += fmt::format(" status: {}\n", c.status);
  out += fmt::format(" action: {}\n",
                     c.action.empty()
                         ? "The pool can be imported using its name or numeric identifier."
                         : c.action);
  out += " config:\n\n";
  VdevStatusNode root = c.config;
  if (root.name.empty()) root.name = c.name;
  import_rows(out, root, 0, name_width(root, 0));
  return out;
}

}  // namespace fzfs
