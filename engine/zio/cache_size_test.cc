#include "engine/zio/cache_size.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

namespace fzfs {
namespace {

class CacheSize : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("FZFS_ARC_MAX"); }
};

TEST_F(CacheSize, EnvironmentOverrides) {
  setenv("FZFS_ARC_MAX", "12345678", 1);
  EXPECT_EQ(default_block_cache_bytes(), 12345678u);
}

TEST_F(CacheSize, IgnoresAValueThatIsNotANumber) {
  unsetenv("FZFS_ARC_MAX");
  const size_t dflt = default_block_cache_bytes();
  for (const char* bad : {"", "lots", "12M", "0"}) {
    setenv("FZFS_ARC_MAX", bad, 1);
    EXPECT_EQ(default_block_cache_bytes(), dflt) << bad;
  }
}

TEST_F(CacheSize, DefaultIsAnEighthOfMemoryWithinBounds) {
  unsetenv("FZFS_ARC_MAX");
  const size_t got = default_block_cache_bytes();
  EXPECT_GE(got, 64ULL << 20);
  EXPECT_LE(got, 4ULL << 30);
  const unsigned long long mem =
      static_cast<unsigned long long>(sysconf(_SC_PHYS_PAGES)) * static_cast<unsigned long long>(sysconf(_SC_PAGESIZE));
  if (mem / 8 >= (64ULL << 20)) EXPECT_LE(got, mem / 8);
}

}  // namespace
}  // namespace fzfs
