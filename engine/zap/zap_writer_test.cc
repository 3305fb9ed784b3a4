// ZAP writer tests: random workloads checked against a std::map model, re-read with the
// independent ZapReader and with a structure checker written here from the format
// (zap.h); micro ZAP growth and upgrade; real zfs-fuse blocks modified in both byte
// orders; forced hash collisions; and damaged blocks.
#include "engine/zap/zap_writer.h"

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <bitset>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "engine/checksum/checksum.h"
#include "engine/util/byteorder.h"
#include "engine/zap/memory_object.h"
#include "engine/zap/zap.h"
#include "engine/zap/zap_byteorder.h"
#include "engine/zap/zap_hash.h"
#include "engine/zap/zap_layout.h"

namespace fzfs {
namespace {

using namespace zap_layout;
using Model = std::map<std::string, ZapValue>;

// ---- checks against the reader and the format -----------------------------------------

void expect_reads_as(const MemoryObject& obj, const Model& model, bool lookups = true) {
  auto r = ZapReader::open(obj);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->count(), model.size());
  auto all = r->list_all();
  ASSERT_TRUE(all.ok()) << all.error().message();
  ASSERT_EQ(all->size(), model.size());
  Model seen;
  uint64_t last_hash = 0;
  for (const ZapEntry& e : *all) {
    EXPECT_GE(e.hash, last_hash) << "list is not in hash order";
    last_hash = e.hash;
    ZapValue v{e.int_size, e.int_size == 1 ? std::vector<uint64_t>(e.bytes.begin(), e.bytes.end()) : e.ints};
    EXPECT_TRUE(seen.emplace(e.name, v).second) << "listed twice: " << e.name;
  }
  for (const auto& [name, v] : model) {
    auto it = seen.find(name);
    ASSERT_NE(it, seen.end()) << "missing " << name;
    EXPECT_EQ(it->second.int_size, v.int_size) << name;
    EXPECT_EQ(it->second.ints, v.ints) << name;
    if (!lookups) continue;
    auto got = r->lookup(name);
    ASSERT_TRUE(got.ok()) << got.error().message();
    ASSERT_TRUE(got->has_value()) << name;
  }
}

struct FatStats {
  uint64_t leaves = 0;
  uint64_t entries = 0;
  uint64_t shift = 0;
  bool external = false;
};

// Walks a fat ZAP from the raw bytes and checks what ZFS relies on: each leaf owns
// exactly the pointer-table run its prefix names; every entry hashes into its leaf and
// bucket; entry, array and free chunks add up; header counters are right.
FatStats check_fat_structure(const MemoryObject& obj, uint64_t want_entries) {
  FatStats st;
  bool f0 = false;
  auto b0 = *obj.read_block(0, &f0);
  BlockView h(b0, f0);
  EXPECT_EQ(h.u64(0), kBlockHeader);
  EXPECT_EQ(h.u64(kHdrMagic), kZapMagic);
  int bs = std::countr_zero(b0.size());
  uint64_t key_size = (h.u64(kHdrFlags) & kZapFlagUint64Key) ? 8 : 1;
  st.shift = h.u64(kHdrPtrtblShift);
  uint64_t numblks = h.u64(kHdrPtrtblNumblks), tblk = h.u64(kHdrPtrtblBlk);
  st.external = numblks != 0;
  EXPECT_EQ(h.u64(kHdrPtrtblNextblk), 0u);
  uint64_t freeblk = h.u64(kHdrFreeblk);
  EXPECT_GT(freeblk, obj.max_blkid());
  std::vector<uint64_t> table(uint64_t{1} << st.shift);
  for (uint64_t i = 0; i < table.size(); i++) {
    if (numblks == 0) {
      table[i] = h.u64(b0.size() / 2 + 8 * i);
    } else {
      uint64_t per = b0.size() / 8;
      bool f = false;
      auto tb = *obj.read_block(tblk + i / per, &f);
      table[i] = BlockView(tb, f).u64(8 * (i % per));
    }
  }
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> runs;  // leaf -> [first, last]
  for (uint64_t i = 0; i < table.size(); i++) {
    auto [it, fresh] = runs.emplace(table[i], std::make_pair(i, i));
    if (!fresh) {
      EXPECT_EQ(it->second.second + 1, i) << "leaf " << table[i] << " has a split run";
      it->second.second = i;
    }
  }
  st.leaves = runs.size();
  EXPECT_EQ(h.u64(kHdrNumLeafs), st.leaves);
  uint64_t nhash = leaf_hash_entries(bs), nchunks = leaf_num_chunks(bs);
  size_t coff = kLeafHeaderSize + 2 * nhash;
  for (auto& [blk, run] : runs) {
    EXPECT_GT(blk, 0u);
    EXPECT_LT(blk, freeblk);
    bool f = false;
    auto lb = *obj.read_block(blk, &f);
    BlockView l(lb, f);
    EXPECT_EQ(l.u64(0), kBlockLeaf);
    EXPECT_EQ(l.u32(kLeafMagicOff), kLeafMagic);
    uint64_t plen = l.u16(kLeafPrefixLen), prefix = l.u64(kLeafPrefix);
    EXPECT_LE(plen, st.shift);
    EXPECT_EQ(run.first, prefix << (st.shift - plen)) << "leaf " << blk;
    EXPECT_EQ(run.second - run.first + 1, uint64_t{1} << (st.shift - plen)) << "leaf " << blk;
    uint64_t entries = 0, arrays = 0, frees = 0, want_arrays = 0;
    for (uint64_t c = 0; c < nchunks; c++) {
      size_t off = coff + c * kChunkSize;
      uint8_t t = l.u8(off);
      if (t == kChunkEntry) {
        entries++;
        uint64_t hash = l.u64(off + kEntHash);
        EXPECT_EQ(hash_idx(hash, plen), prefix) << "leaf " << blk << " chunk " << c;
        want_arrays += (l.u16(off + kEntNameNumints) * key_size + 20) / 21 +
                       (uint64_t{l.u16(off + kEntValueNumints)} * l.u8(off + kEntIntlen) + 20) / 21;
      } else if (t == kChunkArray) {
        arrays++;
      } else {
        EXPECT_EQ(t, kChunkFree);
        frees++;
      }
    }
    uint64_t chained = 0;
    for (uint64_t bucket = 0; bucket < nhash; bucket++) {
      uint32_t last_cd = 0;
      for (uint16_t c = l.u16(kLeafHeaderSize + 2 * bucket); c != kChainEnd && chained <= nchunks;
           c = l.u16(coff + c * kChunkSize + kEntNext)) {
        uint64_t hash = l.u64(coff + c * kChunkSize + kEntHash);
        EXPECT_EQ((hash >> (64 - (bs - 5) - plen)) & (nhash - 1), bucket);
        uint32_t cd = l.u32(coff + c * kChunkSize + kEntCd);
        EXPECT_GE(cd, last_cd) << "chain not in cd order";
        last_cd = cd;
        chained++;
      }
    }
    uint64_t listed_free = 0;
    for (uint16_t c = l.u16(kLeafFreelist); c != kChainEnd && listed_free <= nchunks;
         c = l.u16(coff + c * kChunkSize + kArrayNext))
      listed_free++;
    EXPECT_EQ(chained, entries) << "leaf " << blk;
    EXPECT_EQ(l.u16(kLeafNentries), entries) << "leaf " << blk;
    EXPECT_EQ(l.u16(kLeafNfree), frees) << "leaf " << blk;
    EXPECT_EQ(listed_free, frees) << "leaf " << blk;
    EXPECT_EQ(arrays, want_arrays) << "leaf " << blk;
    EXPECT_EQ(entries + arrays + frees, nchunks);
    st.entries += entries;
  }
  EXPECT_EQ(st.entries, want_entries);
  EXPECT_EQ(h.u64(kHdrNumEntries), want_entries);
  return st;
}

// ---- names with a chosen hash ---------------------------------------------------------

// The salted CRC is affine in the name's bits (for a fixed length), so flipping chosen
// bits of a base name moves its hash by the XOR of each bit's effect: Gaussian
// elimination over GF(2) picks bits that reach any target hash.
class CollisionMaker {
 public:
  CollisionMaker(uint64_t salt, int hash_bits, uint32_t seed) : salt_(salt), bits_(hash_bits), rng_(seed) {
    base_.assign(kLen, '@');
    uint64_t h0 = hash(base_);
    for (int v = 0; v < kVars; v++) {
      std::string s = base_;
      s[v / 5] ^= static_cast<char>(1 << (v % 5));
      uint64_t vec = hash(s) ^ h0;
      std::bitset<kVars> combo;
      combo.set(v);
      for (auto& [bvec, bcombo] : basis_) {
        if (vec & top(bvec)) {
          vec ^= bvec;
          combo ^= bcombo;
        }
      }
      if (vec == 0) continue;
      for (auto& [bvec, bcombo] : basis_) {
        if (bvec & top(vec)) {
          bvec ^= vec;
          bcombo ^= combo;
        }
      }
      basis_.push_back({vec, combo});
    }
  }
  // A fresh random name of kLen bytes whose hash is `target`.
  std::string name_with_hash(uint64_t target) {
    std::string s = base_;
    for (int v = 0; v < kVars; v++)
      if (rng_() & 1) s[v / 5] ^= static_cast<char>(1 << (v % 5));
    uint64_t r = hash(s) ^ target;
    std::bitset<kVars> flips;
    for (auto& [bvec, bcombo] : basis_) {
      if (r & top(bvec)) {
        r ^= bvec;
        flips ^= bcombo;
      }
    }
    EXPECT_EQ(r, 0u);
    for (int v = 0; v < kVars; v++)
      if (flips[v]) s[v / 5] ^= static_cast<char>(1 << (v % 5));
    EXPECT_EQ(hash(s), target);
    return s;
  }
  uint64_t hash(const std::string& s) const { return zap_hash_name(salt_, s, bits_); }

 private:
  static constexpr int kLen = 40, kVars = 5 * kLen;
  static uint64_t top(uint64_t v) { return v == 0 ? 0 : uint64_t{1} << (63 - std::countl_zero(v)); }
  uint64_t salt_;
  int bits_;
  std::mt19937 rng_;
  std::string base_;
  std::vector<std::pair<uint64_t, std::bitset<kVars>>> basis_;
};

// ---- helpers ----------------------------------------------------------------------------

std::string random_name(std::mt19937_64& rng, size_t max_len) {
  size_t len = 1 + rng() % max_len;
  std::string s(len, 'x');
  for (char& c : s) c = static_cast<char>(1 + rng() % 255);
  return s;
}

ZapValue random_value(std::mt19937_64& rng, size_t max_bytes = 480) {
  if (rng() % 4 != 0) return ZapValue::u64(rng());
  static constexpr std::array<uint8_t, 4> kSizes = {1, 2, 4, 8};
  uint8_t size = kSizes[rng() % 4];
  std::vector<uint64_t> ints(1 + rng() % (max_bytes / size));
  for (auto& x : ints) x = size == 8 ? rng() : rng() & ((uint64_t{1} << (8 * size)) - 1);
  return ZapValue::array(size, ints);
}

std::vector<ZapEntry> list_entries(const MemoryObject& obj) {
  auto r = ZapReader::open(obj);
  EXPECT_TRUE(r.ok()) << r.error().message();
  if (!r.ok()) return {};
  auto all = r->list_all();
  EXPECT_TRUE(all.ok()) << all.error().message();
  return all.ok() ? std::move(*all) : std::vector<ZapEntry>();
}

void must(const Status& s) { ASSERT_TRUE(s.ok()) << s.error().message(); }

int code_of(const Status& s) { return s.ok() ? 0 : s.error().code(); }

// ---- micro ZAP ----------------------------------------------------------------------------

TEST(ZapWriterMicro, CreateIsOne512ByteBlock) {
  MemoryObject obj(4096);
  auto w = ZapWriter::create(obj, {.salt = 0x1234567});
  ASSERT_TRUE(w.ok()) << w.error().message();
  EXPECT_EQ(obj.block_size(), 512u);
  auto r = ZapReader::open(obj);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_micro());
  EXPECT_EQ(r->salt(), 0x1234567u);
  EXPECT_EQ(r->count(), 0u);
  auto rnd = ZapWriter::create(obj);
  ASSERT_TRUE(rnd.ok());
  EXPECT_EQ(ZapReader::open(obj)->salt() & 1, 1u) << "random salts are odd, as ZFS makes them";
}

TEST(ZapWriterMicro, GrowsBy512ThenUpgradesPast128K) {
  MemoryObject obj;
  auto w = *ZapWriter::create(obj, {.salt = 0xabcdef1});
  Model model;
  std::map<std::string, std::pair<uint64_t, uint32_t>> micro_hash_cd;
  const uint64_t max_slots = 128 * 1024 / 64 - 1;  // 2047
  for (uint64_t n = 1; n <= max_slots; n++) {
    std::string name = "file-" + std::to_string(n * 7919);
    must(w.add(name, n));
    model[name] = ZapValue::u64(n);
    uint64_t want = n <= 7 ? 512 : 512 + 512 * ((n - 7 + 7) / 8);
    ASSERT_EQ(obj.block_size(), want) << n;
    if (n % 500 == 0) expect_reads_as(obj, model, false);
  }
  expect_reads_as(obj, model);
  for (const ZapEntry& e : list_entries(obj)) micro_hash_cd[e.name] = {e.hash, e.cd};
  // Updating an existing name of a full micro ZAP still makes room first, as ZFS does.
  must(w.update("file-7919", 99));
  model["file-7919"] = ZapValue::u64(99);
  EXPECT_FALSE(*w.is_micro());
  EXPECT_EQ(obj.block_size(), 16384u);
  expect_reads_as(obj, model);
  FatStats st = check_fat_structure(obj, model.size());
  EXPECT_GT(st.leaves, 1u);
  for (const ZapEntry& e : list_entries(obj))
    EXPECT_EQ(micro_hash_cd[e.name], std::make_pair(e.hash, e.cd)) << e.name;
}

TEST(ZapWriterMicro, UpgradesForLongNamesAndArrays) {
  for (int why = 0; why < 3; why++) {
    MemoryObject obj;
    auto w = *ZapWriter::create(obj, {.salt = 77});
    must(w.add("a", 1));
    must(w.add(std::string(49, 'n'), 2));  // the longest name a micro ZAP holds
    EXPECT_TRUE(*w.is_micro());
    Model model{{"a", ZapValue::u64(1)}, {std::string(49, 'n'), ZapValue::u64(2)}};
    if (why == 0) {
      must(w.add(std::string(50, 'l'), 3));
      model[std::string(50, 'l')] = ZapValue::u64(3);
    } else if (why == 1) {
      ZapValue v = ZapValue::array(2, {1, 2, 3});
      must(w.update(ZapKey::of_name("arr"), v));
      model["arr"] = v;
    } else {
      ZapValue v = ZapValue::array(8, {5, 6});
      EXPECT_EQ(code_of(w.add(ZapKey::of_name("a"), v)), EEXIST);  // upgraded, then refused
    }
    EXPECT_FALSE(*w.is_micro());
    EXPECT_EQ(obj.block_size(), 16384u);
    expect_reads_as(obj, model);
    check_fat_structure(obj, model.size());
  }
}

TEST(ZapWriterMicro, EqualHashesTakeLowestFreeCd) {
  const uint64_t salt = 0x5eed5eed5eed1;
  CollisionMaker cm(salt, 28, 1);
  uint64_t target = zap_hash_name(salt, "anything", 28);
  MemoryObject obj;
  auto w = *ZapWriter::create(obj, {.salt = salt});
  std::vector<std::string> names;
  for (int i = 0; i < 6; i++) names.push_back(cm.name_with_hash(target));
  for (size_t i = 0; i < names.size(); i++) must(w.add(names[i], i));
  must(w.remove(names[2]));
  must(w.add("other", 9));
  std::string again = cm.name_with_hash(target);
  must(w.add(again, 42));
  std::map<std::string, uint32_t> cds;
  for (const ZapEntry& e : list_entries(obj)) cds[e.name] = e.cd;
  for (size_t i = 0; i < names.size(); i++)
    if (i != 2) {
      EXPECT_EQ(cds[names[i]], i);
    }
  EXPECT_EQ(cds[again], 2u);
  // After the upgrade the same cds are kept in the fat leaf.
  must(w.add(std::string(60, 'z'), 1));
  std::map<std::string, uint32_t> fat_cds;
  for (const ZapEntry& e : list_entries(obj)) fat_cds[e.name] = e.cd;
  for (auto& [n, cd] : cds) EXPECT_EQ(fat_cds[n], cd) << n;
}

// ---- random workloads ---------------------------------------------------------------------

struct WorkloadParam {
  const char* label;
  ZapCreateOptions opts;
  size_t max_name;
  size_t max_value_bytes;
  int ops;
  bool expect_external_table;
};

class ZapWriterWorkload : public ::testing::TestWithParam<WorkloadParam> {};

TEST_P(ZapWriterWorkload, MatchesModel) {
  const WorkloadParam& p = GetParam();
  MemoryObject obj;
  auto w = ZapWriter::create(obj, p.opts);
  ASSERT_TRUE(w.ok()) << w.error().message();
  std::mt19937_64 rng(42);
  Model model;
  std::vector<std::string> names;
  bool went_fat = !*w->is_micro();
  bool external = false;
  for (int op = 1; op <= p.ops; op++) {
    int kind = rng() % 10;
    if (kind < 6 || names.empty()) {  // add: new, or an existing name (EEXIST)
      std::string name = (rng() % 8 == 0 && !names.empty()) ? names[rng() % names.size()] : random_name(rng, p.max_name);
      ZapValue v = (rng() % 3 == 0) ? random_value(rng, p.max_value_bytes) : ZapValue::u64(rng());
      Status s = w->add(ZapKey::of_name(name), v);
      if (model.count(name)) {
        ASSERT_EQ(code_of(s), EEXIST) << name;
      } else {
        ASSERT_TRUE(s.ok()) << s.error().message();
        model[name] = v;
        names.push_back(name);
      }
    } else if (kind < 8) {  // update: existing or new
      std::string name = rng() % 2 ? names[rng() % names.size()] : random_name(rng, p.max_name);
      ZapValue v = random_value(rng, p.max_value_bytes);
      must(w->update(ZapKey::of_name(name), v));
      if (!model.count(name)) names.push_back(name);
      model[name] = v;
    } else {  // remove: existing or absent
      size_t i = rng() % names.size();
      std::string name = rng() % 6 == 0 ? random_name(rng, p.max_name) : names[i];
      Status s = w->remove(name);
      if (!model.count(name)) {
        ASSERT_EQ(code_of(s), ENOENT);
      } else {
        ASSERT_TRUE(s.ok()) << s.error().message();
        model.erase(name);
        names.erase(std::find(names.begin(), names.end(), name));
      }
    }
    if (op % 2500 == 0 || op == p.ops) {
      SCOPED_TRACE(op);
      ASSERT_EQ(*w->count(), model.size());
      expect_reads_as(obj, model);
      if (!*w->is_micro()) {
        went_fat = true;
        external = check_fat_structure(obj, model.size()).external;
      }
      if (HasFatalFailure() || HasFailure()) return;
    }
  }
  EXPECT_TRUE(went_fat);
  EXPECT_EQ(external, p.expect_external_table);
}

INSTANTIATE_TEST_SUITE_P(
    Zap, ZapWriterWorkload,
    ::testing::Values(WorkloadParam{"micro_then_fat", {.salt = 0x9e3779b97f4a7c15}, 255, 480, 30000, false},
                      WorkloadParam{"fat_hash64", {.flags = kZapFlagHash64, .salt = 3}, 255, 480, 30000, false},
                      WorkloadParam{"fat_4k_blocks", {.fat = true, .salt = 5, .fat_block_shift = 12}, 120, 200,
                                    30000, true},
                      WorkloadParam{"fat_512_blocks", {.fat = true, .salt = 7, .fat_block_shift = 9}, 30, 40, 8000,
                                    true}),
    [](const auto& info) { return std::string(info.param.label); });

TEST(ZapWriterFat, ForcedCollisionsSplitAndKeepCds) {
  // 4 KiB leaves hold about 150 chunks; 25 names of one hash (5 chunks each) share a leaf
  // that must split around them many times as random names fill the ZAP.
  const uint64_t salt = 0x77;
  MemoryObject obj;
  auto w = *ZapWriter::create(obj, {.fat = true, .salt = salt, .fat_block_shift = 12});
  CollisionMaker cm(salt, 28, 7);
  std::mt19937_64 rng(9);
  Model model;
  std::vector<uint64_t> targets = {zap_hash_name(salt, "t1", 28), zap_hash_name(salt, "t2", 28)};
  std::map<std::string, uint32_t> want_cd;
  for (int round = 0; round < 25; round++) {
    for (uint64_t t : targets) {
      std::string n = cm.name_with_hash(t);
      must(w.add(n, round));
      model[n] = ZapValue::u64(round);
      want_cd[n] = round;
    }
    for (int k = 0; k < 200; k++) {
      std::string n = random_name(rng, 60);
      if (model.count(n)) continue;
      must(w.add(n, k));
      model[n] = ZapValue::u64(k);
    }
  }
  expect_reads_as(obj, model);
  check_fat_structure(obj, model.size());
  for (const ZapEntry& e : list_entries(obj))
    if (want_cd.count(e.name)) {
      EXPECT_EQ(e.cd, want_cd[e.name]) << e.name;
    }
}

TEST(ZapWriterFat, TenThousandEntriesTouchFewBlocks) {
  MemoryObject obj;
  auto w = *ZapWriter::create(obj, {.fat = true, .salt = 0xfeed});
  uint64_t max_written = 0;
  for (int i = 0; i < 10000; i++) {
    obj.written.clear();
    must(w.add("some-file-name-" + std::to_string(i), i));
    max_written = std::max<uint64_t>(max_written, obj.written.size());
  }
  // Header + leaf, or a split (header, two leaves, a table block); only the move of the
  // table out of block 0 or a doubling writes a few more.
  EXPECT_LE(max_written, 6u);
  // The work is counted in blocks written, not timed (timings belong in bench/).
  EXPECT_LT(obj.writes, 10000u * 2 + 1000);
  check_fat_structure(obj, 10000);
  obj.written.clear();
  must(w.remove("some-file-name-5000"));
  EXPECT_EQ(obj.written.size(), 2u);
}

TEST(ZapWriterFat, PointerTableMovesOutOfBlock0AndDoubles) {
  // 200-byte names take 12 chunks: about 53 entries per 16 KiB leaf, so 60,000 entries
  // need more leaves than the embedded table's 1024 slots can name.
  MemoryObject obj;
  auto w = *ZapWriter::create(obj, {.fat = true, .salt = 0x1d});
  Model model;
  for (uint64_t i = 0; i < 60000; i++) {
    std::string n = std::to_string(i) + std::string(200, 'd');
    must(w.add(n, i));
    model[n] = ZapValue::u64(i);
  }
  expect_reads_as(obj, model, false);
  FatStats st = check_fat_structure(obj, model.size());
  EXPECT_TRUE(st.external);
  EXPECT_GT(st.shift, 10u);
}

TEST(ZapWriterFat, FinishesTableGrowthLeftUnderWay) {
  // 512-byte blocks: 64 table entries per block, so the table soon spans several blocks.
  MemoryObject obj;
  auto w = *ZapWriter::create(obj, {.fat = true, .salt = 0x2f, .fat_block_shift = 9});
  Model model;
  for (int i = 0; i < 3000; i++) {
    std::string n = "g" + std::to_string(i);
    must(w.add(n, i));
    model[n] = ZapValue::u64(i);
  }
  auto& h = obj.blocks[0];
  uint64_t numblks = load<uint64_t>(&h[kHdrPtrtblNumblks]);
  ASSERT_GE(numblks, 2u);
  // Leave the table as ZFS does after copying the first of its blocks into a doubled one.
  uint64_t blk = load<uint64_t>(&h[kHdrPtrtblBlk]), next = load<uint64_t>(&h[kHdrFreeblk]);
  store<uint64_t>(&h[kHdrFreeblk], next + 2 * numblks);
  store<uint64_t>(&h[kHdrPtrtblNextblk], next);
  store<uint64_t>(&h[kHdrPtrtblBlksCopied], 1);
  for (uint64_t k = 0; k < 2; k++) {
    std::vector<uint8_t> nb(512);
    for (uint64_t i = 0; i < 32; i++) {
      uint64_t v = load<uint64_t>(&obj.blocks[blk][8 * (32 * k + i)]);
      store<uint64_t>(&nb[16 * i], v);
      store<uint64_t>(&nb[16 * i + 8], v);
    }
    obj.blocks[next + k] = nb;
  }
  expect_reads_as(obj, model, false);  // readers use the old table meanwhile
  must(w.add("after", 1));
  model["after"] = ZapValue::u64(1);
  EXPECT_EQ(load<uint64_t>(&obj.blocks[0][kHdrPtrtblBlk]), next);
  EXPECT_EQ(load<uint64_t>(&obj.blocks[0][kHdrPtrtblNumblks]), 2 * numblks);
  expect_reads_as(obj, model);
  check_fat_structure(obj, model.size());
}

TEST(ZapWriterFat, Uint64KeysAndPreHashed) {
  for (uint64_t flags : {kZapFlagUint64Key, kZapFlagUint64Key | kZapFlagPreHashedKey}) {
    MemoryObject obj;
    auto w = *ZapWriter::create(obj, {.flags = flags, .salt = 11});
    EXPECT_FALSE(*w.is_micro());
    std::mt19937_64 rng(3);
    std::map<std::vector<uint64_t>, uint64_t> model;
    for (int i = 0; i < 3000; i++) {
      std::vector<uint64_t> key(1 + rng() % 3);
      for (auto& k : key) k = rng();
      must(w.add(ZapKey::of_words(key), ZapValue::u64(i)));
      model[key] = i;
    }
    EXPECT_EQ(code_of(w.add("name", 1)), EINVAL);
    auto all = list_entries(obj);
    ASSERT_EQ(all.size(), model.size());
    for (const ZapEntry& e : all) EXPECT_EQ(model.at(e.key), e.ints.at(0));
    for (auto& [key, v] : model) {
      auto got = w.lookup(ZapKey::of_words(key));
      ASSERT_TRUE(got.ok() && got->has_value());
      EXPECT_EQ((*got)->ints.at(0), v);
    }
    check_fat_structure(obj, model.size());
  }
}

TEST(ZapWriterFat, RejectsWhatZfsRejects) {
  MemoryObject obj;
  auto w = *ZapWriter::create(obj, {.fat = true, .salt = 1});
  EXPECT_EQ(code_of(w.add(std::string(256, 'x'), 1)), ENAMETOOLONG);
  must(w.add(std::string(255, 'x'), 1));
  EXPECT_EQ(code_of(w.add(ZapKey::of_name("big"), ZapValue::array(8, std::vector<uint64_t>(1025)))), E2BIG);
  EXPECT_EQ(code_of(w.add(ZapKey::of_name("bad"), ZapValue::array(3, {1}))), EINVAL);
  EXPECT_EQ(code_of(w.add("", 1)), EINVAL);
  EXPECT_EQ(code_of(w.remove("nope")), ENOENT);
  // 8 KiB of value fits a 16 KiB leaf.
  must(w.add(ZapKey::of_name("max"), ZapValue::array(8, std::vector<uint64_t>(1024, 7))));
  expect_reads_as(obj, {{std::string(255, 'x'), ZapValue::u64(1)},
                        {"max", ZapValue::array(8, std::vector<uint64_t>(1024, 7))}});
}

// ---- real blocks --------------------------------------------------------------------------

std::vector<uint8_t> read_file(const std::string& name) {
  std::ifstream f(std::string(FZFS_ZAP_TESTDATA) + "/" + name, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

Model read_listing(const std::string& name) {
  std::ifstream f(std::string(FZFS_ZAP_TESTDATA) + "/" + name);
  Model out;
  std::string line;
  while (std::getline(f, line)) {
    auto tab = line.find('\t');
    out[line.substr(tab + 1)] = ZapValue::u64(std::stoull(line.substr(0, tab), nullptr, 16));
  }
  return out;
}

TEST(ZapWriterReal, ZfsFuseMicroZapModified) {
  for (bool foreign : {false, true}) {
    SCOPED_TRACE(foreign);
    auto block = read_file("zf_micro_obj15.bin");
    ASSERT_EQ(block.size(), 96256u);
    MemoryObject obj(block.size());
    if (foreign) {
      micro_block_to_host(block);  // the same bytes as a host of the other order writes them
      obj.foreign.insert(0);
    }
    obj.blocks[0] = block;
    Model model = read_listing("zf_micro_obj15.txt");
    expect_reads_as(obj, model, false);
    auto w = ZapWriter::open(obj);
    ASSERT_TRUE(w.ok()) << w.error().message();
    must(w->remove("entry-01321-580773"));
    model.erase("entry-01321-580773");
    must(w->update("entry-00775-325970", 5));
    model["entry-00775-325970"] = ZapValue::u64(5);
    EXPECT_TRUE(obj.foreign.empty()) << "rewritten in host order";
    for (int i = 0; obj.block_size() == 96256; i++) {
      std::string n = "new-" + std::to_string(i);
      must(w->add(n, i));
      model[n] = ZapValue::u64(i);
    }
    EXPECT_EQ(obj.block_size(), 96256u + 512);
    expect_reads_as(obj, model);
    must(w->add(std::string(80, 'L'), 1));  // upgrade
    model[std::string(80, 'L')] = ZapValue::u64(1);
    expect_reads_as(obj, model);
    check_fat_structure(obj, model.size());
  }
}

TEST(ZapWriterReal, ZfsFuseFatZapModified) {
  for (bool foreign : {false, true}) {
    SCOPED_TRACE(foreign);
    MemoryObject obj(16384);
    obj.blocks[0] = read_file("zf_fat_obj1541_blk0.bin");
    obj.blocks[1] = read_file("zf_fat_obj1541_blk1.bin");
    if (foreign) {
      word_block_to_host(obj.blocks[0]);
      must(leaf_block_to_host(obj.blocks[1], 14, 0, 1));
      obj.foreign = {0, 1};
    }
    Model model = read_listing("zf_fat_obj1541.txt");
    expect_reads_as(obj, model);
    auto w = ZapWriter::open(obj);
    ASSERT_TRUE(w.ok()) << w.error().message();
    std::mt19937_64 rng(5);
    for (int i = 0; i < 6000; i++) {
      std::string n = random_name(rng, 100);
      if (model.count(n)) continue;
      must(w->add(n, i));
      model[n] = ZapValue::u64(i);
    }
    must(w->remove(".hidden"));
    model.erase(".hidden");
    must(w->update("sp ace", 1));
    model["sp ace"] = ZapValue::u64(1);
    EXPECT_TRUE(obj.foreign.empty());
    expect_reads_as(obj, model);
    check_fat_structure(obj, model.size());
  }
}

TEST(ZapWriterReal, ReplayOfZfsFuseDirectoryIsByteExact) {
  // /names was a fresh directory (salt from zfs-fuse) where zfs-fuse created, in object
  // number order: "sp ace", the unicode name, the 255-byte name (which upgraded the
  // micro ZAP) and ".hidden". Replaying that must produce zfs-fuse's two blocks exactly.
  MemoryObject obj;
  auto w = *ZapWriter::create(obj, {.salt = 0xa89c3b});
  Model want = read_listing("zf_fat_obj1541.txt");
  std::vector<std::pair<uint64_t, std::string>> order;
  for (auto& [name, v] : want) order.push_back({v.ints[0], name});
  std::sort(order.begin(), order.end());
  for (auto& [v, name] : order) must(w.add(name, v));
  ASSERT_EQ(obj.blocks.size(), 2u);
  auto blk0 = read_file("zf_fat_obj1541_blk0.bin"), blk1 = read_file("zf_fat_obj1541_blk1.bin");
  for (size_t i = 0; i < blk0.size(); i++) ASSERT_EQ(obj.blocks[0][i], blk0[i]) << "header byte " << i;
  for (size_t i = 0; i < blk1.size(); i++) ASSERT_EQ(obj.blocks[1][i], blk1[i]) << "leaf byte " << i;
}

TEST(ZapWriterReal, ReplayOfZfsFuseMicroZapIsByteExact) {
  // /bigdir's files entry-00010.. have consecutive object numbers 26..; entry-00000..09
  // (objects 16..25, whose names we do not know) were created first and removed. Adding
  // all in object order to a micro ZAP with zfs-fuse's salt, then removing the first ten,
  // must rebuild its 96256-byte block (1500 entries needed 188 steps of 512 bytes).
  auto real = read_file("zf_micro_obj15.bin");
  MemoryObject obj;
  auto w = *ZapWriter::create(obj, {.salt = load<uint64_t>(&real[8])});
  std::vector<std::pair<uint64_t, std::string>> order;
  for (auto& [name, v] : read_listing("zf_micro_obj15.txt")) order.push_back({v.ints[0], name});
  std::sort(order.begin(), order.end());
  for (int i = 0; i < 10; i++) must(w.add("removed-" + std::to_string(i), 16 + i));
  for (auto& [v, name] : order) must(w.add(name, v));
  for (int i = 0; i < 10; i++) must(w.remove("removed-" + std::to_string(i)));
  ASSERT_EQ(obj.block_size(), real.size());
  for (size_t i = 0; i < real.size(); i++) ASSERT_EQ(obj.blocks[0][i], real[i]) << "byte " << i;
}

// Big-endian blocks from OpenZFS on ppc64 (testdata/README.md): the SA registration (a
// micro ZAP, one u64 per attribute) and the SA layouts (a fat ZAP holding one array of
// 2-byte attribute numbers).
MemoryObject load_be_object(const std::vector<std::string>& files, uint64_t bsize) {
  MemoryObject obj(bsize);
  for (size_t b = 0; b < files.size(); b++) {
    obj.blocks[b] = read_file(files[b]);
    if (kHostLittle) obj.foreign.insert(b);  // else: written in our own order
  }
  return obj;
}

Model model_of(const MemoryObject& obj) {
  Model m;
  for (const ZapEntry& e : list_entries(obj))
    m[e.name] = ZapValue{e.int_size, e.int_size == 1 ? std::vector<uint64_t>(e.bytes.begin(), e.bytes.end()) : e.ints};
  return m;
}

// Our host-order block as the big-endian host would have written it.
enum class Kind { kMicro, kWords, kLeaf };
std::vector<uint8_t> as_big_endian(std::vector<uint8_t> block, Kind kind) {
  if (!kHostLittle) return block;
  switch (kind) {
    case Kind::kMicro: micro_block_to_host(block); break;
    case Kind::kWords: word_block_to_host(block); break;
    case Kind::kLeaf: {
      Status s = leaf_block_to_host(block, 14, 0, 0);
      EXPECT_TRUE(s.ok());
      break;
    }
  }
  return block;
}

TEST(ZapWriterReal, BigEndianMicroZapModified) {
  MemoryObject obj = load_be_object({"ozfs_be_micro_obj35.bin"}, 1536);
  Model model = model_of(obj);
  ASSERT_EQ(model.size(), 22u);
  EXPECT_EQ(model["ZPL_MODE"].ints, std::vector<uint64_t>{0x8000005});
  auto w = ZapWriter::open(obj);
  ASSERT_TRUE(w.ok()) << w.error().message();
  must(w->update("ZPL_MODE", 0x8000099));
  model["ZPL_MODE"] = ZapValue::u64(0x8000099);
  EXPECT_TRUE(obj.foreign.empty());
  must(w->remove("ZPL_PAD"));
  model.erase("ZPL_PAD");
  for (int i = 0; i < 40; i++) {
    std::string n = "ATTR_" + std::to_string(i);
    must(w->add(n, i));
    model[n] = ZapValue::u64(i);
  }
  expect_reads_as(obj, model);
  must(w->add(ZapKey::of_name("LIST"), ZapValue::array(4, {1, 2, 3})));  // upgrade
  model["LIST"] = ZapValue::array(4, {1, 2, 3});
  expect_reads_as(obj, model);
  check_fat_structure(obj, model.size());
}

TEST(ZapWriterReal, BigEndianFatZapModified) {
  MemoryObject obj = load_be_object({"ozfs_be_fat_obj36_blk0.bin", "ozfs_be_fat_obj36_blk1.bin"}, 16384);
  Model model = model_of(obj);
  ASSERT_EQ(model.size(), 1u);
  EXPECT_EQ(model["2"].int_size, 2u);
  auto w = ZapWriter::open(obj);
  ASSERT_TRUE(w.ok()) << w.error().message();
  std::mt19937_64 rng(17);
  for (int i = 3; i < 3000; i++) {
    ZapValue v = ZapValue::array(2, {uint64_t(i), 5, 6, uint64_t(rng() & 0xffff)});
    must(w->update(ZapKey::of_name(std::to_string(i)), v));
    model[std::to_string(i)] = v;
  }
  must(w->remove("2"));
  model.erase("2");
  EXPECT_TRUE(obj.foreign.empty());
  expect_reads_as(obj, model);
  check_fat_structure(obj, model.size());
}

TEST(ZapWriterReal, ReplayOfOpenZfsSaObjectsIsByteExact) {
  // The SA registration: 22 attributes registered in attribute-number order.
  MemoryObject real_micro = load_be_object({"ozfs_be_micro_obj35.bin"}, 1536);
  auto real_entries = list_entries(real_micro);
  std::sort(real_entries.begin(), real_entries.end(),
            [](const ZapEntry& a, const ZapEntry& b) { return (a.ints[0] & 0xffff) < (b.ints[0] & 0xffff); });
  MemoryObject micro;
  auto wm = *ZapWriter::create(micro, {.salt = ZapReader::open(real_micro)->salt()});
  for (const ZapEntry& e : real_entries) must(wm.update(e.name, e.ints[0]));
  EXPECT_EQ(as_big_endian(micro.blocks[0], Kind::kMicro), read_file("ozfs_be_micro_obj35.bin"));
  // The SA layouts: created micro, upgraded by its first value, an array.
  MemoryObject real_fat = load_be_object({"ozfs_be_fat_obj36_blk0.bin", "ozfs_be_fat_obj36_blk1.bin"}, 16384);
  ZapEntry layout = list_entries(real_fat).at(0);
  MemoryObject fat;
  auto wf = *ZapWriter::create(fat, {.salt = ZapReader::open(real_fat)->salt()});
  must(wf.update(ZapKey::of_name(layout.name), ZapValue::array(2, layout.ints)));
  EXPECT_EQ(as_big_endian(fat.blocks[0], Kind::kWords), read_file("ozfs_be_fat_obj36_blk0.bin"));
  EXPECT_EQ(as_big_endian(fat.blocks[1], Kind::kLeaf), read_file("ozfs_be_fat_obj36_blk1.bin"));
}

// zfs-fuse 0.7.0 built two directories in a fresh version-23 pool (zpool create -o
// version=23; then, through its mount, with Python's os.open/os.unlink):
//   a/: files "%05d-" + "x" * (i*37 % 200) for i in 0..5999 (objects 7+i); then those with
//       i % 7 == 0 removed; then "new-%d-" + "z" * (i % 90) for i in 0..799 (6007+i);
//   b/: files "%06d-" + "y" * 200 for i in 0..59999 (objects 6807+i).
// Every data block of each directory object was read back (decompressed) and hashed.
// Replaying the same operations must give the same blocks: micro-to-fat upgrade, leaf
// splits, chunk reuse after removal, the move of the pointer table out of block 0.
struct ZfsFuseDir {
  uint64_t salt;
  uint64_t blocks;
  const char* sha256;
};

std::string sha256_of_blocks(const MemoryObject& obj) {
  std::vector<uint8_t> all;
  for (uint64_t b = 0; b <= obj.max_blkid(); b++) {
    bool f = false;
    auto blk = *obj.read_block(b, &f);
    all.insert(all.end(), blk.begin(), blk.end());
  }
  Cksum c = sha256(all);
  return fmt::format("{:016x}{:016x}{:016x}{:016x}", c.w[0], c.w[1], c.w[2], c.w[3]);
}

constexpr uint64_t kFileType = uint64_t{8} << 60;  // directory entries carry the file type

TEST(ZapWriterReal, ReplayOfZfsFuseDirectoryWithRemovalsIsByteExact) {
  const ZfsFuseDir want{0x3e391a28b, 113, "1829efe6a370808e1f750c8ae4ebf49c368e6875cde816f5a151f8a34d738976"};
  MemoryObject obj;
  auto w = *ZapWriter::create(obj, {.salt = want.salt});
  auto orig = [](int i) { return fmt::format("{:05d}-", i) + std::string((i * 37) % 200, 'x'); };
  for (int i = 0; i < 6000; i++) must(w.add(orig(i), kFileType | (7 + i)));
  for (int i = 0; i < 6000; i += 7) must(w.remove(orig(i)));
  for (int i = 0; i < 800; i++) must(w.add(fmt::format("new-{}-", i) + std::string(i % 90, 'z'), kFileType | (6007 + i)));
  EXPECT_EQ(obj.max_blkid() + 1, want.blocks);
  EXPECT_EQ(sha256_of_blocks(obj), want.sha256);
}

TEST(ZapWriterReal, ReplayOfZfsFuse60000EntryDirectoryIsByteExact) {
  const ZfsFuseDir want{0x3e391a7bd, 1922, "719cbeecac8835dc644af906783c77120fa35a206930a13a0e04fe9bacc83772"};
  MemoryObject obj;
  auto w = *ZapWriter::create(obj, {.salt = want.salt});
  for (int i = 0; i < 60000; i++) must(w.add(fmt::format("{:06d}-", i) + std::string(200, 'y'), kFileType | (6807 + i)));
  EXPECT_EQ(obj.max_blkid() + 1, want.blocks);
  EXPECT_EQ(sha256_of_blocks(obj), want.sha256);
  EXPECT_TRUE(check_fat_structure(obj, 60000).external);
}

// ---- damaged blocks -----------------------------------------------------------------------

// A valid ZAP, then random bytes changed in random blocks (often in the leaf header and
// hash table, where indices live), sometimes also marked foreign: every operation either
// succeeds or returns an error. Run under ASan/UBSan (FZFS_SANITIZE) to see it is clean.
void damage_and_operate(const MemoryObject& pristine, uint32_t seed, int trials) {
  std::mt19937_64 rng(seed);
  int refused = 0, done = 0;
  for (int trial = 0; trial < trials; trial++) {
    MemoryObject obj = pristine;
    int flips = 1 + rng() % 8;
    for (int k = 0; k < flips; k++) {
      auto it = obj.blocks.begin();
      std::advance(it, rng() % obj.blocks.size());
      size_t span = rng() % 2 ? it->second.size() : std::min<size_t>(it->second.size(), 160);
      it->second[rng() % span] ^= static_cast<uint8_t>(1 + rng() % 255);
    }
    if (rng() % 4 == 0) obj.foreign.insert(rng() % obj.blocks.size());
    auto w = ZapWriter::open(obj);
    if (!w.ok()) {
      refused++;
      continue;
    }
    for (int op = 0; op < 20; op++) {
      std::string n = "n" + std::to_string(rng() % 700);
      int kind = rng() % 4;
      Status s = kind == 0   ? w->update(n, op)
                 : kind == 1 ? w->remove(n)
                 : kind == 2 ? w->add(ZapKey::of_name(n + std::string(rng() % 80, 'q')), ZapValue::array(2, {1, 2}))
                             : w->add(n, op);
      (s.ok() ? done : refused)++;
      (void)w->count();
      (void)w->lookup(ZapKey::of_name(n));
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(done, 0);
}

TEST(ZapWriterHostile, DamagedFatZapNeverCrashes) {
  MemoryObject pristine;
  auto w = *ZapWriter::create(pristine, {.fat = true, .salt = 99, .fat_block_shift = 10});
  for (int i = 0; i < 600; i++) must(w.add("n" + std::to_string(i), i));
  damage_and_operate(pristine, 123, 3000);
}

TEST(ZapWriterHostile, DamagedMicroZapNeverCrashes) {
  MemoryObject pristine;
  auto w = *ZapWriter::create(pristine, {.salt = 98});
  for (int i = 0; i < 30; i++) must(w.add("n" + std::to_string(i), i));
  damage_and_operate(pristine, 321, 3000);
}

TEST(ZapWriterHostile, NotAZap) {
  MemoryObject obj(512);
  EXPECT_EQ(ZapWriter::open(obj).ok(), false);
  obj.blocks[0] = std::vector<uint8_t>(512, 0xAB);
  EXPECT_EQ(ZapWriter::open(obj).ok(), false);
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 2000; trial++) {
    MemoryObject m(512);
    std::vector<uint8_t> b(512);
    for (auto& x : b) x = rng();
    store<uint64_t>(&b[0], trial % 2 ? kBlockMicro : kBlockHeader);
    if (trial % 3 == 0) store<uint64_t>(&b[kHdrMagic], kZapMagic);
    m.blocks[0] = b;
    auto w = ZapWriter::open(m);
    if (!w.ok()) continue;
    (void)w->add("x", 1);
    (void)w->remove("y");
  }
}

}  // namespace
}  // namespace fzfs
