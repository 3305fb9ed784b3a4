#include "engine/zpl/zpl_fs.h"

#include <gtest/gtest.h>
#include <sys/sysmacros.h>

namespace fzfs {
namespace {

// Each writer's encoding of the same device numbers (c 1 3, b 7 0, c 136 5, b 259 12).
TEST(ZplDeviceNumber, SolarisEncodingPutsMajorInTheHighWord) {
  EXPECT_EQ(zpl_device_number((1ULL << 32) | 3), makedev(1, 3));
  EXPECT_EQ(zpl_device_number((259ULL << 32) | 70000), makedev(259, 70000));
}

TEST(ZplDeviceNumber, LinuxKernelEncodingHasTwentyMinorBits) {
  EXPECT_EQ(zpl_device_number((7ULL << 20) | 0), makedev(7, 0));
  EXPECT_EQ(zpl_device_number((259ULL << 20) | 12), makedev(259, 12));
}

TEST(ZplDeviceNumber, ZfsFuseEncodingIsFusesThirtyTwoBitDevT) {
  EXPECT_EQ(zpl_device_number((1 << 8) | 3), makedev(1, 3));
  EXPECT_EQ(zpl_device_number((136 << 8) | 5), makedev(136, 5));
  EXPECT_EQ(zpl_device_number(0xfff05), makedev(0xfff, 5));
}

}  // namespace
}  // namespace fzfs
