// Running the fzpool/fzfs binaries from tests: with a time limit, extra environment,
// and output captured into files (not pipes, because `fzpool import` leaves a detached
// daemon behind that may inherit them and would keep a pipe open forever).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace fzfs::test {

struct CommandResult {
  std::vector<std::string> argv;
  int exit_code = -1;   // valid when exited
  int signal = 0;       // non-zero when killed by a signal (a crash, or our timeout)
  bool exited = false;
  bool timed_out = false;
  std::chrono::milliseconds elapsed{0};
  std::string out, err;

  bool ok() const { return exited && exit_code == 0; }
  // "fzpool import ...: exit 1 (1.2 s)\nstdout: ...\nstderr: ..." for assertion messages.
  std::string describe() const;
};

struct CommandOptions {
  std::map<std::string, std::string> env;  // added to (or replacing in) the environment
  std::chrono::seconds timeout{60};
  std::string scratch_dir = "/tmp";        // where stdout/stderr files are kept briefly
};

CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& opts);

// Runs `sh -c SCRIPT`, for the few places a shell pipeline is simplest.
CommandResult run_shell(const std::string& script, const CommandOptions& opts);

// The non-empty lines of a command's output.
std::vector<std::string> lines_of(const std::string& text);

}  // namespace fzfs::test
