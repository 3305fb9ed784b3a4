// Space maps built word by word in memory, in both entry formats and both byte orders,
// replayed into allocation sets; then damaged logs, which must fail with an error.
#include "engine/spa/space_map.h"

#include <gtest/gtest.h>

#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

uint64_t debug_word(uint64_t txg, uint64_t pass) { return (2ULL << 62) | (1ULL << 60) | (pass << 50) | txg; }
uint64_t one_word(SmType t, uint64_t off, uint64_t run) {
  return (off << 16) | (uint64_t(t == SmType::kFree) << 15) | (run - 1);
}
std::pair<uint64_t, uint64_t> two_words(SmType t, uint64_t off, uint64_t run, uint64_t vdev) {
  return {(3ULL << 62) | ((run - 1) << 24) | vdev, (uint64_t(t == SmType::kFree) << 63) | off};
}

std::vector<uint8_t> bytes_of(const std::vector<uint64_t>& words, bool little) {
  std::vector<uint8_t> out(words.size() * 8);
  for (size_t i = 0; i < words.size(); i++) {
    uint64_t w = little == kHostLittle ? words[i] : bswap(words[i]);
    store<uint64_t>(&out[i * 8], w);
  }
  return out;
}

// Replays words into a set over a 1 MiB region at 4 MiB with 512-byte units.
Result<RangeSet> replay(const std::vector<uint64_t>& words, bool little = true,
                        std::vector<SpaceMapEntry>* seen = nullptr) {
  SpaceMapRegion region{4 << 20, 1 << 20, 9};
  RangeSet set;
  SpaceMapParser p([&](const SpaceMapEntry& e) {
    if (seen) seen->push_back(e);
    return apply_space_map_entry(e, region, &set);
  });
  auto b = bytes_of(words, little);
  FZ_CHECK(p.feed(b, little));
  FZ_CHECK(p.finish());
  return set;
}

TEST(SpaceMap, OneWordEntriesReplayAllocAndFree) {
  std::vector<SpaceMapEntry> seen;
  auto set = replay({debug_word(7, 1), one_word(SmType::kAlloc, 0, 8), one_word(SmType::kAlloc, 16, 4),
                     debug_word(8, 2), one_word(SmType::kFree, 2, 2)},
                    true, &seen);
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_EQ(set->bytes(), (8 + 4 - 2) * 512u);
  EXPECT_EQ(set->ranges(), 3u);
  EXPECT_TRUE(set->contains((4 << 20) + 16 * 512, 4 * 512));
  EXPECT_FALSE(set->contains((4 << 20) + 2 * 512, 512));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].txg, 7u);
  EXPECT_EQ(seen[2].txg, 8u);
  EXPECT_EQ(seen[2].sync_pass, 2u);
  EXPECT_EQ(seen[2].index, 4u);
  EXPECT_EQ(seen[0].vdev, kSmNoVdev);
}

TEST(SpaceMap, TwoWordEntriesCarryVdevAndLongRuns) {
  auto [a1, a2] = two_words(SmType::kAlloc, 100, 1024, 5);  // a run past the 15-bit limit
  auto [f1, f2] = two_words(SmType::kFree, 100, 24, 5);
  std::vector<SpaceMapEntry> seen;
  for (bool little : {true, false}) {
    seen.clear();
    auto set = replay({debug_word(3, 1), a1, a2, f1, f2}, little, &seen);
    ASSERT_TRUE(set.ok()) << set.error().message();
    EXPECT_EQ(set->bytes(), 1000u * 512);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].vdev, 5u);
    EXPECT_EQ(seen[0].run, 1024u);
    EXPECT_EQ(seen[1].type, SmType::kFree);
    EXPECT_EQ(seen[1].index, 3u);
  }
}

TEST(SpaceMap, PaddingDebugWordKeepsTxg) {
  std::vector<SpaceMapEntry> seen;
  auto set = replay({debug_word(9, 1), one_word(SmType::kAlloc, 0, 1), 2ULL << 62, one_word(SmType::kAlloc, 1, 1)},
                    true, &seen);
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].txg, 9u);
  EXPECT_EQ(set->ranges(), 1u);  // adjacent allocations merge
}

TEST(SpaceMap, BlockwiseReadHonoursLengthAndRejectsStraddlingEntries) {
  auto [a1, a2] = two_words(SmType::kAlloc, 0, 2, 0);
  // Block size 16 bytes (2 words): an entry that starts in one block and ends in the next.
  std::vector<uint64_t> words = {debug_word(1, 1), a1, a2, one_word(SmType::kAlloc, 9, 1)};
  auto data = bytes_of(words, true);
  auto reader = [&](uint64_t blkid, std::vector<uint8_t>* out, bool* little) -> Status {
    if ((blkid + 1) * 16 > data.size()) return make_error(EIO, "no block {}", blkid);
    out->assign(data.begin() + blkid * 16, data.begin() + (blkid + 1) * 16);
    *little = true;
    return Status::Ok();
  };
  int n = 0;
  Status s = read_space_map(32, 16, reader, [&](const SpaceMapEntry&) { n++; return Status::Ok(); });
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("two-word"), std::string::npos) << s.error().message();
  // Read in one 32-byte block, the same words are fine; a length of 8 stops after the debug word.
  EXPECT_TRUE(read_space_map(32, 32, [&](uint64_t b, std::vector<uint8_t>* o, bool* l) {
    if (b != 0) return Status(make_error(EIO, "past end"));
    *o = data;
    *l = true;
    return Status::Ok();
  }, [&](const SpaceMapEntry&) { n++; return Status::Ok(); }).ok());
  EXPECT_EQ(n, 2);
  EXPECT_FALSE(read_space_map(12, 16, reader, [](const SpaceMapEntry&) { return Status::Ok(); }).ok());
}

TEST(SpaceMap, HostileEntriesFail) {
  // Outside the 2048-unit region.
  EXPECT_FALSE(replay({one_word(SmType::kAlloc, 2047, 2)}).ok());
  auto [b1, b2] = two_words(SmType::kAlloc, (1ULL << 63) - 1, 1ULL << 36, 0);
  EXPECT_FALSE(replay({b1, b2}).ok());  // offset near 2^63, huge run: no overflow, an error
  // Double allocation and a free of free space.
  auto dup = replay({one_word(SmType::kAlloc, 0, 4), one_word(SmType::kAlloc, 3, 1)});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message().find("word 1"), std::string::npos) << dup.error().message();
  EXPECT_FALSE(replay({one_word(SmType::kAlloc, 0, 4), one_word(SmType::kFree, 2, 4)}).ok());
  // A log ending in the middle of a two-word entry.
  EXPECT_FALSE(replay({b1}).ok());
  // Not whole words.
  SpaceMapParser p([](const SpaceMapEntry&) { return Status::Ok(); });
  uint8_t odd[5] = {};
  EXPECT_FALSE(p.feed(odd, true).ok());
}

TEST(SpaceMap, PhysDecodesBothSizes) {
  std::vector<uint8_t> b(24 + 40 + 32 * 8);
  store<uint64_t>(&b[8], 4096);
  store<uint64_t>(&b[16], uint64_t(-512));
  store<uint64_t>(&b[64 + 8], 3);
  auto full = SpaceMapPhys::decode(b, kHostLittle);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->length, 4096u);
  EXPECT_EQ(full->alloc, -512);
  ASSERT_EQ(full->histogram.size(), 32u);
  EXPECT_EQ(full->histogram[1], 3u);
  auto old = SpaceMapPhys::decode(std::span(b).first(24), kHostLittle);
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old->histogram.empty());
  EXPECT_FALSE(SpaceMapPhys::decode(std::span(b).first(16), kHostLittle).ok());
}

TEST(RangeSet, AddRemoveOverlap) {
  RangeSet s;
  EXPECT_EQ(s.add(10, 10), 0u);
  EXPECT_EQ(s.add(30, 10), 0u);
  EXPECT_EQ(s.add(15, 20), 10u);  // overlaps [15,20) and [30,35)
  EXPECT_EQ(s.ranges(), 1u);
  EXPECT_EQ(s.bytes(), 30u);
  EXPECT_EQ(s.remove(12, 4), 4u);
  EXPECT_EQ(s.ranges(), 2u);
  EXPECT_EQ(s.bytes(), 26u);
  EXPECT_EQ(s.overlap(0, 100), 26u);
  EXPECT_EQ(s.remove(0, 11), 1u);
  EXPECT_EQ(s.remove(35, 100), 5u);
  EXPECT_EQ(s.bytes(), 20u);
  EXPECT_EQ(s.add(UINT64_MAX - 5, 100), 0u);  // clamped at the end of the address space
  EXPECT_EQ(s.bytes(), 25u);
}

}  // namespace
}  // namespace fzfs
