#include <gtest/gtest.h>

#include <map>

#include "engine/vdev/raidz_codec.h"
#include "engine/vdev/raidz_map.h"
#include "engine/vdev/vdev_raidz.h"
#include "engine/vdev/vdev_test_util.h"

namespace fzfs {
namespace {

using testing::equals;
using testing::random_bytes;
using testing::Rig;

// --- layout ------------------------------------------------------------------------------

TEST(raidz_map, WorkedExampleFromHeader) {
  // dcols 5, nparity 1, 7 sectors at parent sector 2 (offset 1024): as drawn in raidz_map.h.
  RaidzMap m = raidz_map(1024, 7 * 512, 9, 5, 1);
  ASSERT_EQ(m.cols.size(), 5u);
  const uint64_t child[] = {2, 3, 4, 0, 1};
  const uint64_t off[] = {0, 0, 0, 512, 512};
  const uint64_t sectors[] = {2, 2, 2, 2, 1};
  for (int c = 0; c < 5; c++) {
    EXPECT_EQ(m.cols[c].child, child[c]) << c;
    EXPECT_EQ(m.cols[c].offset, off[c]) << c;
    EXPECT_EQ(m.cols[c].size, sectors[c] * 512) << c;
  }
  EXPECT_EQ(m.bigcols, 4u);
  EXPECT_EQ(m.nskip, 1u);
  EXPECT_EQ(m.skipstart, 4u);
  EXPECT_EQ(raidz_asize(7 * 512, 9, 5, 1), 10u * 512);
}

TEST(raidz_map, ShortBlockTouchesOnlyBigColumns) {
  // One sector in raidz2 of 6: one data column and two parity columns, all one sector.
  RaidzMap m = raidz_map(6 * 512 * 3, 512, 9, 6, 2);
  ASSERT_EQ(m.cols.size(), 3u);
  for (auto& c : m.cols) EXPECT_EQ(c.size, 512u);
  EXPECT_EQ(m.cols[0].child, 0u);
  EXPECT_EQ(m.cols[0].offset, 3u * 512);
  EXPECT_EQ(m.nskip, 0u);
  EXPECT_EQ(raidz_asize(512, 9, 6, 2), 3u * 512);
}

TEST(raidz_map, SingleParitySwapsOnOddMegabytes) {
  RaidzMap even = raidz_map(0, 4 * 512, 9, 3, 1);
  RaidzMap odd = raidz_map(1 << 20, 4 * 512, 9, 3, 1);
  // 1 MiB is sector 2048, 2048 % 3 = 2: columns start on child 2 in both rows.
  EXPECT_EQ(even.cols[0].child, 0u);
  EXPECT_EQ(even.cols[1].child, 1u);
  EXPECT_EQ(odd.cols[0].child, 0u);  // swapped: parity on what would be column 1's child
  EXPECT_EQ(odd.cols[1].child, 2u);
  EXPECT_EQ(odd.cols[0].offset, (2048 / 3 + 1) * 512u);
  EXPECT_EQ(odd.cols[1].offset, (2048 / 3) * 512u);
  // Double parity never swaps.
  RaidzMap z2 = raidz_map(1 << 20, 4 * 512, 9, 4, 2);
  EXPECT_EQ(z2.cols[0].child, (2048 % 4) + 0u);
}

TEST(raidz_map, AsizeMatchesFormula) {
  // 128 KiB in raidz2 of 6 (4 data): 256 data + 128 parity sectors, already a multiple of 3.
  EXPECT_EQ(raidz_asize(128 << 10, 9, 6, 2), 384u * 512);
  // 1.5 KiB in raidz1 of 3: 3 data + 2 parity = 5 -> 6 sectors.
  EXPECT_EQ(raidz_asize(1536, 9, 3, 1), 6u * 512);
  // ashift 12 rounds psize to 4 KiB sectors first.
  EXPECT_EQ(raidz_asize(512, 12, 4, 1), 2u * 4096);
  // The map's columns plus skips account for exactly asize.
  for (uint64_t sectors : {1, 2, 5, 17, 256}) {
    RaidzMap m = raidz_map(512 * 11, sectors * 512, 9, 7, 3);
    uint64_t total = 0;
    for (auto& c : m.cols) total += c.size;
    EXPECT_EQ(total + m.nskip * 512, raidz_asize(sectors * 512, 9, 7, 3)) << sectors;
  }
}

// --- parity arithmetic ---------------------------------------------------------------------

TEST(raidz_codec, GenerateMatchesHorner) {
  for (int np = 1; np <= 3; np++) {
    for (int k : {1, 2, 3, 8, 17}) {
      const size_t len = 1000;
      std::vector<std::vector<uint8_t>> data;
      for (int i = 0; i < k; i++) data.push_back(random_bytes(len, 100 * np + i));
      auto want = testing::horner_parity(data, len, np);
      RaidzCodec codec(k, np);
      std::vector<std::vector<uint8_t>> got(np, std::vector<uint8_t>(len));
      std::vector<const uint8_t*> d;
      std::vector<uint8_t*> p;
      for (auto& x : data) d.push_back(x.data());
      for (auto& x : got) p.push_back(x.data());
      codec.generate(len, d, p);
      EXPECT_EQ(got, want) << "np " << np << " k " << k;
    }
  }
}

TEST(raidz_codec, ReconstructsAnyLostSet) {
  const int k = 6;
  const size_t len = 4096;
  for (int np = 1; np <= 3; np++) {
    RaidzCodec codec(k, np);
    std::vector<std::vector<uint8_t>> data;
    for (int i = 0; i < k; i++) data.push_back(random_bytes(len, 7 * i + np));
    auto par = testing::horner_parity(data, len, np);
    // Every set of up to np lost data columns, rebuilt from the last parity rows.
    for (int mask = 1; mask < (1 << k); mask++) {
      std::vector<int> lost;
      for (int i = 0; i < k; i++)
        if (mask & (1 << i)) lost.push_back(i);
      if (int(lost.size()) > np) continue;
      auto work = data;
      for (int i : lost) std::fill(work[i].begin(), work[i].end(), 0xaa);
      std::vector<int> use;
      for (int p = np - int(lost.size()); p < np; p++) use.push_back(p);
      std::vector<uint8_t*> d;
      std::vector<const uint8_t*> p;
      for (auto& x : work) d.push_back(x.data());
      for (auto& x : par) p.push_back(x.data());
      ASSERT_TRUE(codec.reconstruct(len, d, p, lost, use));
      EXPECT_EQ(work, data) << "np " << np << " mask " << mask;
    }
  }
}

// --- reads through the vdev ----------------------------------------------------------------

struct Case {
  uint64_t offset;
  size_t size;
};
// Full rows, partial rows, single sectors, and an odd MiB (raidz1's column swap).
const Case kCases[] = {{0, 128 << 10}, {512 * 5, 512}, {512 * 13, 512 * 7},
                       {(1 << 20) + 512 * 3, 512 * 9}, {3 << 20, 64 << 10}};

// Which children hold data and parity columns of a block.
std::pair<std::set<int>, std::set<int>> roles(const Rig& rig, const Case& c) {
  RaidzMap m = raidz_map(c.offset, c.size, 9, rig.mem.size(), rig.nparity);
  std::set<int> data, parity;
  for (size_t i = 0; i < m.cols.size(); i++)
    (i < size_t(rig.nparity) ? parity : data).insert(int(m.cols[i].child));
  return {data, parity};
}

TEST(raidz_read, HealthyReadsDataColumnsOnly) {
  for (int np = 1; np <= 3; np++) {
    Rig rig("raidz", np + 4, np);
    ASSERT_TRUE(rig.vdev);
    for (const Case& c : kCases) {
      auto block = random_bytes(c.size, uint32_t(c.offset + np));
      rig.write_raidz(c.offset, block);
      std::vector<uint8_t> out(c.size);
      std::vector<uint64_t> before;
      for (auto& f : rig.fault) before.push_back(f->reads());
      ASSERT_TRUE(rig.vdev->read(c.offset, out, equals(block)).ok());
      EXPECT_EQ(out, block);
      auto [data, parity] = roles(rig, c);
      for (int p : parity)
        if (!data.count(p)) {
          EXPECT_EQ(rig.fault[p]->reads(), before[p]) << "parity child read";
        }
    }
  }
}

// Every combination of up to nparity children missing (EIO) or returning garbage,
// for raidz1..3 and each block shape: the read must give back exactly the block.
TEST(raidz_read, ReconstructsUpToParityBadColumns) {
  for (int np = 1; np <= 3; np++) {
    const int n = np + 3;
    for (bool garble : {false, true}) {
      for (int mask = 1; mask < (1 << n); mask++) {
        std::set<int> bad;
        for (int i = 0; i < n; i++)
          if (mask & (1 << i)) bad.insert(i);
        if (int(bad.size()) > np) continue;
        Rig rig("raidz", n, np);
        for (const Case& c : kCases) {
          auto block = random_bytes(c.size, uint32_t(mask * 31 + c.offset));
          rig.write_raidz(c.offset, block);
          for (int b : bad) {
            rig.fault[b]->clear();
            if (garble) rig.fault[b]->corrupt_reads(0, UINT64_MAX / 2);
            else rig.fault[b]->fail_all();
          }
          std::vector<uint64_t> ck_before;
          for (int i = 0; i < n; i++) ck_before.push_back(rig.child(i).counters.cksum_errors);
          std::vector<uint8_t> out(c.size);
          Status s = rig.vdev->read(c.offset, out, equals(block));
          ASSERT_TRUE(s.ok()) << "np " << np << " mask " << mask << " garble " << garble
                              << " offset " << c.offset << ": " << s.error().message();
          ASSERT_EQ(out, block);
          if (!garble) continue;
          // Garbled columns are blamed when the data was damaged (parity is read then).
          auto [data, parity] = roles(rig, c);
          bool data_hit = false;
          for (int b : bad) data_hit |= data.count(b) > 0;
          for (int i = 0; i < n; i++) {
            uint64_t got = rig.child(i).counters.cksum_errors - ck_before[i];
            bool holds = data.count(i) || parity.count(i);
            uint64_t want = (data_hit && bad.count(i) && holds) ? 1 : 0;
            EXPECT_EQ(got, want) << "child " << i << " np " << np << " mask " << mask
                                 << " offset " << c.offset;
          }
        }
      }
    }
  }
}

TEST(raidz_read, MixedMissingAndGarbled) {
  Rig rig("raidz", 7, 3, /*missing=*/{4});
  ASSERT_EQ(rig.vdev->state(), VdevState::kDegraded);
  auto block = random_bytes(128 << 10, 5);
  rig.write_raidz(0, block);
  rig.fault[1]->corrupt_reads(0, 64 << 20);
  rig.fault[6]->corrupt_reads(0, 64 << 20);
  std::vector<uint8_t> out(block.size());
  Status s = rig.vdev->read(0, out, equals(block));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(out, block);
  EXPECT_EQ(rig.child(1).counters.cksum_errors, 1u);
  EXPECT_EQ(rig.child(6).counters.cksum_errors, 1u);
  EXPECT_EQ(rig.child(4).counters.read_errors, 0u);  // missing devices are not counted
  EXPECT_EQ(rig.child(0).counters.cksum_errors, 0u);
}

TEST(raidz_read, PartialColumnDamageIsFound) {
  // One bad sector inside one column of a big block.
  Rig rig("raidz", 5, 2);
  auto block = random_bytes(128 << 10, 9);
  rig.write_raidz(0, block);
  rig.fault[2]->corrupt_reads(kVdevLabelStartSize + 4096, 512);
  rig.fault[3]->fail_reads(kVdevLabelStartSize, 512);
  std::vector<uint8_t> out(block.size());
  ASSERT_TRUE(rig.vdev->read(0, out, equals(block)).ok());
  EXPECT_EQ(out, block);
  EXPECT_EQ(rig.child(2).counters.cksum_errors, 1u);
  EXPECT_EQ(rig.child(3).counters.read_errors, 1u);
}

TEST(raidz_read, TooManyBadColumnsFail) {
  for (int np = 1; np <= 3; np++) {
    Rig rig("raidz", np + 3, np);
    auto block = random_bytes(64 << 10, np);
    rig.write_raidz(0, block);
    for (int i = 0; i <= np; i++) rig.fault[i]->corrupt_reads(0, 64 << 20);
    std::vector<uint8_t> out(block.size());
    Status s = rig.vdev->read(0, out, equals(block));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code(), kECKSUM);
    EXPECT_EQ(rig.vdev->counters.cksum_errors, 1u);

    for (int i = 0; i <= np; i++) rig.fault[i]->fail_all();
    s = rig.vdev->read(0, out, equals(block));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code(), EIO);
    EXPECT_NE(s.error().message().find("raidz"), std::string::npos) << s.error().message();
  }
}

TEST(raidz_read, StateFollowsMissingChildren) {
  EXPECT_EQ(Rig("raidz", 4, 1).vdev->state(), VdevState::kOnline);
  EXPECT_EQ(Rig("raidz", 4, 1, {2}).vdev->state(), VdevState::kDegraded);
  EXPECT_EQ(Rig("raidz", 4, 1, {1, 2}).vdev->state(), VdevState::kUnavail);
  EXPECT_EQ(Rig("raidz", 5, 2, {0, 4}).vdev->state(), VdevState::kDegraded);
  Rig r("raidz", 6, 3);
  EXPECT_EQ(r.vdev->name(), "raidz3-0");
  EXPECT_EQ(r.vdev->asize(128 << 10), raidz_asize(128 << 10, 9, 6, 3));
}

TEST(raidz_read, LargeAshift) {
  Rig rig("raidz", 5, 2, {}, 32 << 20, 12);
  // A 6 KiB block is padded to two 4 KiB sectors; the verifier sees exactly 6 KiB.
  auto block = random_bytes(6144, 77);
  rig.write_raidz(4096 * 9, block);
  rig.fault[0]->fail_all();
  rig.fault[1]->corrupt_reads(0, 64 << 20);
  std::vector<uint8_t> out(block.size());
  Status s = rig.vdev->read(4096 * 9, out, equals(block));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(out, block);
}

}  // namespace
}  // namespace fzfs
