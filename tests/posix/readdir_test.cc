// readdir(3), getdents: entries after creates, removes and renames, d_ino and d_type,
// large directories, and changes while a listing is in progress.
#include <dirent.h>
#include <fcntl.h>

#include <map>

#include "tests/posix/posix_fixture.h"

namespace fzfs::posix {
namespace {

using Readdir = PosixTest;

struct Entry {
  ino_t ino;
  unsigned char type;
};

// All entries including "." and "..", by name; fails on a duplicate name.
std::map<std::string, Entry> entries_of(const std::string& p) {
  std::map<std::string, Entry> out;
  DIR* d = ::opendir(p.c_str());
  if (d == nullptr) {
    ADD_FAILURE() << "opendir " << p << ": " << std::strerror(errno);
    return out;
  }
  while (dirent* e = ::readdir(d)) {
    bool inserted = out.emplace(e->d_name, Entry{e->d_ino, e->d_type}).second;
    EXPECT_TRUE(inserted) << "entry listed twice: " << e->d_name;
  }
  ::closedir(d);
  return out;
}

TEST_F(Readdir, EmptyDirectoryListsDotAndDotDot) {
  auto e = entries_of(dir());
  ASSERT_EQ(2u, e.size());
  EXPECT_EQ(stat_of(dir()).st_ino, e.at(".").ino);
  EXPECT_TRUE(e.count(".."));
}

TEST_F(Readdir, ListsExactlyTheCreatedNamesWithMatchingInodes) {
  write_file(path("file"));
  ASSERT_OK(::mkdir(path("dir").c_str(), 0755));
  ASSERT_OK(::symlink("file", path("link").c_str()));
  ASSERT_OK(::mkfifo(path("fifo").c_str(), 0600));
  auto e = entries_of(dir());
  EXPECT_EQ(6u, e.size());
  for (const char* name : {"file", "dir", "link", "fifo"}) {
    ASSERT_TRUE(e.count(name)) << name;
    EXPECT_EQ(lstat_of(path(name)).st_ino, e.at(name).ino) << name;
  }
}

TEST_F(Readdir, TypesAreRightOrUnknown) {
  write_file(path("file"));
  ASSERT_OK(::mkdir(path("dir").c_str(), 0755));
  ASSERT_OK(::symlink("file", path("link").c_str()));
  ASSERT_OK(::mkfifo(path("fifo").c_str(), 0600));
  ASSERT_OK(::mknod(path("sock").c_str(), S_IFSOCK | 0600, 0));
  auto e = entries_of(dir());
  const std::map<std::string, unsigned char> want = {
      {"file", DT_REG}, {"dir", DT_DIR}, {"link", DT_LNK}, {"fifo", DT_FIFO}, {"sock", DT_SOCK}};
  for (const auto& [name, type] : want) {
    ASSERT_TRUE(e.count(name)) << name;
    unsigned char got = e.at(name).type;
    EXPECT_TRUE(got == type || got == DT_UNKNOWN) << name << ": d_type " << int(got);
  }
}

TEST_F(Readdir, ReflectsUnlinkRenameAndRmdir) {
  write_file(path("a"));
  write_file(path("b"));
  ASSERT_OK(::mkdir(path("c").c_str(), 0755));
  EXPECT_EQ((std::multiset<std::string>{"a", "b", "c"}), list_dir(dir()));
  ASSERT_OK(::unlink(path("a").c_str()));
  EXPECT_EQ((std::multiset<std::string>{"b", "c"}), list_dir(dir()));
  ASSERT_OK(::rename(path("b").c_str(), path("c/b2").c_str()));
  EXPECT_EQ((std::multiset<std::string>{"c"}), list_dir(dir()));
  EXPECT_EQ((std::multiset<std::string>{"b2"}), list_dir(path("c")));
  ASSERT_OK(::unlink(path("c/b2").c_str()));
  ASSERT_OK(::rmdir(path("c").c_str()));
  EXPECT_TRUE(list_dir(dir()).empty());
}

TEST_F(Readdir, RewindSeesEntriesCreatedAfterOpen) {
  write_file(path("first"));
  DIR* d = ::opendir(dir().c_str());
  ASSERT_NE(nullptr, d);
  while (::readdir(d) != nullptr) {
  }
  write_file(path("second"));
  ::rewinddir(d);
  std::multiset<std::string> names;
  while (dirent* e = ::readdir(d)) names.insert(e->d_name);
  ::closedir(d);
  EXPECT_EQ((std::multiset<std::string>{".", "..", "first", "second"}), names);
}

TEST_F(Readdir, LargeDirectoryListsEveryEntryOnce) {
  // Enough entries to need many getdents calls and, in ZFS, a fat ZAP.
  std::multiset<std::string> want;
  for (int i = 0; i < 5000; ++i) {
    std::string name = "entry-" + std::to_string(i) + std::string(i % 40, 'x');
    ASSERT_EQ(0, open_err(path(name), O_WRONLY | O_CREAT)) << name;
    want.insert(name);
  }
  EXPECT_EQ(want, list_dir(dir()));
  EXPECT_EQ(5002u, entries_of(dir()).size());  // with "." and ".."
}

TEST_F(Readdir, ChangesDuringListingDoNotDuplicateOrLoseUntouchedEntries) {
  // POSIX: entries added or removed during the listing may or may not be returned, but
  // every entry present throughout is returned exactly once.
  constexpr int kCount = 600;
  for (int i = 0; i < kCount; ++i) write_file(path("orig" + std::to_string(i)));
  DIR* d = ::opendir(dir().c_str());
  ASSERT_NE(nullptr, d);
  std::multiset<std::string> seen;
  int read_count = 0;
  int removed = 0;
  std::set<std::string> removed_names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    seen.insert(name);
    if (++read_count == kCount / 2) {
      // Halfway: add new names and remove some already-seen ones.
      for (int i = 0; i < 200; ++i) write_file(path("new" + std::to_string(i)));
      for (const auto& s : seen) {
        if (s.rfind("orig", 0) == 0 && removed < 100) {
          ASSERT_OK(::unlink(path(s).c_str()));
          removed_names.insert(s);
          ++removed;
        }
      }
    }
  }
  ::closedir(d);
  for (int i = 0; i < kCount; ++i) {
    std::string name = "orig" + std::to_string(i);
    if (removed_names.count(name)) continue;
    EXPECT_EQ(1u, seen.count(name)) << name;
  }
  for (const auto& s : seen) EXPECT_EQ(1u, seen.count(s)) << "listed twice: " << s;
}

TEST_F(Readdir, OfAFileIsEnotdirOfMissingIsEnoent) {
  write_file(path("f"));
  EXPECT_EQ(nullptr, ::opendir(path("f").c_str()));
  EXPECT_EQ(ENOTDIR, errno);
  EXPECT_EQ(nullptr, ::opendir(path("missing").c_str()));
  EXPECT_EQ(ENOENT, errno);
}

TEST_F(Readdir, WithoutReadPermissionIsEacces) {
  REQUIRE_ROOT();
  ASSERT_OK(::mkdir(path("d").c_str(), 0711));
  EXPECT_EQ(EACCES, as_nobody([&] {
              DIR* d = ::opendir(path("d").c_str());
              if (d == nullptr) return errno;
              ::closedir(d);
              return 0;
            }));
}

}  // namespace
}  // namespace fzfs::posix
