#include "tools/cli_common.h"

#include <sstream>

namespace fzfs {

std::optional<int> parse_cli(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    fmt::print("{}", app.help());
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    fmt::print("{}", app.help("", CLI::AppFormatMode::All));
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "{}\n", e.what());
    return kExitUsage;
  }
  return std::nullopt;
}

void print_failure(const std::string& prefix, const std::string& message) {
  const bool whole = message.rfind("cannot ", 0) == 0 ||
                     message.rfind("invalid vdev specification", 0) == 0 ||
                     message.find('\n') != std::string::npos;
  if (whole) fmt::print(stderr, "{}\n", message);
  else fmt::print(stderr, "{}: {}\n", prefix, message);
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ','))
    if (!part.empty()) out.push_back(part);
  return out;
}

}  // namespace fzfs
