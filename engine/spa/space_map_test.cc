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

// ---- Writer ----

SpaceMapRegion kRegion{4 << 20, 1 << 20, 9};  // as replay() uses

TEST(SpaceMapWriter, DebugEntryOpensEachBatchAndReplays) {
  SpaceMapWriter w(kRegion, {4096, false}, 0);
  std::vector<SpaceMapRange> ranges = {{SmType::kAlloc, (4 << 20) + 1024, 4096}, {SmType::kAlloc, (4 << 20) + 65536, 512}};
  ASSERT_TRUE(w.append(ranges, 77, 2).ok());
  ASSERT_TRUE(w.append(std::vector<SpaceMapRange>{{SmType::kFree, (4 << 20) + 1024, 1024}}, 78, 1).ok());
  // The words are exactly the format's: debug(ALLOC, pass 2, txg 77), two entries, then
  // debug(FREE, pass 1, txg 78) and one entry.
  const std::vector<uint64_t> want = {(2ULL << 62) | (0ULL << 60) | (2ULL << 50) | 77, one_word(SmType::kAlloc, 2, 8),
                                      one_word(SmType::kAlloc, 128, 1), (2ULL << 62) | (1ULL << 60) | (1ULL << 50) | 78,
                                      one_word(SmType::kFree, 2, 2)};
  EXPECT_EQ(w.words(), want);
  EXPECT_EQ(w.length(), 5u * 8);
  EXPECT_EQ(w.alloc_delta(), 4096 + 512 - 1024);
  std::vector<SpaceMapEntry> seen;
  auto set = replay(w.words(), kHostLittle, &seen);
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_EQ(set->bytes(), 4096u + 512 - 1024);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].txg, 77u);
  EXPECT_EQ(seen[1].sync_pass, 2u);
  EXPECT_EQ(seen[2].txg, 78u);
}

TEST(SpaceMapWriter, LegacyMapsSplitLongRunsIntoOneWordEntries) {
  // 40000 units of 512 bytes in a 64 MiB region: more than one word's 32768.
  SpaceMapRegion region{0, 64 << 20, 9};
  SpaceMapWriter w(region, {4096, false}, 8);
  ASSERT_TRUE(w.append(std::vector<SpaceMapRange>{{SmType::kAlloc, 512 * 10, 512 * 40000}}, 5, 1).ok());
  ASSERT_EQ(w.words().size(), 3u);
  EXPECT_EQ(w.words()[1], one_word(SmType::kAlloc, 10, 32768));
  EXPECT_EQ(w.words()[2], one_word(SmType::kAlloc, 10 + 32768, 40000 - 32768));
  // The same run with spacemap_v2 is one two-word entry, and short runs stay one word.
  SpaceMapWriter v2(region, {4096, true}, 8);
  ASSERT_TRUE(v2.append(std::vector<SpaceMapRange>{{SmType::kAlloc, 512 * 10, 512 * 40000},
                                                   {SmType::kAlloc, 512 * 50000, 512 * 3}}, 5, 1).ok());
  auto [w1, w2] = two_words(SmType::kAlloc, 10, 40000, kSmNoVdev);
  EXPECT_EQ(v2.words(), (std::vector<uint64_t>{v2.words()[0], w1, w2, one_word(SmType::kAlloc, 50000, 3)}));
  SpaceMapRegion big{0, 64ULL << 30, 9};
  SpaceMapWriter huge(big, {4096, true}, 0);  // runs beyond 2^36 units are cut too
  ASSERT_TRUE(huge.append(std::vector<SpaceMapRange>{{SmType::kFree, 0, 64ULL << 30}}, 1, 1).ok());
  EXPECT_EQ(huge.words().size(), 1u + 2);  // 2^27 units fit one two-word entry
}

TEST(SpaceMapWriter, TwoWordEntryNeverStraddlesABlock) {
  SpaceMapRegion region{0, 64 << 20, 9};
  const SpaceMapLayout layout{32, true};  // 4 words per block
  std::vector<uint64_t> log = {space_map_debug_word(SmType::kAlloc, 1, 3), one_word(SmType::kAlloc, 0, 1)};
  // Next word is index 2 (debug), then index 3 is a block's last word: padded.
  SpaceMapWriter w(region, layout, log.size() * 8);
  ASSERT_TRUE(w.append(std::vector<SpaceMapRange>{{SmType::kAlloc, 512 * 100, 512 * 40000}}, 4, 1).ok());
  auto [w1, w2] = two_words(SmType::kAlloc, 100, 40000, kSmNoVdev);
  EXPECT_EQ(w.words(), (std::vector<uint64_t>{space_map_debug_word(SmType::kAlloc, 1, 4), 2ULL << 62, w1, w2}));
  log.insert(log.end(), w.words().begin(), w.words().end());
  // The log reads back block by block without a straddling entry.
  auto data = bytes_of(log, true);
  RangeSet set;
  Status s = read_space_map(data.size(), 32, [&](uint64_t blkid, std::vector<uint8_t>* out, bool* little) {
    out->assign(data.begin() + blkid * 32, data.begin() + std::min<size_t>(data.size(), (blkid + 1) * 32));
    *little = true;
    return Status::Ok();
  }, [&](const SpaceMapEntry& e) { return apply_space_map_entry(e, region, &set); });
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(set.bytes(), 512u * 40001);
  // Starting one word later, no padding is needed.
  SpaceMapWriter w3(region, layout, 8);
  ASSERT_TRUE(w3.append(std::vector<SpaceMapRange>{{SmType::kAlloc, 512 * 100, 512 * 40000}}, 4, 1).ok());
  EXPECT_EQ(w3.words().size(), 3u);
}

TEST(SpaceMapWriter, RefusesRangesItCannotEncode) {
  SpaceMapWriter w(kRegion, {4096, false}, 0);
  using V = std::vector<SpaceMapRange>;
  EXPECT_FALSE(w.append(V{{SmType::kAlloc, (4 << 20) + 100, 512}}, 1, 1).ok());  // unaligned
  EXPECT_FALSE(w.append(V{{SmType::kAlloc, (4 << 20), 0}}, 1, 1).ok());          // empty
  EXPECT_FALSE(w.append(V{{SmType::kAlloc, (5 << 20) - 512, 1024}}, 1, 1).ok()); // past the end
  EXPECT_FALSE(w.append(V{{SmType::kAlloc, 0, 512}}, 1, 1).ok());                // before the start
  EXPECT_FALSE(w.append(V{{SmType::kAlloc, 4 << 20, 512}, {SmType::kAlloc, 1, 512}}, 1, 1).ok());
  EXPECT_TRUE(w.words().empty());  // nothing of a refused batch is written
  SpaceMapWriter tiny(kRegion, {8, true}, 0);
  EXPECT_FALSE(tiny.append(V{{SmType::kAlloc, 4 << 20, 512}}, 1, 1).ok());
}

TEST(SpaceMapWriter, CondensedMapReplaysToTheSameSet) {
  // A long log of churn, replayed, condensed, replayed again.
  std::vector<uint64_t> log;
  RangeSet model;
  uint32_t x = 12345;
  for (int txg = 1; txg < 1000; txg++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    const uint64_t off = (x % 2000) * 512 + (4 << 20), len = (1 + x % 40) * 512;
    SpaceMapRange r{model.overlap(off, len) == len ? SmType::kFree : SmType::kAlloc, off, len};
    if (r.type == SmType::kAlloc && model.overlap(off, len) != 0) continue;
    if (r.type == SmType::kAlloc) model.add(off, len); else model.remove(off, len);
    SpaceMapWriter w(kRegion, {4096, false}, log.size() * 8);
    ASSERT_TRUE(w.append(std::vector<SpaceMapRange>{r}, txg, 1).ok());
    log.insert(log.end(), w.words().begin(), w.words().end());
  }
  auto before = replay(log);
  ASSERT_TRUE(before.ok()) << before.error().message();
  auto condensed = encode_condensed_space_map(*before, kRegion, {4096, false}, 1000, 1);
  ASSERT_TRUE(condensed.ok());
  auto after = replay(*condensed);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->bytes(), model.bytes());
  EXPECT_EQ(after->ranges(), model.ranges());
  EXPECT_EQ(condensed->size(), 1 + model.ranges());  // one debug word, one entry per range
  EXPECT_TRUE(should_condense_space_map(log.size() * 8, condensed->size() * 8, 128, 9));
  EXPECT_LT(log.size() * 8, 4u * 4096) << "the log should stay under four 4K blocks";
  EXPECT_FALSE(should_condense_space_map(log.size() * 8, condensed->size() * 8, 4096, 9));  // under 4 blocks
  EXPECT_FALSE(should_condense_space_map(1 << 20, (1 << 19) + 8, 4096, 9));  // not twice its minimum
  auto empty = encode_condensed_space_map(RangeSet(), kRegion, {4096, false}, 200, 1);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
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
