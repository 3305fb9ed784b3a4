#include "tests/posix/posix_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <vector>

bool operator==(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

void PrintTo(const timespec& t, std::ostream* os) { *os << fzfs::posix::to_string(t); }

namespace fzfs::posix {

int open_err(const std::string& path, int flags, mode_t mode) {
  int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

void write_file(const std::string& path, std::string_view content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0) << "create " << path << ": " << std::strerror(errno);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      ADD_FAILURE() << "write " << path << ": " << std::strerror(errno);
      break;
    }
    done += static_cast<size_t>(n);
  }
  EXPECT_EQ(0, ::fchmod(fd, mode)) << "fchmod " << path << ": " << std::strerror(errno);
  EXPECT_EQ(0, ::close(fd));
}

std::string read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    ADD_FAILURE() << "open " << path << ": " << std::strerror(errno);
    return {};
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      ADD_FAILURE() << "read " << path << ": " << std::strerror(errno);
      break;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

void make_dir(const std::string& path, mode_t mode) {
  ASSERT_EQ(0, ::mkdir(path.c_str(), 0700)) << "mkdir " << path << ": " << std::strerror(errno);
  ASSERT_EQ(0, ::chmod(path.c_str(), mode)) << "chmod " << path << ": " << std::strerror(errno);
}

struct stat stat_of(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    ADD_FAILURE() << "stat " << path << ": " << std::strerror(errno);
    st = {};
  }
  return st;
}

struct stat lstat_of(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    ADD_FAILURE() << "lstat " << path << ": " << std::strerror(errno);
    st = {};
  }
  return st;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::multiset<std::string> list_dir(const std::string& path) {
  std::multiset<std::string> names;
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) {
    ADD_FAILURE() << "opendir " << path << ": " << std::strerror(errno);
    return names;
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.insert(name);
  }
  ::closedir(d);
  return names;
}

bool later(const timespec& a, const timespec& b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

timespec now_realtime() {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return t;
}

void tick() {
  static const long ms = [] {
    const char* v = std::getenv("FZFS_POSIX_TICK_MS");
    return v != nullptr ? std::strtol(v, nullptr, 10) : 20L;
  }();
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

std::string to_string(const timespec& t) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld.%09ld", static_cast<long long>(t.tv_sec), t.tv_nsec);
  return buf;
}

namespace {

// Result codes the child sends besides errno values.
constexpr int kDropFailed = -1;

bool drop_to_nobody() {
  return ::setgroups(0, nullptr) == 0 &&
         ::setresgid(kNobodyGid, kNobodyGid, kNobodyGid) == 0 &&
         ::setresuid(kNobodyUid, kNobodyUid, kNobodyUid) == 0 && ::geteuid() == kNobodyUid;
}

}  // namespace

int as_nobody(const std::function<int()>& fn) {
  int fds[2];
  if (::pipe(fds) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return kDropFailed;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return kDropFailed;
  }
  if (pid == 0) {
    ::close(fds[0]);
    int result = drop_to_nobody() ? fn() : kDropFailed;
    (void)!::write(fds[1], &result, sizeof result);
    ::_exit(0);
  }
  ::close(fds[1]);
  int result = kDropFailed;
  ssize_t n = ::read(fds[0], &result, sizeof result);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (n != sizeof result || !WIFEXITED(status)) {
    ADD_FAILURE() << "the unprivileged child died without reporting";
    return kDropFailed;
  }
  if (result == kDropFailed) ADD_FAILURE() << "the child could not drop to uid/gid 65534";
  return result;
}

std::string name_of_length(size_t n, char fill) { return std::string(n, fill); }

void remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    ::chmod(path.c_str(), 0700);
    std::vector<std::string> children;
    if (DIR* d = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") children.push_back(path + "/" + name);
      }
      ::closedir(d);
    }
    for (const auto& c : children) remove_tree(c);
    ::rmdir(path.c_str());
  } else {
    ::unlink(path.c_str());
  }
}

void PosixTest::SetUp() {
  const char* base = std::getenv("FZFS_POSIX_DIR");
  ASSERT_NE(nullptr, base) << "set FZFS_POSIX_DIR to the directory under test";
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string pattern = std::string(base) + "/" + info->test_suite_name() + "." +
                        info->name() + ".XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  ASSERT_NE(nullptr, ::mkdtemp(buf.data()))
      << "mkdtemp " << pattern << ": " << std::strerror(errno);
  dir_ = buf.data();
  // mkdtemp makes 0700; the unprivileged child must be able to reach its files.
  ASSERT_EQ(0, ::chmod(dir_.c_str(), 0755));
  saved_umask_ = ::umask(022);
}

void PosixTest::TearDown() {
  ::umask(saved_umask_);
  if (dir_.empty()) return;
  if (HasFailure()) {
    std::cerr << "posix_suite: kept " << dir_ << " for inspection\n";
    return;
  }
  remove_tree(dir_);
}

std::string PosixTest::path(std::string_view rel) const {
  return dir_ + "/" + std::string(rel);
}

}  // namespace fzfs::posix
