#include "tests/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace fzfs::test {
namespace {

std::string slurp_and_remove(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  unlink(path.c_str());
  return s.str();
}

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (extra.count(key) == 0) env.push_back(entry);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// In the child: redirect output, exec. Never returns.
[[noreturn]] void exec_child(std::vector<std::string> argv, std::vector<std::string> env,
                             const std::string& out_path, const std::string& err_path) {
  int in = open("/dev/null", O_RDONLY);
  int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (in < 0 || out < 0 || err < 0) _exit(126);
  dup2(in, 0);
  dup2(out, 1);
  dup2(err, 2);
  auto args = c_strings(argv);
  auto envp = c_strings(env);
  execvpe(args[0], args.data(), envp.data());
  dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
  _exit(127);
}

}  // namespace

std::string CommandResult::describe() const {
  std::ostringstream s;
  for (const auto& a : argv) s << a << ' ';
  if (timed_out) {
    s << ": TIMED OUT";
  } else if (!exited) {
    s << ": killed by signal " << signal << " (" << strsignal(signal) << ")";
  } else {
    s << ": exit " << exit_code;
  }
  s << " after " << elapsed.count() << " ms\n  stdout: " << out.substr(0, 4000)
    << "\n  stderr: " << err.substr(0, 4000);
  return s.str();
}

CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& opts) {
  CommandResult r;
  r.argv = argv;
  static int counter = 0;
  std::string base = opts.scratch_dir + "/cmd-" + std::to_string(getpid()) + "-" +
                     std::to_string(counter++);
  std::string out_path = base + ".out", err_path = base + ".err";
  auto env = merged_environment(opts.env);

  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
  if (pid == 0) exec_child(argv, env, out_path, err_path);

  int status = 0;
  for (;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) throw std::runtime_error("waitpid failed");
    if (std::chrono::steady_clock::now() - start > opts.timeout) {
      r.timed_out = true;
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (WIFEXITED(status)) {
    r.exited = !r.timed_out;
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  r.out = slurp_and_remove(out_path);
  r.err = slurp_and_remove(err_path);
  return r;
}

CommandResult run_shell(const std::string& script, const CommandOptions& opts) {
  return run_command({"/bin/sh", "-c", script}, opts);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) {
    if (!l.empty()) lines.push_back(l);
  }
  return lines;
}

}  // namespace fzfs::test
