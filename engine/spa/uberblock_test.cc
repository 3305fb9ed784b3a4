// Uberblock slots: encode and parse round trips, and byte-for-byte re-encoding of the
// slots zfs-fuse wrote in the conformance corpus.
#include "engine/spa/uberblock.h"

#include <gtest/gtest.h>

#include <cstring>

#include "engine/util/byteorder.h"

#include "engine/vdev/label.h"
#include "engine/vdev/vdev_test_util.h"

namespace fzfs {
namespace {

Uberblock sample() {
  Uberblock ub;
  ub.version = 23;
  ub.txg = 0x1234;
  ub.guid_sum = 0xfedcba9876543210ULL;
  ub.timestamp = 1700000000;
  ub.rootbp.dva[0].word[0] = (uint64_t{0} << 32) | 3;
  ub.rootbp.dva[0].word[1] = 0x400;
  ub.rootbp.dva[1].word[0] = 3;
  ub.rootbp.dva[1].word[1] = 0x9000;
  ub.rootbp.prop = 0x800b070200010001ULL;
  ub.rootbp.birth = 0x1234;
  ub.rootbp.fill = 77;
  ub.rootbp.cksum = Cksum{{1, 2, 3, 4}};
  ub.software_version = 28;
  ub.mmp_magic = kMmpMagic;
  ub.mmp_delay = 5;
  ub.mmp_config = 0x0102030405060708ULL;
  ub.checkpoint_txg = 99;
  ub.raidz_reflow_info = 0x55;
  return ub;
}

void expect_same_fields(const Uberblock& a, const Uberblock& b) {
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.txg, b.txg);
  EXPECT_EQ(a.guid_sum, b.guid_sum);
  EXPECT_EQ(a.timestamp, b.timestamp);
  uint8_t x[kBlkptrSize], y[kBlkptrSize];
  a.rootbp.encode(x);
  b.rootbp.encode(y);
  EXPECT_EQ(0, std::memcmp(x, y, kBlkptrSize));
  EXPECT_EQ(a.software_version, b.software_version);
  EXPECT_EQ(a.mmp_magic, b.mmp_magic);
  EXPECT_EQ(a.mmp_delay, b.mmp_delay);
  EXPECT_EQ(a.mmp_config, b.mmp_config);
  EXPECT_EQ(a.checkpoint_txg, b.checkpoint_txg);
  EXPECT_EQ(a.raidz_reflow_info, b.raidz_reflow_info);
}

TEST(uberblock_encode, RoundTripsForEverySlotSize) {
  const Uberblock ub = sample();
  for (uint64_t ashift : {9, 10, 12, 13, 16}) {
    const uint64_t at = 128 * 1024 + 3 * uberblock_slot_size(ashift);
    auto slot = ub.encode(at, ashift);
    ASSERT_TRUE(slot.ok()) << slot.error().message();
    ASSERT_EQ(slot->size(), uberblock_slot_size(ashift));
    auto back = Uberblock::parse(*slot, at);
    ASSERT_TRUE(back) << ashift;
    expect_same_fields(ub, *back);
    EXPECT_EQ(back->little, Blkptr::kHostLittleEndian());
    // The verifier is the slot's own offset: anywhere else it does not verify.
    EXPECT_FALSE(Uberblock::parse(*slot, at + slot->size()));
    // Damage anywhere in the slot, even in the zero fill, is caught.
    (*slot)[slot->size() / 2] ^= 1;
    EXPECT_FALSE(Uberblock::parse(*slot, at));
  }
}

TEST(uberblock_encode, BodyLayout) {
  const Uberblock ub = sample();
  auto b = ub.encode_body();
  ASSERT_EQ(b.size(), kUberblockBodySize);
  if (!Blkptr::kHostLittleEndian()) GTEST_SKIP() << "offsets checked on a little-endian host";
  EXPECT_EQ(load_le<uint64_t>(&b[0]), kUberblockMagic);
  EXPECT_EQ(load_le<uint64_t>(&b[8]), 23u);
  EXPECT_EQ(load_le<uint64_t>(&b[16]), 0x1234u);
  EXPECT_EQ(load_le<uint64_t>(&b[40 + 8 * 6]), ub.rootbp.prop);
  EXPECT_EQ(load_le<uint64_t>(&b[168]), 28u);
  EXPECT_EQ(load_le<uint64_t>(&b[176]), kMmpMagic);
  EXPECT_EQ(load_le<uint64_t>(&b[200]), 99u);
  EXPECT_EQ(load_le<uint64_t>(&b[208]), 0x55u);
}

TEST(uberblock_encode, NextIsWhatASyncWrites) {
  Uberblock old = sample();
  old.device = "/d/A";
  old.slot = 4;
  Uberblock n = old.next(0x1235, 42, 1800000000, 28);
  EXPECT_EQ(n.version, 23u);  // the pool keeps its version
  EXPECT_EQ(n.txg, 0x1235u);
  EXPECT_EQ(n.guid_sum, 42u);
  EXPECT_EQ(n.timestamp, 1800000000u);
  EXPECT_EQ(n.rootbp.cksum, old.rootbp.cksum);
  EXPECT_EQ(n.software_version, 28u);
  EXPECT_EQ(n.mmp_magic, kMmpMagic);
  EXPECT_EQ(n.mmp_delay, 0u);
  EXPECT_EQ(n.mmp_config, 0u);
  EXPECT_EQ(n.checkpoint_txg, 0u);
  EXPECT_TRUE(n.device.empty());
  EXPECT_TRUE(n.better_than(old));
}

TEST(uberblock_encode, SlotForTxgWrapsTheRing) {
  EXPECT_EQ(uberblock_slot_for_txg(130, 9), 2u);    // 128 slots of 1 KiB
  EXPECT_EQ(uberblock_slot_for_txg(130, 12), 2u);   // 32 slots of 4 KiB
  EXPECT_EQ(uberblock_slot_for_txg(33, 12), 1u);
  EXPECT_EQ(uberblock_slot_for_txg(17, 13), 1u);    // 16 slots of 8 KiB
  EXPECT_EQ(uberblock_slot_for_txg(17, 16), 1u);
}

// zfs-fuse's slots re-encode to the very same bytes: same fields, zero fill and trailer.
TEST(uberblock_encode, RealZfsFuseSlotsReencodeExactly) {
  if (!Blkptr::kHostLittleEndian()) GTEST_SKIP() << "the corpus was written little-endian";
  std::string path = testing::unpack_corpus_device("zf-raidz1", "B");
  if (path.empty()) GTEST_SKIP() << "corpus absent";
  auto dev = open_file_device(path, false, false);
  ASSERT_TRUE(dev.ok()) << dev.error().message();
  int checked = 0;
  for (const auto& label : read_vdev_labels(**dev)) {
    ASSERT_FALSE(label.ring.empty());
    for (const Uberblock& ub : uberblocks_in_ring(label.ring, label.ring_offset, 9, path, label.index)) {
      const uint64_t size = uberblock_slot_size(9);
      const uint64_t at = label.ring_offset + ub.slot * size;
      auto again = ub.encode(at, 9);
      ASSERT_TRUE(again.ok());
      std::vector<uint8_t> orig(label.ring.begin() + ub.slot * size,
                                label.ring.begin() + (ub.slot + 1) * size);
      ASSERT_TRUE(*again == orig) << "label " << label.index << " slot " << ub.slot;
      // zfs-fuse's uberblock ends with the root block pointer.
      EXPECT_EQ(ub.software_version, 0u);
      EXPECT_EQ(ub.mmp_magic, 0u);
      checked++;
    }
  }
  EXPECT_GT(checked, 4);
}

}  // namespace
}  // namespace fzfs
