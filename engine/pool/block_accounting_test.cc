// The allocation check's accounting on hand-made block pointers and space maps: shared
// blocks count once, a reused DVA with another birth is a double allocation, space no
// block claims is leaked, claims outside the maps are unallocated, gang headers claim
// their header only.
#include <gtest/gtest.h>

#include "engine/pool/block_check.h"

namespace fzfs {
namespace {

// A top-level vdev that rounds sizes up to 1 << ashift (what a plain disk does).
class FakeTop final : public Vdev {
 public:
  explicit FakeTop(uint64_t shift) { ashift = shift; }
  const char* type() const override { return "file"; }
  std::string name() const override { return "fake"; }
  VdevState state() const override { return VdevState::kOnline; }
  Status read(uint64_t, std::span<uint8_t>, const BlockVerifier&) override { return make_error(EIO, "no data"); }
  Status write(uint64_t, std::span<const uint8_t>) override { return make_error(EIO, "read-only fake"); }
  Status flush() override { return Status::Ok(); }
  uint64_t asize(uint64_t psize) const override {
    uint64_t unit = 1ULL << ashift;
    return (psize + unit - 1) / unit * unit;
  }
};

Dva dva(uint64_t vdev, uint64_t offset, uint64_t asize, bool gang = false) {
  Dva d;
  d.word[0] = (vdev << 32) | (asize >> kSectorShift);
  d.word[1] = (offset >> kSectorShift) | (uint64_t(gang) << 63);
  return d;
}

Blkptr block(std::initializer_list<Dva> dvas, uint64_t psize, uint64_t birth) {
  Blkptr bp;
  int i = 0;
  for (const Dva& d : dvas) bp.dva[i++] = d;
  const uint64_t sectors = (psize >> kSectorShift) - 1;
  bp.prop = (1ULL << 63) | (uint64_t(19) << 48) | (sectors << 16) | sectors;  // LE, plain file, level 0
  bp.birth = birth;
  return bp;
}

struct Fixture {
  FakeTop top{12};  // 4 KiB units
  PoolSpace space;
  Fixture(std::initializer_list<std::pair<uint64_t, uint64_t>> allocated) {
    space.vdevs.resize(1);
    for (auto [s, l] : allocated) space.vdevs[0].allocated.add(s, l);
    space.replayed_total = space.smp_alloc_total = space.vdevs[0].allocated.bytes();
  }
  BlockAccounting acct() { return BlockAccounting({&top}, space); }
};

const BlockOrigin kTree{};

TEST(BlockAccounting, ConsistentPoolIsClean) {
  Fixture f({{0, 0x3000}, {0x10000, 0x1000}});
  auto a = f.acct();
  Blkptr b1 = block({dva(0, 0, 0x2000)}, 0x2000, 5);
  EXPECT_TRUE(a.visit(b1, kTree));
  EXPECT_FALSE(a.visit(b1, kTree));  // the same block through a snapshot: counted once
  EXPECT_TRUE(a.visit(block({dva(0, 0x2000, 0x1000), dva(0, 0x10000, 0x1000)}, 0x800, 6), kTree));  // ditto copies
  BlockCheckReport r = a.finish();
  EXPECT_TRUE(r.clean());
  EXPECT_EQ(r.total.blocks, 2u);
  EXPECT_EQ(r.total.asize, 0x4000u);
  EXPECT_EQ(r.claimed_bytes, 0x4000u);
  EXPECT_TRUE(r.problems.empty());
}

TEST(BlockAccounting, FindsLeaksUnallocatedAndDoubles) {
  Fixture f({{0, 0x4000}, {0x20000, 0x2000}});
  auto a = f.acct();
  a.visit(block({dva(0, 0, 0x2000)}, 0x2000, 5), kTree);
  a.visit(block({dva(0, 0, 0x2000)}, 0x2000, 9), kTree);       // same DVA, another birth
  a.visit(block({dva(0, 0x8000, 0x1000)}, 0x1000, 7), kTree);  // free in the space maps
  a.visit(block({dva(3, 0, 0x1000)}, 0x1000, 7), kTree);       // no such vdev
  BlockCheckReport r = a.finish();
  EXPECT_EQ(r.double_blocks, 1u);
  EXPECT_EQ(r.double_bytes, 0x2000u);
  EXPECT_EQ(r.unallocated_bytes, 0x2000u);  // the stray range and the missing vdev
  EXPECT_EQ(r.unallocated_ranges, 2u);
  EXPECT_EQ(r.leaked_bytes, 0x2000u + 0x2000u);  // [0x2000,0x4000) and [0x20000,0x22000)
  EXPECT_EQ(r.leaked_ranges, 2u);
  EXPECT_FALSE(r.clean());
  EXPECT_FALSE(r.problems.empty());
}

TEST(BlockAccounting, PendingFreesAndGangHeaders) {
  Fixture f({{0, 0x1000}, {0x4000, 0x3000}});
  auto a = f.acct();
  // A gang block: its DVA's asize covers header and members, but it claims one header unit.
  a.visit(block({dva(0, 0, 0x3000, /*gang=*/true)}, 0x2000, 4), kTree);
  BlockOrigin member{BlockRole::kGangMember, 0, 1, 0, 0};
  a.visit(block({dva(0, 0x4000, 0x1000)}, 0x1000, 4), member);
  a.visit(block({dva(0, 0x5000, 0x1000)}, 0x1000, 4), member);
  BlockOrigin pending{BlockRole::kPendingFree, 0, 40, 0, 0};
  a.visit(block({dva(0, 0x6000, 0x1000)}, 0x1000, 3), pending);
  BlockCheckReport r = a.finish();
  EXPECT_TRUE(r.clean()) << r.problems.size();
  EXPECT_EQ(r.gang_headers, 1u);
  EXPECT_EQ(r.total.blocks, 1u);  // members belong to their gang block
  EXPECT_EQ(r.pending_free.blocks, 1u);
  EXPECT_EQ(r.pending_free.asize, 0x1000u);
}

}  // namespace
}  // namespace fzfs
