// The txg thread's dirty-data rules, seen from the file system: a pool whose free space
// is small syncs early, and writers wait for it, so that rewriting a file larger than
// half the free space in one burst is accepted (reserve() counts dirty data twice and
// would otherwise refuse it), and the bytes are all there.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "engine/pool/pool.h"
#include "engine/pool/pool_writer.h"

namespace fzfs {
namespace {

std::vector<uint8_t> random_bytes(uint32_t seed, size_t n) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

TEST(PoolWriterOptions, DefaultDirtyLimitIsATenthOfMemoryWithinBounds) {
  const uint64_t phys = uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGESIZE));
  const uint64_t d = PoolWriterOptions::default_dirty_max();
  EXPECT_GE(d, 64ULL << 20);
  EXPECT_LE(d, 4ULL << 30);
  if (phys / 10 >= (64ULL << 20) && phys / 10 <= (4ULL << 30)) {
    EXPECT_EQ(d, phys / 10);
  }
}

TEST(PoolWriter, RewritingMostOfASmallPoolInOneBurstIsAccepted) {
  const std::string dir = [] {
    std::string t = (std::filesystem::temp_directory_path() / "fzfs-writer-XXXXXX").string();
    return std::string(mkdtemp(t.data()));
  }();
  struct Cleanup {
    std::string d;
    ~Cleanup() { std::filesystem::remove_all(d); }
  } cleanup{dir};
  // 96 MiB: after the 16 MiB reserve and the file, about 45 MiB are free, less than
  // twice the 30 MiB file, so only syncs during the rewrite let it through.
  const std::string dev = dir + "/d0";
  {
    FILE* f = fopen(dev.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fclose(f);
  }
  std::filesystem::resize_file(dev, 96ull << 20);
  CreateOptions co;
  co.pool = "wp";
  co.vdevs = {dev};
  co.fs_props["compression"] = "off";
  ASSERT_TRUE(Pool::create(co).ok());
  constexpr size_t kFile = 30u << 20, kChunk = 1u << 20;
  std::vector<uint8_t> last;
  {
    ImportOptions io{{dir}, "wp"};
    io.readonly = false;
    auto p = Pool::import(io);
    ASSERT_TRUE(p.ok()) << p.error().message();
    auto fs = (*p)->open_filesystem("wp");
    ASSERT_TRUE(fs.ok()) << fs.error().message();
    auto f = (*fs)->create((*fs)->root_object(), "big", S_IFREG | 0644, 0, Creds{});
    ASSERT_TRUE(f.ok()) << f.error().message();
    for (uint32_t round = 0; round < 2; round++) {
      last = random_bytes(round, kFile);
      for (size_t off = 0; off < kFile; off += kChunk) {
        auto w = (*fs)->write(f->ino, off, std::span(last).subspan(off, kChunk));
        ASSERT_TRUE(w.ok()) << "round " << round << " at " << off << ": " << w.error().message();
      }
      if (round == 0) {
        ASSERT_TRUE((*fs)->fsync(f->ino, false).ok());
      }
    }
    ASSERT_TRUE((*p)->export_pool().ok());
  }
  ImportOptions io{{dir}, "wp"};
  auto p = Pool::import(io);
  ASSERT_TRUE(p.ok()) << p.error().message();
  auto fs = (*p)->open_filesystem("wp");
  ASSERT_TRUE(fs.ok());
  auto obj = (*fs)->lookup((*fs)->root_object(), "big");
  ASSERT_TRUE(obj.ok());
  std::vector<uint8_t> got(kFile + 1);
  auto n = (*fs)->read(*obj, 0, got);
  ASSERT_TRUE(n.ok()) << n.error().message();
  got.resize(*n);
  EXPECT_TRUE(got == last) << "read back " << got.size() << " bytes that differ from the last rewrite";
}

}  // namespace
}  // namespace fzfs
