// Pieces every fzfs command-line tool shares: zfs-style exit codes and messages.
#pragma once

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace fzfs {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// Parses; on --help prints it (exit 0), on a usage error prints it (exit 2). Returns
// the exit status when the program should stop now.
std::optional<int> parse_cli(CLI::App& app, int argc, char** argv);

template <typename... Args>
void print_error(fmt::format_string<Args...> f, Args&&... args) {
  fmt::print(stderr, "{}\n", fmt::format(f, std::forward<Args>(args)...));
}

// A failure as zfs prints it: "PREFIX: MESSAGE" ("cannot create 'tank': pool already
// exists"), or MESSAGE alone when it already is a whole zfs message: one that starts
// with "cannot " ("cannot unmount '/tank': pool or dataset is busy") or "invalid vdev
// specification", or spans several lines.
void print_failure(const std::string& prefix, const std::string& message);

// "a,b,c" -> {"a","b","c"}
std::vector<std::string> split_commas(const std::string& s);

}  // namespace fzfs
