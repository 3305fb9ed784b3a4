// Writes through the vdev tree: leaves, mirrors and RAIDZ. RAIDZ writes are checked
// against the independent Horner-rule layout of vdev_test_util.h byte for byte, then read
// back, also with parity standing in for missing or garbled children.
#include <gtest/gtest.h>

#include <set>

#include "engine/vdev/raidz_map.h"
#include "engine/vdev/vdev_leaf.h"
#include "engine/vdev/vdev_raidz.h"
#include "engine/vdev/vdev_test_util.h"

namespace fzfs {
namespace {

using testing::equals;
using testing::random_bytes;
using testing::Rig;

std::vector<uint8_t> physical(Rig& rig, int child, uint64_t offset, size_t n) {
  auto& b = rig.mem[child]->bytes();
  return std::vector<uint8_t>(b.begin() + kVdevLabelStartSize + offset,
                              b.begin() + kVdevLabelStartSize + offset + n);
}

// --- leaf ----------------------------------------------------------------------------------

struct LeafRig {
  std::shared_ptr<MemoryDevice> mem = std::make_shared<MemoryDevice>("/mem/leaf", 8 << 20);
  std::shared_ptr<FaultDevice> fault = std::make_shared<FaultDevice>(mem);
  LeafVdev leaf{"file", "/mem/leaf", fault};
};

TEST(leaf_write, RoundTripAtDataOffset) {
  LeafRig r;
  auto block = random_bytes(8192, 1);
  ASSERT_TRUE(r.leaf.write(4096, block).ok());
  // Physically after the front labels and boot region.
  EXPECT_TRUE(std::equal(block.begin(), block.end(), r.mem->bytes().begin() + kVdevLabelStartSize + 4096));
  std::vector<uint8_t> out(block.size());
  ASSERT_TRUE(r.leaf.read(4096, out, equals(block)).ok());
  EXPECT_EQ(out, block);
  EXPECT_TRUE(r.leaf.flush().ok());
}

TEST(leaf_write, PartialSectorIsZeroPadded) {
  LeafRig r;
  r.leaf.ashift = 12;
  std::fill(r.mem->bytes().begin(), r.mem->bytes().end(), 0xee);
  auto block = random_bytes(1000, 2);
  ASSERT_TRUE(r.leaf.write(8192, block).ok());
  const uint8_t* p = r.mem->bytes().data() + kVdevLabelStartSize + 8192;
  EXPECT_TRUE(std::equal(block.begin(), block.end(), p));
  for (size_t i = block.size(); i < 4096; i++) ASSERT_EQ(p[i], 0) << i;
  EXPECT_EQ(p[4096], 0xee);  // the next sector is untouched
}

TEST(leaf_write, OutsideDataAreaIsRefusedUncounted) {
  LeafRig r;
  const uint64_t room = (8 << 20) - kVdevLabelStartSize - kVdevLabelEndSize;
  std::vector<uint8_t> block(512, 1);
  ASSERT_TRUE(r.leaf.write(room - 512, block).ok());
  Status s = r.leaf.write(room, block);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), EIO);
  EXPECT_EQ(r.leaf.counters.write_errors, 0u);
  // The end labels were not touched.
  EXPECT_EQ(r.mem->bytes()[kVdevLabelStartSize + room], 0);
}

TEST(leaf_write, IoErrorIsCountedAndNamed) {
  LeafRig r;
  r.fault->fail_writes(kVdevLabelStartSize, 512);
  std::vector<uint8_t> block(1024, 7);
  Status s = r.leaf.write(0, block);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("/mem/leaf"), std::string::npos) << s.error().message();
  EXPECT_EQ(r.leaf.counters.write_errors, 1u);
  r.fault->fail_all();
  EXPECT_FALSE(r.leaf.flush().ok());
  EXPECT_EQ(r.leaf.counters.write_errors, 2u);
}

TEST(leaf_write, MissingDeviceIsEioNamingIt) {
  LeafVdev leaf("file", "/dev/gone", nullptr);
  std::vector<uint8_t> block(512, 1);
  Status s = leaf.write(0, block);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), EIO);
  EXPECT_NE(s.error().message().find("/dev/gone"), std::string::npos) << s.error().message();
  EXPECT_EQ(leaf.counters.write_errors, 0u);
  EXPECT_TRUE(leaf.flush().ok());  // nothing was written there to make durable
}

TEST(placeholder_write, HoleAndMissingRefuseWrites) {
  PlaceholderVdev hole("hole"), missing("missing");
  std::vector<uint8_t> block(512, 1);
  EXPECT_EQ(hole.write(0, block).error().code(), ENXIO);
  EXPECT_EQ(missing.write(0, block).error().code(), ENXIO);
  EXPECT_TRUE(hole.flush().ok());
  EXPECT_FALSE(missing.flush().ok());
}

// --- mirror --------------------------------------------------------------------------------

TEST(mirror_write, EveryChildGetsTheBlock) {
  Rig rig("mirror", 3, 0);
  ASSERT_TRUE(rig.vdev);
  auto block = random_bytes(12 << 10, 3);
  ASSERT_TRUE(rig.vdev->write(64 << 10, block).ok());
  for (int i = 0; i < 3; i++) EXPECT_EQ(physical(rig, i, 64 << 10, block.size()), block) << i;
  // Any single side answers a read.
  rig.fault[0]->fail_all();
  rig.fault[1]->corrupt_reads(0, 64 << 20);
  std::vector<uint8_t> out(block.size());
  ASSERT_TRUE(rig.vdev->read(64 << 10, out, equals(block)).ok());
  EXPECT_EQ(out, block);
}

TEST(mirror_write, OneGoodChildIsEnough) {
  Rig rig("mirror", 2, 0, /*missing=*/{1});
  rig.fault[0]->clear();
  auto block = random_bytes(4096, 4);
  ASSERT_TRUE(rig.vdev->write(0, block).ok());
  EXPECT_EQ(physical(rig, 0, 0, block.size()), block);
  EXPECT_TRUE(rig.vdev->flush().ok());

  Rig bad("mirror", 2, 0);
  bad.fault[0]->fail_writes(0, UINT64_MAX / 2);
  ASSERT_TRUE(bad.vdev->write(0, block).ok());
  EXPECT_EQ(bad.child(0).counters.write_errors, 1u);
  EXPECT_EQ(bad.vdev->counters.write_errors, 0u);
  std::vector<uint8_t> out(block.size());
  ASSERT_TRUE(bad.vdev->read(0, out, equals(block)).ok());
  EXPECT_EQ(out, block);
}

TEST(mirror_write, NoChildStoredItFails) {
  Rig rig("mirror", 2, 0);
  rig.fault[0]->fail_all();
  rig.fault[1]->fail_writes(0, UINT64_MAX / 2);
  std::vector<uint8_t> block(512, 9);
  Status s = rig.vdev->write(0, block);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), EIO);
  EXPECT_NE(s.error().message().find("/mem/d1"), std::string::npos) << s.error().message();
  EXPECT_EQ(rig.vdev->counters.write_errors, 1u);
  // Flush: one side fails, the other still flushes; both failing is an error.
  EXPECT_TRUE(rig.vdev->flush().ok());
  rig.fault[1]->fail_all();
  EXPECT_FALSE(rig.vdev->flush().ok());
}

// --- RAIDZ ---------------------------------------------------------------------------------

struct Shape {
  int nparity, dcols;
  uint64_t ashift;
};

// Block sizes in sectors: narrower than a row, exactly a row, ragged, large.
const uint64_t kSectors[] = {1, 2, 3, 4, 5, 7, 8, 13, 17, 32, 33, 129, 256};

// Every block size laid out back to back from `at` (updated past the last block), the
// start column moving from block to block.
void layout_blocks(const Shape& sh, uint64_t& at, uint32_t seed,
                   std::vector<std::pair<uint64_t, std::vector<uint8_t>>>& blocks) {
  const uint64_t unit = uint64_t{1} << sh.ashift;
  for (uint64_t s : kSectors) {
    // A whole number of sectors, and also one that ends mid-sector.
    for (uint64_t bytes : {s * unit, s * unit - unit / 2}) {
      blocks.push_back({at, random_bytes(bytes, seed++)});
      at += raidz_asize(bytes, sh.ashift, sh.dcols, sh.nparity) + unit * (s % 3);
    }
  }
}

TEST(raidz_write, MatchesIndependentLayoutAndReadsBack) {
  const Shape shapes[] = {{1, 2, 9}, {1, 3, 9}, {1, 5, 12}, {2, 3, 9}, {2, 6, 12},
                          {2, 5, 9}, {3, 4, 9}, {3, 7, 12}, {3, 8, 9}, {1, 4, 12}};
  for (const Shape& sh : shapes) {
    SCOPED_TRACE(::testing::Message() << "raidz" << sh.nparity << " of " << sh.dcols << " ashift "
                                      << sh.ashift);
    Rig ours("raidz", sh.dcols, sh.nparity, {}, 16 << 20, sh.ashift);
    Rig theirs("raidz", sh.dcols, sh.nparity, {}, 16 << 20, sh.ashift);
    ASSERT_TRUE(ours.vdev);
    // Passes start at the beginning, a few sectors into an odd MiB (single parity swaps
    // columns 0 and 1 there) and just before an even MiB, or after the previous pass.
    std::vector<std::pair<uint64_t, std::vector<uint8_t>>> all;
    const uint64_t unit = uint64_t{1} << sh.ashift;
    const uint64_t mib = uint64_t{1} << 20;
    uint64_t at = 0;
    uint32_t seed = 100;
    for (uint64_t start : {uint64_t{0}, mib + 3 * unit, 4 * mib - 5 * unit}) {
      at = std::max(at, start);
      if (start > 0 && at > start) at = (at + mib - 1) / mib * mib + (start % mib);
      layout_blocks(sh, at, seed, all);
      seed += 1000;
    }
    for (auto& [off, block] : all) {
      Status s = ours.vdev->write(off, block);
      ASSERT_TRUE(s.ok()) << off << ": " << s.error().message();
      theirs.write_raidz(off, block);
    }
    for (int c = 0; c < sh.dcols; c++)
      ASSERT_TRUE(ours.mem[c]->bytes() == theirs.mem[c]->bytes()) << "child " << c << " differs";
    for (auto& [off, block] : all) {
      std::vector<uint8_t> out(block.size());
      ASSERT_TRUE(ours.vdev->read(off, out, equals(block)).ok()) << off;
      ASSERT_EQ(out, block) << off;
    }
  }
}

TEST(raidz_write, SingleParitySwapInOddMegabytes) {
  // raidz1 of 3, 4 sectors at 1 MiB: the parity column sits where data column 0 would.
  Rig rig("raidz", 3, 1);
  auto block = random_bytes(4 * 512, 11);
  const uint64_t off = 1 << 20;
  ASSERT_TRUE(rig.vdev->write(off, block).ok());
  RaidzMap m = raidz_map(off, block.size(), 9, 3, 1);
  ASSERT_NE(m.cols[0].child, (off >> 9) % 3);  // swapped
  // Data column 0 holds the first bytes of the block, on the child the swap chose.
  EXPECT_EQ(physical(rig, int(m.cols[1].child), m.cols[1].offset, m.cols[1].size),
            std::vector<uint8_t>(block.begin(), block.begin() + m.cols[1].size));
  // Parity is the XOR of the data columns.
  auto p = physical(rig, int(m.cols[0].child), m.cols[0].offset, m.cols[0].size);
  for (size_t i = 0; i < p.size(); i++) {
    uint8_t x = 0;
    size_t pos = 0;
    for (size_t c = 1; c < m.cols.size(); pos += m.cols[c].size, c++)
      if (i < m.cols[c].size) x ^= block[pos + i];
    ASSERT_EQ(p[i], x) << i;
  }
}

TEST(raidz_write, DegradedWriteReadsBackThroughParity) {
  for (int np = 1; np <= 3; np++) {
    for (uint64_t ashift : {9, 12}) {
      const int n = np + 3;
      std::set<int> missing;
      for (int i = 0; i < np; i++) missing.insert(1 + 2 * i % n);
      Rig rig("raidz", n, np, missing, 12 << 20, ashift);
      ASSERT_EQ(rig.vdev->state(), VdevState::kDegraded);
      for (uint64_t sectors : {1, 3, 8, 61}) {
        const uint64_t off = sectors * (uint64_t{1} << ashift) * 7;
        auto block = random_bytes(sectors << ashift, uint32_t(np * 100 + sectors));
        Status s = rig.vdev->write(off, block);
        ASSERT_TRUE(s.ok()) << "np " << np << ": " << s.error().message();
        std::vector<uint8_t> out(block.size());
        s = rig.vdev->read(off, out, equals(block));
        ASSERT_TRUE(s.ok()) << "np " << np << " sectors " << sectors << ": " << s.error().message();
        ASSERT_EQ(out, block);
      }
      EXPECT_TRUE(rig.vdev->flush().ok());
    }
  }
}

TEST(raidz_write, GarbledChildrenAfterWriteAreReconstructed) {
  for (int np = 1; np <= 3; np++) {
    for (uint64_t ashift : {9, 12}) {
      const int n = np + 4;
      Rig rig("raidz", n, np, {}, 12 << 20, ashift);
      std::vector<std::pair<uint64_t, std::vector<uint8_t>>> blocks;
      uint64_t at = 0;
      for (uint64_t sectors : {1, 2, 5, 40}) {
        auto block = random_bytes(sectors << ashift, uint32_t(sectors + np));
        ASSERT_TRUE(rig.vdev->write(at, block).ok());
        blocks.push_back({at, block});
        at += rig.vdev->asize(block.size());
      }
      for (int b = 0; b < np; b++) rig.fault[(b * 2) % n]->corrupt_reads(0, UINT64_MAX / 2);
      for (auto& [off, block] : blocks) {
        std::vector<uint8_t> out(block.size());
        Status s = rig.vdev->read(off, out, equals(block));
        ASSERT_TRUE(s.ok()) << "np " << np << " ashift " << ashift << ": " << s.error().message();
        ASSERT_EQ(out, block);
      }
    }
  }
}

TEST(raidz_write, MoreThanParityLostFails) {
  for (int np = 1; np <= 3; np++) {
    Rig rig("raidz", np + 3, np);
    for (int i = 0; i <= np; i++) rig.fault[i]->fail_writes(0, UINT64_MAX / 2);
    auto block = random_bytes(64 << 10, 5);
    Status s = rig.vdev->write(0, block);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code(), EIO);
    EXPECT_NE(s.error().message().find("raidz"), std::string::npos) << s.error().message();
    EXPECT_EQ(rig.vdev->counters.write_errors, 1u);
    for (int i = 0; i <= np; i++) EXPECT_EQ(rig.child(i).counters.write_errors, 1u) << i;

    // Exactly nparity failing children is still a good write.
    rig.fault[0]->clear();
    ASSERT_TRUE(rig.vdev->write(0, block).ok());
    std::vector<uint8_t> out(block.size());
    ASSERT_TRUE(rig.vdev->read(0, out, equals(block)).ok());
    EXPECT_EQ(out, block);
  }
}

TEST(raidz_write, FlushNeedsAllButParity) {
  Rig rig("raidz", 5, 2, /*missing=*/{0});
  EXPECT_TRUE(rig.vdev->flush().ok());
  rig.fault[1]->fail_all();
  EXPECT_TRUE(rig.vdev->flush().ok());
  rig.fault[2]->fail_all();
  Status s = rig.vdev->flush();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("raidz2-0"), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace fzfs
