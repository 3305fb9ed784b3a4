#include "engine/zpl/atime_policy.h"

#include <gtest/gtest.h>

namespace fzfs {
namespace {

constexpr Timespec T(int64_t sec, int64_t nsec = 0) { return Timespec{sec, nsec}; }
constexpr int64_t kDay = 24 * 60 * 60;

TEST(AtimePolicy, ModeFromProperties) {
  EXPECT_EQ(atime_mode(false, true), AtimeMode::kOff);
  EXPECT_EQ(atime_mode(false, false), AtimeMode::kOff);
  EXPECT_EQ(atime_mode(true, false), AtimeMode::kStrict);
  EXPECT_EQ(atime_mode(true, true), AtimeMode::kRelative);
}

TEST(AtimePolicy, OffNeverUpdates) {
  // Even an atime older than every other time and days old stays.
  EXPECT_FALSE(atime_update_due(AtimeMode::kOff, T(0), T(1000), T(1000), T(1000 + 10 * kDay)));
}

TEST(AtimePolicy, StrictAlwaysUpdates) {
  EXPECT_TRUE(atime_update_due(AtimeMode::kStrict, T(5000), T(1000), T(1000), T(5000)));
}

TEST(AtimePolicy, RelativeAfterAModification) {
  // Written after the last read (mtime later than atime): due.
  EXPECT_TRUE(atime_update_due(AtimeMode::kRelative, T(1000), T(1001), T(900), T(1002)));
  // Same instant counts as "not after": a new file (atime == mtime == ctime) is due.
  EXPECT_TRUE(atime_update_due(AtimeMode::kRelative, T(1000, 5), T(1000, 5), T(1000, 5), T(1000, 5)));
  // Nanoseconds decide within a second.
  EXPECT_TRUE(atime_update_due(AtimeMode::kRelative, T(1000, 5), T(1000, 6), T(0), T(1001)));
  EXPECT_FALSE(atime_update_due(AtimeMode::kRelative, T(1000, 6), T(1000, 5), T(1000, 5), T(1001)));
}

TEST(AtimePolicy, RelativeAfterAChangeOfAttributes) {
  // chmod/chown/link move ctime only: also due.
  EXPECT_TRUE(atime_update_due(AtimeMode::kRelative, T(1000), T(500), T(1000), T(1001)));
  EXPECT_TRUE(atime_update_due(AtimeMode::kRelative, T(1000), T(500), T(2000), T(2001)));
}

TEST(AtimePolicy, RelativeSkipsRecentReads) {
  // Read after the last change, less than a day ago: not due.
  EXPECT_FALSE(atime_update_due(AtimeMode::kRelative, T(2000), T(1000), T(1000), T(2001)));
  EXPECT_FALSE(atime_update_due(AtimeMode::kRelative, T(2000), T(1000), T(1000), T(2000 + kDay - 1)));
}

TEST(AtimePolicy, RelativeRefreshesADayOldAtime) {
  EXPECT_TRUE(atime_update_due(AtimeMode::kRelative, T(2000), T(1000), T(1000), T(2000 + kDay)));
  EXPECT_TRUE(atime_update_due(AtimeMode::kRelative, T(2000, 999999999), T(1000), T(1000), T(2000 + kDay)));
  EXPECT_TRUE(atime_update_due(AtimeMode::kRelative, T(2000), T(1000), T(1000), T(2000 + 30 * kDay)));
}

TEST(AtimePolicy, RelativeWithAnAtimeInTheFuture) {
  // A clock set back (or utimensat into the future): no refresh until something changes.
  EXPECT_FALSE(atime_update_due(AtimeMode::kRelative, T(9000), T(1000), T(1000), T(2000)));
  EXPECT_TRUE(atime_update_due(AtimeMode::kRelative, T(9000), T(9500), T(1000), T(2000)));
}

}  // namespace
}  // namespace fzfs
