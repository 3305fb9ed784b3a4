#include "engine/util/nicenum.h"

#include <gtest/gtest.h>

namespace fzfs {
namespace {

// Expected strings are what zfs itself printed for these byte counts.
TEST(Nicenum, MatchesZfsOutput) {
  EXPECT_EQ(nicenum(5664768), "5.40M");   // zfs get used: 5.40M, -p: 5664768
  EXPECT_EQ(nicenum(89743360), "85.6M");  // available
  EXPECT_EQ(nicenum(122880), "120K");     // an exact multiple: no decimals
  EXPECT_EQ(nicenum(4970496), "4.74M");
  EXPECT_EQ(nicenum(128974848), "123M");
}

TEST(Nicenum, SmallNumbersArePlain) {
  EXPECT_EQ(nicenum(0), "0");
  EXPECT_EQ(nicenum(1), "1");
  EXPECT_EQ(nicenum(1023), "1023");
}

TEST(Nicenum, ExactMultiplesHaveNoDecimals) {
  EXPECT_EQ(nicenum(1024), "1K");
  EXPECT_EQ(nicenum(29 * 1024), "29K");
  EXPECT_EQ(nicenum(uint64_t{3} << 30), "3G");
  EXPECT_EQ(nicenum(uint64_t{1} << 60), "1E");
}

TEST(Nicenum, PrecisionShrinksToFitFiveCharacters) {
  EXPECT_EQ(nicenum(1536), "1.50K");
  EXPECT_EQ(nicenum(10239), "10.0K");     // 9.999K rounds up: one decimal fits
  EXPECT_EQ(nicenum(102300), "99.9K");
  EXPECT_EQ(nicenum(1048575), "1024K");   // 1023.999K: no decimals fit
  EXPECT_EQ(nicenum(4781506), "4.56M");
  EXPECT_EQ(nicenum(UINT64_MAX), "16.0E");
}

}  // namespace
}  // namespace fzfs
