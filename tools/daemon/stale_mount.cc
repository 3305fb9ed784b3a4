#include "tools/daemon/stale_mount.h"

#include <sys/mount.h>

#include <fstream>
#include <sstream>

namespace fzfs {

namespace {

bool is_octal(char c) { return c >= '0' && c <= '7'; }

// /proc/mounts writes space, tab, newline and backslash as \ooo octal escapes.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 3 < s.size() && is_octal(s[i + 1]) && is_octal(s[i + 2]) &&
        is_octal(s[i + 3])) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool is_mounted(const std::string& fsname, const std::string& path) {
  std::ifstream f("/proc/self/mounts");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream ss(line);
    std::string source, target, type;
    ss >> source >> target >> type;
    if (type == "fuse.fzfs" && unescape(source) == fsname && unescape(target) == path) return true;
  }
  return false;
}

}  // namespace

void clear_stale_mounts(const std::string& fsname, const std::string& path) {
  // Stacked mounts come off one per call; bound the loop in case one refuses.
  for (int i = 0; i < 16 && is_mounted(fsname, path); i++)
    if (umount2(path.c_str(), MNT_DETACH) != 0) break;
}

}  // namespace fzfs
