#include <gtest/gtest.h>

#include "engine/vdev/vdev_test_util.h"

namespace fzfs {
namespace {

using testing::equals;
using testing::random_bytes;
using testing::Rig;

constexpr uint64_t kOff = 64 << 10;

TEST(mirror_read, HealthyReadsFirstChildOnly) {
  Rig rig("mirror", 2, 0);
  auto block = random_bytes(8192, 1);
  rig.write_mirror(kOff, block);
  std::vector<uint8_t> out(block.size());
  ASSERT_TRUE(rig.vdev->read(kOff, out, equals(block)).ok());
  EXPECT_EQ(out, block);
  EXPECT_EQ(rig.fault[0]->reads(), 1u);
  EXPECT_EQ(rig.fault[1]->reads(), 0u);
  EXPECT_EQ(rig.vdev->state(), VdevState::kOnline);
  EXPECT_EQ(rig.vdev->name(), "mirror-0");
  EXPECT_EQ(rig.vdev->asize(1000), 1024u);
}

TEST(mirror_read, BadSideIsCountedAndOtherCopyWins) {
  for (int bad : {0, 1}) {
    Rig rig("mirror", 2, 0);
    auto block = random_bytes(4096, 2 + bad);
    rig.write_mirror(kOff, block);
    rig.fault[bad]->corrupt_reads(kVdevLabelStartSize + kOff + 100, 1);
    std::vector<uint8_t> out(block.size());
    ASSERT_TRUE(rig.vdev->read(kOff, out, equals(block)).ok());
    EXPECT_EQ(out, block);
    EXPECT_EQ(rig.child(bad).counters.cksum_errors, bad == 0 ? 1u : 0u);
    EXPECT_EQ(rig.child(1 - bad).counters.cksum_errors, 0u);
    EXPECT_EQ(rig.vdev->counters.cksum_errors, 0u);
  }
}

TEST(mirror_read, IoErrorCountsReadErrors) {
  Rig rig("mirror", 3, 0);
  auto block = random_bytes(4096, 4);
  rig.write_mirror(kOff, block);
  rig.fault[0]->fail_reads(kVdevLabelStartSize + kOff, 1);
  rig.fault[1]->corrupt_reads(kVdevLabelStartSize + kOff, 1);
  std::vector<uint8_t> out(block.size());
  ASSERT_TRUE(rig.vdev->read(kOff, out, equals(block)).ok());
  EXPECT_EQ(out, block);
  EXPECT_EQ(rig.child(0).counters.read_errors, 1u);
  EXPECT_EQ(rig.child(1).counters.cksum_errors, 1u);
  EXPECT_EQ(rig.child(2).counters.read_errors + rig.child(2).counters.cksum_errors, 0u);
}

TEST(mirror_read, NoGoodCopyFails) {
  Rig rig("mirror", 2, 0);
  auto block = random_bytes(4096, 5);
  rig.write_mirror(kOff, block);
  rig.fault[0]->corrupt_reads(0, 64 << 20);
  rig.fault[1]->fail_all();
  std::vector<uint8_t> out(block.size());
  Status s = rig.vdev->read(kOff, out, equals(block));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), kECKSUM);
  EXPECT_NE(s.error().message().find("/mem/d0"), std::string::npos) << s.error().message();
  EXPECT_EQ(rig.vdev->counters.cksum_errors, 1u);

  rig.fault[0]->fail_all();
  s = rig.vdev->read(kOff, out, equals(block));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), EIO);
  EXPECT_EQ(rig.vdev->counters.read_errors, 1u);
}

TEST(mirror_read, MissingChildDegradesAndHealthyIsPreferred) {
  Rig rig("mirror", 2, 0, /*missing=*/{0});
  EXPECT_EQ(rig.vdev->state(), VdevState::kDegraded);
  EXPECT_EQ(rig.child(0).state(), VdevState::kUnavail);
  auto block = random_bytes(4096, 6);
  rig.write_mirror(kOff, block);
  std::vector<uint8_t> out(block.size());
  ASSERT_TRUE(rig.vdev->read(kOff, out, equals(block)).ok());
  EXPECT_EQ(out, block);
  EXPECT_EQ(rig.child(0).counters.read_errors, 0u);

  Rig gone("mirror", 2, 0, {0, 1});
  EXPECT_EQ(gone.vdev->state(), VdevState::kUnavail);
  EXPECT_FALSE(gone.vdev->read(kOff, out, equals(block)).ok());
}

}  // namespace
}  // namespace fzfs
