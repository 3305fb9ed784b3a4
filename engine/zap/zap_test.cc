// ZAP reader tests over blocks built by hand from the format (the writer below is
// independent of the reader: it lays out bytes at the documented offsets).
#include "engine/zap/zap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "engine/util/byteorder.h"
#include "engine/zap/zap_hash.h"

namespace fzfs {
namespace {

constexpr uint64_t kObj = 77;
constexpr uint64_t kZbtLeaf = 0x8000000000000000ULL;
constexpr uint64_t kZbtHeader = 0x8000000000000001ULL;
constexpr uint64_t kZbtMicro = 0x8000000000000003ULL;
constexpr uint16_t kEnd = 0xFFFF;

// ---- an in-memory object ----------------------------------------------------------

class MemObject : public ObjectData {
 public:
  MemObject(uint64_t bsize, bool foreign) : bsize_(bsize), foreign_(foreign) {}
  std::vector<std::vector<uint8_t>> blocks;

  uint64_t object() const override { return kObj; }
  uint64_t block_size() const override { return bsize_; }
  uint64_t max_blkid() const override { return blocks.empty() ? 0 : blocks.size() - 1; }
  Result<std::vector<uint8_t>> read_block(uint64_t blkid, bool* foreign) const override {
    *foreign = foreign_;
    if (blkid >= blocks.size()) return std::vector<uint8_t>(bsize_, 0);
    return blocks[blkid];
  }

 private:
  uint64_t bsize_;
  bool foreign_;
};

// ---- a byte-order-aware writer ----------------------------------------------------

struct Writer {
  std::vector<uint8_t>& b;
  bool swap;
  template <typename T>
  void put(size_t off, T v) {
    store<T>(&b[off], swap ? bswap(v) : v);
  }
  void put8(size_t off, uint8_t v) { b[off] = v; }
};

// Reference CRC-64, bit by bit, straight from the definition of a reflected CRC.
uint64_t bitwise_crc64(uint64_t crc, std::string_view s) {
  for (unsigned char c : s) {
    crc ^= c;
    for (int i = 0; i < 8; i++) crc = (crc >> 1) ^ ((crc & 1) ? 0xC96C5795D7870F42ULL : 0);
  }
  return crc;
}
uint64_t ref_hash(uint64_t salt, std::string_view s, int bits = 28) {
  return bitwise_crc64(salt, s) & ~((uint64_t{1} << (64 - bits)) - 1);
}

struct Value {
  int intlen = 8;
  std::vector<uint64_t> ints;
};

std::vector<uint8_t> be_bytes(const Value& v) {
  std::vector<uint8_t> out;
  for (uint64_t x : v.ints)
    for (int k = v.intlen - 1; k >= 0; k--) out.push_back(static_cast<uint8_t>(x >> (8 * k)));
  return out;
}

class LeafWriter {
 public:
  LeafWriter(int bs, uint64_t prefix, uint16_t prefix_len, bool swap)
      : bs_(bs), block(size_t{1} << bs, 0), swap_(swap), prefix_len_(prefix_len) {
    nhash_ = size_t{1} << (bs - 5);
    nchunks_ = ((size_t{1} << bs) - 2 * nhash_) / 24 - 2;
    w().put<uint64_t>(0, kZbtLeaf);
    w().put<uint64_t>(16, prefix);
    w().put<uint32_t>(24, 0x2AB1EAF);
    w().put<uint16_t>(32, prefix_len);
    for (size_t i = 0; i < nhash_; i++) w().put<uint16_t>(48 + 2 * i, kEnd);
    for (size_t i = 0; i < nchunks_; i++) {
      w().put8(off(i), 253);
      w().put<uint16_t>(off(i) + 22, i + 1 == nchunks_ ? kEnd : i + 1);
    }
  }
  size_t off(size_t chunk) const { return 48 + 2 * nhash_ + 24 * chunk; }
  size_t nchunks() const { return nchunks_; }
  size_t bucket(uint64_t h) const { return (h >> (64 - (bs_ - 5) - prefix_len_)) & (nhash_ - 1); }

  uint16_t array(const std::vector<uint8_t>& bytes) {
    uint16_t head = kEnd;
    size_t prev = SIZE_MAX;
    for (size_t pos = 0; pos < bytes.size(); pos += 21) {
      uint16_t c = alloc();
      w().put8(off(c), 251);
      for (size_t i = 0; i < 21 && pos + i < bytes.size(); i++) block[off(c) + 1 + i] = bytes[pos + i];
      w().put<uint16_t>(off(c) + 22, kEnd);
      if (prev == SIZE_MAX) head = c;
      else w().put<uint16_t>(off(prev) + 22, c);
      prev = c;
    }
    return head;
  }
  // Adds an entry at the tail of its bucket's chain; returns its chunk.
  uint16_t add(const std::string& name, uint64_t hash, uint32_t cd, const Value& v) {
    std::vector<uint8_t> nb(name.begin(), name.end());
    nb.push_back(0);
    return add_raw(nb, nb.size(), hash, cd, v);
  }
  // name_numints counts name integers: bytes for string keys, words for uint64 keys.
  uint16_t add_raw(const std::vector<uint8_t>& nb, uint16_t name_numints, uint64_t hash,
                   uint32_t cd, const Value& v) {
    uint16_t e = alloc();
    uint16_t nc = array(nb);
    uint16_t vc = array(be_bytes(v));
    w().put8(off(e), 252);
    w().put8(off(e) + 1, v.intlen);
    w().put<uint16_t>(off(e) + 2, kEnd);
    w().put<uint16_t>(off(e) + 4, nc);
    w().put<uint16_t>(off(e) + 6, name_numints);
    w().put<uint16_t>(off(e) + 8, vc);
    w().put<uint16_t>(off(e) + 10, v.ints.size());
    w().put<uint32_t>(off(e) + 12, cd);
    w().put<uint64_t>(off(e) + 16, hash);
    size_t slot = 48 + 2 * bucket(hash);
    auto get16 = [&](size_t o) {
      uint16_t x = load<uint16_t>(&block[o]);
      return swap_ ? bswap(x) : x;
    };
    while (get16(slot) != kEnd) slot = off(get16(slot)) + 2;
    w().put<uint16_t>(slot, e);
    nentries_++;
    w().put<uint16_t>(30, nentries_);
    return e;
  }
  // A fresh writer each time: the leaf may have moved since the last one.
  Writer w() { return Writer{block, swap_}; }

  int bs_;
  std::vector<uint8_t> block;

 private:
  uint16_t alloc() {
    if (next_ >= nchunks_) throw std::runtime_error("leaf full");
    return next_++;
  }
  bool swap_;
  uint16_t prefix_len_;
  size_t nhash_ = 0, nchunks_ = 0;
  uint16_t next_ = 0;
  uint16_t nentries_ = 0;
};

struct FatSpec {
  int bs = 12;
  uint64_t salt = 0x5a17ULL << 20 | 0x1234;
  uint64_t flags = 0;
  uint64_t normflags = 0;
  int leaf_bits = 0;       // leaves split on this many top hash bits (2^leaf_bits leaves)
  bool external = false;   // pointer table in its own block instead of block 0
  bool swap = false;
};

struct Built {
  std::unique_ptr<MemObject> obj;
  std::vector<LeafWriter> leaves;  // leaves[i] lives in block 1 + i
};

// Builds a fat ZAP holding entries (name -> value), hashing names with the reference
// hash. Entry hashes may be forced via `hashes`.
Built build_fat(const FatSpec& s, const std::vector<std::pair<std::string, Value>>& entries,
                const std::map<std::string, std::pair<uint64_t, uint32_t>>& forced = {}) {
  Built out;
  size_t size = size_t{1} << s.bs;
  out.obj = std::make_unique<MemObject>(size, s.swap);
  int hbits = (s.flags & 1) ? 48 : 28;
  for (int i = 0; i < (1 << s.leaf_bits); i++)
    out.leaves.emplace_back(s.bs, i, s.leaf_bits, s.swap);
  // ZFS keeps each chain sorted by cd; insert in (hash, cd) order.
  struct Item { std::string name; uint64_t hash; uint32_t cd; Value v; };
  std::vector<Item> items;
  for (auto& [name, v] : entries) {
    auto f = forced.find(name);
    uint64_t h = f != forced.end() ? f->second.first : ref_hash(s.salt, name, hbits);
    uint32_t cd = f != forced.end() ? f->second.second : 0;
    items.push_back({name, h, cd, v});
  }
  std::sort(items.begin(), items.end(), [](auto& a, auto& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.cd < b.cd;
  });
  for (auto& it : items) {
    uint64_t leaf = s.leaf_bits == 0 ? 0 : it.hash >> (64 - s.leaf_bits);
    out.leaves[leaf].add(it.name, it.hash, it.cd, it.v);
  }
  std::vector<uint8_t> hdr(size, 0);
  Writer w{hdr, s.swap};
  w.put<uint64_t>(0, kZbtHeader);
  w.put<uint64_t>(8, 0x2F52AB2ABULL);
  uint64_t nleaves = out.leaves.size();
  uint64_t shift;
  std::vector<uint8_t> table;
  if (!s.external) {
    shift = s.bs - 4;
    for (uint64_t i = 0; i < (uint64_t{1} << shift); i++)
      w.put<uint64_t>(size / 2 + 8 * i, 1 + (i >> (shift - s.leaf_bits)));
  } else {
    shift = s.bs - 3;
    table.assign(size, 0);
    Writer tw{table, s.swap};
    for (uint64_t i = 0; i < (uint64_t{1} << shift); i++)
      tw.put<uint64_t>(8 * i, 1 + (i >> (shift - s.leaf_bits)));
    w.put<uint64_t>(16, 1 + nleaves);  // zt_blk
    w.put<uint64_t>(24, 1);            // zt_numblks
  }
  w.put<uint64_t>(32, shift);
  w.put<uint64_t>(56, 2 + nleaves);  // freeblk
  w.put<uint64_t>(64, nleaves);
  w.put<uint64_t>(72, entries.size());
  w.put<uint64_t>(80, s.salt);
  w.put<uint64_t>(88, s.normflags);
  w.put<uint64_t>(96, s.flags);
  out.obj->blocks.push_back(hdr);
  for (auto& l : out.leaves) out.obj->blocks.push_back(l.block);
  if (s.external) out.obj->blocks.push_back(table);
  return out;
}

void refresh(Built& b) {
  for (size_t i = 0; i < b.leaves.size(); i++) b.obj->blocks[1 + i] = b.leaves[i].block;
}

std::unique_ptr<MemObject> build_micro(size_t size, uint64_t salt, bool swap,
                                       const std::vector<std::tuple<size_t, std::string, uint64_t, uint32_t>>& slots) {
  auto obj = std::make_unique<MemObject>(size, swap);
  std::vector<uint8_t> b(size, 0);
  Writer w{b, swap};
  w.put<uint64_t>(0, kZbtMicro);
  w.put<uint64_t>(8, salt);
  for (auto& [slot, name, value, cd] : slots) {
    size_t off = 64 + 64 * slot;
    w.put<uint64_t>(off, value);
    w.put<uint32_t>(off + 8, cd);
    std::memcpy(&b[off + 14], name.data(), std::min<size_t>(name.size(), 50));
  }
  obj->blocks.push_back(b);
  return obj;
}

Value u64v(uint64_t x) { return Value{8, {x}}; }

// ---- hash ---------------------------------------------------------------------------

TEST(ZapHash, MatchesDefinition) {
  // Values computed independently (Python, bit-at-a-time CRC over the same polynomial).
  EXPECT_EQ(zap_hash_name(0x1234567890abcdefULL, "hello", 28), 0x672f087000000000ULL);
  EXPECT_EQ(zap_hash_name(0x1234567890abcdefULL, "hello", 48), 0x672f087616810000ULL);
  EXPECT_EQ(zap_hash_name(0xdeadbeefcafef00dULL, "ZPL_MODE", 28), 0xa4bcabf000000000ULL);
  EXPECT_EQ(zfs_crc64(1, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("a"), 1)),
            0x9f8169ba49a54b33ULL);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; i++) {
    std::string s(rng() % 300, 0);
    for (char& c : s) c = static_cast<char>(rng());
    uint64_t salt = rng();
    EXPECT_EQ(zap_hash_name(salt, s, 28), ref_hash(salt, s, 28));
    EXPECT_EQ(zap_hash_name(salt, s, 48), ref_hash(salt, s, 48));
  }
  EXPECT_EQ(zap_hash_bits(0), 28);
  EXPECT_EQ(zap_hash_bits(kZapFlagHash64), 48);
}

TEST(ZapHash, Uint64KeyFeedsLittleEndianBytes) {
  uint64_t key[2] = {0x0102030405060708ULL, 42};
  std::string bytes;
  for (uint64_t k : key)
    for (int i = 0; i < 8; i++) bytes.push_back(static_cast<char>(k >> (8 * i)));
  EXPECT_EQ(zap_hash_u64_key(99, key, 48), ref_hash(99, bytes, 48));
}

// ---- micro --------------------------------------------------------------------------

class ZapMicro : public ::testing::TestWithParam<bool> {};

TEST_P(ZapMicro, LookupAndListInHashOrder) {
  bool swap = GetParam();
  std::string longest(49, 'x');
  auto obj = build_micro(1024, 0xabcdef, swap,
                         {{0, "etc", 34, 0}, {3, "usr", 0x8000000000000022ULL, 0},
                          {5, longest, 7, 2}, {14, "a", 1, 0}});
  auto r = ZapReader::open(*obj);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->is_micro());
  EXPECT_EQ(r->count(), 4u);
  EXPECT_EQ(r->salt(), 0xabcdefu);
  auto v = r->lookup_u64("usr");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 0x8000000000000022ULL);
  auto e = r->lookup(longest);
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->ints, std::vector<uint64_t>{7});
  EXPECT_EQ((*e)->cd, 2u);
  EXPECT_EQ((*e)->hash, ref_hash(0xabcdef, longest));
  auto missing = r->lookup_u64("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);

  auto all = r->list_all();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  for (size_t i = 1; i < all->size(); i++) EXPECT_LE((*all)[i - 1].hash, (*all)[i].hash);
  std::vector<std::string> names;
  for (auto& x : *all) names.push_back(x.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "etc", "usr", longest}));
}

TEST_P(ZapMicro, UnterminatedNameIsEio) {
  auto obj = build_micro(512, 1, GetParam(), {{0, std::string(50, 'z'), 1, 0}});
  auto r = ZapReader::open(*obj);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EIO);
  EXPECT_NE(r.error().message().find("zap object 77"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(ByteOrder, ZapMicro, ::testing::Values(false, true));

// ---- fat ----------------------------------------------------------------------------

class ZapFat : public ::testing::TestWithParam<bool> {};

std::vector<std::pair<std::string, Value>> many_entries(int n) {
  std::vector<std::pair<std::string, Value>> v;
  for (int i = 0; i < n; i++) v.push_back({"file-" + std::to_string(i), u64v(1000 + i)});
  return v;
}

void expect_all_found(const ZapReader& r, const std::vector<std::pair<std::string, Value>>& entries) {
  for (auto& [name, val] : entries) {
    auto e = r.lookup(name);
    ASSERT_TRUE(e.ok()) << e.error().message();
    ASSERT_TRUE(e->has_value()) << name;
    EXPECT_EQ((*e)->name, name);
    EXPECT_EQ((*e)->int_size, val.intlen);
    EXPECT_EQ((*e)->num_ints, val.ints.size());
    if (val.intlen == 1) {
      std::vector<uint8_t> want(val.ints.begin(), val.ints.end());
      EXPECT_EQ((*e)->bytes, want) << name;
    } else {
      EXPECT_EQ((*e)->ints, val.ints) << name;
    }
  }
}

void expect_listing(const ZapReader& r, const std::vector<std::pair<std::string, Value>>& entries) {
  auto all = r.list_all();
  ASSERT_TRUE(all.ok()) << all.error().message();
  ASSERT_EQ(all->size(), entries.size());
  for (size_t i = 1; i < all->size(); i++) {
    auto& a = (*all)[i - 1];
    auto& b = (*all)[i];
    EXPECT_TRUE(a.hash < b.hash || (a.hash == b.hash && a.cd < b.cd));
  }
  std::vector<std::string> got, want;
  for (auto& e : *all) got.push_back(e.name);
  for (auto& e : entries) want.push_back(e.first);
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

TEST_P(ZapFat, SingleLeafWithBucketCollisions) {
  FatSpec s;
  s.swap = GetParam();
  // 40 entries over 128 buckets: several buckets hold chains of more than one entry.
  auto entries = many_entries(40);
  auto b = build_fat(s, entries);
  auto r = ZapReader::open(*b.obj);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->is_micro());
  EXPECT_EQ(r->count(), 40u);
  expect_all_found(*r, entries);
  expect_listing(*r, entries);
  auto none = r->lookup("file-40");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_P(ZapFat, MultiLeafEmbeddedAndExternalTables) {
  for (bool external : {false, true}) {
    FatSpec s;
    s.swap = GetParam();
    s.leaf_bits = 2;
    s.external = external;
    auto entries = many_entries(120);
    auto b = build_fat(s, entries);
    auto r = ZapReader::open(*b.obj);
    ASSERT_TRUE(r.ok()) << r.error().message();
    expect_all_found(*r, entries);
    expect_listing(*r, entries);
  }
}

TEST_P(ZapFat, LongNamesWideValuesAndHash64) {
  FatSpec s;
  s.swap = GetParam();
  s.flags = kZapFlagHash64;
  std::string long_name(255, 'n');
  for (size_t i = 0; i < long_name.size(); i++) long_name[i] = 'a' + i % 26;
  std::vector<std::pair<std::string, Value>> entries = {
      {long_name, u64v(0xfedcba9876543210ULL)},
      {"u16s", Value{2, {2, 0x1234, 0xffff, 7, 9, 11, 13, 15, 17, 19, 21, 23}}},
      {"u32s", Value{4, {0xdeadbeef, 1, 0x80000000}}},
      {"string", Value{1, {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', 0}}},
      {"three_u64", Value{8, {1, 0x0102030405060708ULL, ~0ULL}}},
      {"empty", Value{8, {}}},
  };
  auto b = build_fat(s, entries);
  auto r = ZapReader::open(*b.obj);
  ASSERT_TRUE(r.ok()) << r.error().message();
  expect_all_found(*r, entries);
  expect_listing(*r, entries);
  auto one = r->lookup_u64(long_name);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, 0xfedcba9876543210ULL);
  auto many = r->lookup_u64("three_u64");
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().code(), EOVERFLOW);
}

TEST_P(ZapFat, SameHashEntriesDifferByCd) {
  FatSpec s;
  s.swap = GetParam();
  uint64_t h = ref_hash(s.salt, "target");
  // A decoy with target's hash sits first in the chain; lookup must compare names.
  std::vector<std::pair<std::string, Value>> entries = {{"decoy", u64v(1)}, {"target", u64v(2)},
                                                         {"other", u64v(3)}};
  auto b = build_fat(s, entries, {{"decoy", {h, 0}}, {"target", {h, 1}}});
  auto r = ZapReader::open(*b.obj);
  ASSERT_TRUE(r.ok());
  auto t = r->lookup("target");
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->ints[0], 2u);
  EXPECT_EQ((*t)->cd, 1u);
  auto all = r->list_all();
  ASSERT_TRUE(all.ok());
  std::vector<uint32_t> cds;
  for (auto& e : *all)
    if (e.hash == h) cds.push_back(e.cd);
  EXPECT_EQ(cds, (std::vector<uint32_t>{0, 1}));
}

TEST_P(ZapFat, NormalizedZapFallsBackToExactScan) {
  FatSpec s;
  s.swap = GetParam();
  s.normflags = 0x10;
  auto entries = many_entries(10);
  auto b = build_fat(s, entries);
  auto r = ZapReader::open(*b.obj);
  ASSERT_TRUE(r.ok());
  expect_all_found(*r, entries);
}

TEST_P(ZapFat, ListStopsWhenAsked) {
  FatSpec s;
  s.swap = GetParam();
  auto b = build_fat(s, many_entries(30));
  auto r = ZapReader::open(*b.obj);
  ASSERT_TRUE(r.ok());
  int seen = 0;
  ASSERT_TRUE(r->list([&](const ZapEntry&) { return ++seen < 5; }).ok());
  EXPECT_EQ(seen, 5);
}

TEST_P(ZapFat, Uint64KeysAreListedAsWords) {
  FatSpec s;
  s.swap = GetParam();
  s.flags = kZapFlagUint64Key | kZapFlagHash64;
  auto b = build_fat(s, {});
  std::vector<std::vector<uint64_t>> keys = {{1, 2, 3, 4}, {0xfeedfacecafebeefULL}, {7, 7}};
  for (auto& key : keys) {
    std::string le;  // the key as ZFS hashes it: words in little-endian byte order
    std::vector<uint8_t> be;  // the key as the leaf stores it: big-endian words
    for (uint64_t k : key)
      for (int i = 0; i < 8; i++) {
        le.push_back(static_cast<char>(k >> (8 * i)));
        be.push_back(static_cast<uint8_t>(k >> (8 * (7 - i))));
      }
    b.leaves[0].add_raw(be, key.size(), ref_hash(s.salt, le, 48), 0, u64v(key.size()));
  }
  refresh(b);
  auto r = ZapReader::open(*b.obj);
  ASSERT_TRUE(r.ok());
  auto all = r->list_all();
  ASSERT_TRUE(all.ok()) << all.error().message();
  ASSERT_EQ(all->size(), keys.size());
  for (auto& e : *all) {
    EXPECT_TRUE(e.name.empty());
    EXPECT_NE(std::find(keys.begin(), keys.end(), e.key), keys.end());
    EXPECT_EQ(e.ints, std::vector<uint64_t>{e.key.size()});
    EXPECT_EQ(e.hash, zap_hash_u64_key(s.salt, e.key, 48));
  }
  auto byname = r->lookup("x");
  ASSERT_FALSE(byname.ok());
  EXPECT_EQ(byname.error().code(), EINVAL);
}

INSTANTIATE_TEST_SUITE_P(ByteOrder, ZapFat, ::testing::Values(false, true));

// ---- hostile input ------------------------------------------------------------------

class ZapHostile : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    FatSpec s;
    s.swap = GetParam();
    entries = {{"alpha", u64v(1)}, {"beta", u64v(2)}, {std::string(100, 'L'), u64v(3)}};
    b = build_fat(s, entries);
  }
  LeafWriter& leaf() { return b.leaves[0]; }
  // Finds the entry chunk of name in leaf 0 by scanning for its name array.
  uint16_t entry_of(const std::string& name) {
    auto& l = leaf();
    for (uint16_t c = 0; c < l.nchunks(); c++) {
      if (l.block[l.off(c)] != 252) continue;
      uint16_t nc = load<uint16_t>(&l.block[l.off(c) + 4]);
      if (GetParam()) nc = bswap(nc);
      if (std::memcmp(&l.block[l.off(nc) + 1], name.data(), std::min<size_t>(name.size(), 21)) == 0)
        return c;
    }
    throw std::runtime_error("no entry");
  }
  // Every operation must fail with EIO naming the object, and must not crash or hang.
  void expect_eio_everywhere(const std::string& probe) {
    refresh(b);
    auto r = ZapReader::open(*b.obj);
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), EIO);
      return;
    }
    auto all = r->list_all();
    ASSERT_FALSE(all.ok());
    EXPECT_EQ(all.error().code(), EIO);
    EXPECT_NE(all.error().message().find("zap object 77"), std::string::npos) << all.error().message();
    auto e = r->lookup(probe);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().code(), EIO);
  }
  Built b;
  std::vector<std::pair<std::string, Value>> entries;
};

TEST_P(ZapHostile, EntryChainLoop) {
  uint16_t c = entry_of("alpha");
  leaf().w().put<uint16_t>(leaf().off(c) + 2, c);
  expect_eio_everywhere("alpha");
}

TEST_P(ZapHostile, BucketIndexOutOfRange) {
  uint64_t h = ref_hash(FatSpec().salt, "beta");
  leaf().w().put<uint16_t>(48 + 2 * leaf().bucket(h), 60000);
  expect_eio_everywhere("beta");
}

TEST_P(ZapHostile, NameLongerThanItsChain) {
  uint16_t c = entry_of(std::string(100, 'L'));
  leaf().w().put<uint16_t>(leaf().off(c) + 6, 300);
  auto r = ZapReader::open(*(refresh(b), b.obj));
  ASSERT_TRUE(r.ok());
  auto all = r->list_all();
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().code(), EIO);
}

TEST_P(ZapHostile, ValueChainPointsAtEntry) {
  uint16_t c = entry_of("beta");
  leaf().w().put<uint16_t>(leaf().off(c) + 8, c);
  expect_eio_everywhere("beta");
}

TEST_P(ZapHostile, ArrayChainLoopIsBounded) {
  // A value claiming 65535 u64s over a chain that loops on itself.
  uint16_t c = entry_of("alpha");
  uint16_t vc = load<uint16_t>(&leaf().block[leaf().off(c) + 8]);
  if (GetParam()) vc = bswap(vc);
  leaf().w().put<uint16_t>(leaf().off(vc) + 22, vc);
  leaf().w().put<uint16_t>(leaf().off(c) + 10, 0xFFFF);
  expect_eio_everywhere("alpha");
}

TEST_P(ZapHostile, BadIntegerSize) {
  uint16_t c = entry_of("alpha");
  leaf().w().put8(leaf().off(c) + 1, 3);
  expect_eio_everywhere("alpha");
}

TEST_P(ZapHostile, BadLeafMagic) {
  leaf().w().put<uint32_t>(24, 0x12345678);
  expect_eio_everywhere("alpha");
}

TEST_P(ZapHostile, LeafPrefixDoesNotCoverHash) {
  uint64_t h = ref_hash(FatSpec().salt, "alpha");
  leaf().w().put<uint16_t>(32, 3);
  leaf().w().put<uint64_t>(16, (h >> 61) ^ 1);
  refresh(b);
  auto r = ZapReader::open(*b.obj);
  ASSERT_TRUE(r.ok());
  auto e = r->lookup("alpha");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code(), EIO);
}

TEST_P(ZapHostile, PointerTableEntryOutOfRange) {
  Writer w{b.obj->blocks[0], GetParam()};
  size_t size = b.obj->blocks[0].size();
  for (uint64_t i = 0; i < 256; i++) w.put<uint64_t>(size / 2 + 8 * i, i % 2 ? 999 : 0);
  auto r = ZapReader::open(*b.obj);
  ASSERT_TRUE(r.ok());
  auto all = r->list_all();
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().code(), EIO);
  auto e = r->lookup("alpha");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code(), EIO);
}

TEST_P(ZapHostile, AbsurdPointerTableGeometry) {
  Writer w{b.obj->blocks[0], GetParam()};
  w.put<uint64_t>(24, 1ULL << 60);  // zt_numblks
  w.put<uint64_t>(16, 1);
  w.put<uint64_t>(32, 63);
  auto r = ZapReader::open(*b.obj);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EIO);
  w.put<uint64_t>(24, 0);
  w.put<uint64_t>(32, 40);  // embedded table cannot have 2^40 entries
  r = ZapReader::open(*b.obj);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EIO);
}

TEST_P(ZapHostile, NotAZap) {
  Writer w{b.obj->blocks[0], GetParam()};
  w.put<uint64_t>(0, 0x1234);
  auto r = ZapReader::open(*b.obj);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EIO);
  EXPECT_NE(r.error().message().find("zap object 77 block 0"), std::string::npos);
  w.put<uint64_t>(0, kZbtHeader);
  w.put<uint64_t>(8, 0x1111);  // bad magic
  r = ZapReader::open(*b.obj);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EIO);
}

TEST_P(ZapHostile, RandomCorruptionNeverCrashes) {
  std::mt19937_64 rng(GetParam() ? 11 : 12);
  auto pristine = leaf().block;
  for (int round = 0; round < 300; round++) {
    leaf().block = pristine;
    for (int k = 0; k < 1 + round % 8; k++) leaf().block[rng() % pristine.size()] = rng();
    refresh(b);
    auto r = ZapReader::open(*b.obj);
    ASSERT_TRUE(r.ok());
    (void)r->list_all();
    for (auto& [name, v] : entries) (void)r->lookup(name);
  }
}

INSTANTIATE_TEST_SUITE_P(ByteOrder, ZapHostile, ::testing::Values(false, true));

// ---- real blocks written by zfs-fuse (see testdata/README.md) -----------------------

std::vector<uint8_t> read_file(const std::string& name) {
  std::ifstream f(std::string(FZFS_ZAP_TESTDATA) + "/" + name, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

// zdb's listing: (value, name) in its order.
std::vector<std::pair<uint64_t, std::string>> read_listing(const std::string& name) {
  std::ifstream f(std::string(FZFS_ZAP_TESTDATA) + "/" + name);
  std::vector<std::pair<uint64_t, std::string>> out;
  std::string line;
  while (std::getline(f, line)) {
    auto tab = line.find('\t');
    out.push_back({std::stoull(line.substr(0, tab), nullptr, 16), line.substr(tab + 1)});
  }
  return out;
}

void expect_matches_zdb(const ZapReader& r, const std::vector<std::pair<uint64_t, std::string>>& want) {
  EXPECT_EQ(r.count(), want.size());
  auto all = r.list_all();
  ASSERT_TRUE(all.ok()) << all.error().message();
  ASSERT_EQ(all->size(), want.size());
  for (size_t i = 0; i < want.size(); i++) {
    EXPECT_EQ((*all)[i].name, want[i].second) << i;
    EXPECT_EQ((*all)[i].ints, std::vector<uint64_t>{want[i].first}) << i;
    // The stored (fat) or computed (micro) hash is ZFS's hash of the name.
    EXPECT_EQ((*all)[i].hash, zap_hash_name(r.salt(), want[i].second, 28)) << want[i].second;
  }
  for (auto& [value, name] : want) {
    auto v = r.lookup_u64(name);
    ASSERT_TRUE(v.ok()) << name << ": " << v.error().message();
    EXPECT_EQ(*v, value);
  }
}

TEST(ZapRealData, ZfsFuseMicroZap) {
  auto block = read_file("zf_micro_obj15.bin");
  ASSERT_EQ(block.size(), 96256u);
  auto want = read_listing("zf_micro_obj15.txt");
  ASSERT_EQ(want.size(), 1490u);
  for (bool foreign : {false, true}) {
    MemObject obj(block.size(), foreign);
    obj.blocks.push_back(block);
    if (foreign) {  // as a big-endian host would have written it
      auto& b = obj.blocks[0];
      bswap_u64_array(b.data(), 24);
      for (size_t off = 64; off + 64 <= b.size(); off += 64) {
        bswap_u64_array(&b[off], 8);
        bswap_u32_array(&b[off + 8], 4);
      }
    }
    auto r = ZapReader::open(obj);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_TRUE(r->is_micro());
    expect_matches_zdb(*r, want);
  }
}

TEST(ZapRealData, ZfsFuseFatZap) {
  MemObject obj(16384, false);
  obj.blocks.push_back(read_file("zf_fat_obj1541_blk0.bin"));
  obj.blocks.push_back(read_file("zf_fat_obj1541_blk1.bin"));
  ASSERT_EQ(obj.blocks[1].size(), 16384u);
  auto r = ZapReader::open(obj);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->is_micro());
  EXPECT_EQ(r->salt(), 0xa89c3bu);
  expect_matches_zdb(*r, read_listing("zf_fat_obj1541.txt"));
}

}  // namespace
}  // namespace fzfs
