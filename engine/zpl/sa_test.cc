// SA parsing over buffers laid out by hand from the format, in both byte orders.
#include "engine/zpl/sa.h"

#include <gtest/gtest.h>

#include <random>

#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

uint64_t reg_value(uint16_t num, uint8_t bswap_kind, uint16_t length) {
  return uint64_t{num} | uint64_t{bswap_kind} << 16 | uint64_t{length} << 24;
}

ZapEntry reg_entry(const std::string& name, uint16_t num, uint8_t kind, uint16_t len) {
  ZapEntry e;
  e.name = name;
  e.int_size = 8;
  e.num_ints = 1;
  e.ints = {reg_value(num, kind, len)};
  return e;
}

ZapEntry layout_entry(uint64_t num, std::vector<uint64_t> attrs) {
  ZapEntry e;
  e.name = std::to_string(num);
  e.int_size = 2;
  e.num_ints = attrs.size();
  e.ints = std::move(attrs);
  return e;
}

// A registry as a modern ZPL dataset writes it: the 16 legacy attributes under their
// own numbers plus the newer ones after them.
std::vector<ZapEntry> zpl_registry() {
  return {
      reg_entry("ZPL_ATIME", 0, 0, 16),  reg_entry("ZPL_MTIME", 1, 0, 16),
      reg_entry("ZPL_CTIME", 2, 0, 16),  reg_entry("ZPL_CRTIME", 3, 0, 16),
      reg_entry("ZPL_GEN", 4, 0, 8),     reg_entry("ZPL_MODE", 5, 0, 8),
      reg_entry("ZPL_SIZE", 6, 0, 8),    reg_entry("ZPL_PARENT", 7, 0, 8),
      reg_entry("ZPL_LINKS", 8, 0, 8),   reg_entry("ZPL_XATTR", 9, 0, 8),
      reg_entry("ZPL_RDEV", 10, 0, 8),   reg_entry("ZPL_FLAGS", 11, 0, 8),
      reg_entry("ZPL_UID", 12, 0, 8),    reg_entry("ZPL_GID", 13, 0, 8),
      reg_entry("ZPL_PAD", 14, 0, 32),   reg_entry("ZPL_ZNODE_ACL", 15, 3, 88),
      reg_entry("ZPL_DACL_COUNT", 16, 0, 8), reg_entry("ZPL_SYMLINK", 17, 3, 0),
      reg_entry("ZPL_SCANSTAMP", 18, 3, 32), reg_entry("ZPL_DACL_ACES", 19, 4, 0),
      reg_entry("ZPL_DXATTR", 20, 3, 0),  reg_entry("ZPL_PROJID", 21, 0, 8),
  };
}

// Layout 2: a symlink with xattrs (three variable-size attributes).
const std::vector<uint64_t> kLayout2 = {5, 6, 4, 12, 13, 7, 11, 0, 1, 2, 3, 8, 16, 19, 17, 20};
// Layout 3: a plain file (one variable-size attribute, the ACEs).
const std::vector<uint64_t> kLayout3 = {5, 6, 4, 12, 13, 7, 11, 0, 1, 2, 3, 8, 16, 19};

struct Attr {
  uint16_t num;
  std::vector<uint8_t> bytes;  // host order
  uint8_t kind;
  bool variable;
};

std::vector<uint8_t> u64s(std::initializer_list<uint64_t> v) {
  std::vector<uint8_t> out(v.size() * 8);
  size_t i = 0;
  for (uint64_t x : v) store<uint64_t>(&out[8 * i++], x);
  return out;
}

// Lays out an SA buffer; swap writes it as the other byte order would.
std::vector<uint8_t> build_sa(uint16_t layout, const std::vector<Attr>& attrs, bool swap) {
  size_t nvar = 0;
  for (auto& a : attrs) nvar += a.variable;
  size_t hdr = (6 + 2 * nvar + 7) / 8 * 8;
  std::vector<uint8_t> b(hdr, 0);
  auto put16 = [&](size_t off, uint16_t v) { store<uint16_t>(&b[off], swap ? bswap(v) : v); };
  store<uint32_t>(&b[0], swap ? bswap(kSaMagic) : kSaMagic);
  put16(4, uint16_t(layout | (hdr / 8) << 10));
  size_t vi = 0;
  for (auto& a : attrs) {
    if (a.variable) put16(6 + 2 * vi++, a.bytes.size());
    std::vector<uint8_t> v = a.bytes;
    if (swap && a.kind == 0) bswap_u64_array(v.data(), v.size());
    b.insert(b.end(), v.begin(), v.end());
    b.resize((b.size() + 7) / 8 * 8, 0);
  }
  return b;
}

std::vector<Attr> symlink_attrs() {
  std::string target = "../some/where/else";
  std::vector<uint8_t> acl = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  std::vector<uint8_t> dx(37, 0xAB);
  return {
      {5, u64s({0120777}), 0, false},         {6, u64s({target.size()}), 0, false},
      {4, u64s({42}), 0, false},              {12, u64s({1000}), 0, false},
      {13, u64s({100}), 0, false},            {7, u64s({34}), 0, false},
      {11, u64s({0x40800000004ULL}), 0, false}, {0, u64s({1700000000, 5}), 0, false},
      {1, u64s({1700000001, 123456789}), 0, false}, {2, u64s({1700000002, 7}), 0, false},
      {3, u64s({1600000000, 0}), 0, false},   {8, u64s({1}), 0, false},
      {16, u64s({1}), 0, false},              {19, acl, 4, true},
      {17, std::vector<uint8_t>(target.begin(), target.end()), 3, true},
      {20, dx, 3, true},
  };
}

SaRegistry registry() {
  auto r = SaRegistry::from_entries(zpl_registry(), {layout_entry(2, kLayout2), layout_entry(3, kLayout3)});
  EXPECT_TRUE(r.ok());
  return std::move(*r);
}

class Sa : public ::testing::TestWithParam<bool> {};

TEST_P(Sa, ParsesSymlinkLayoutWithVariableAttrs) {
  bool swap = GetParam();
  auto attrs = symlink_attrs();
  auto buf = build_sa(2, attrs, swap);
  auto reg = registry();
  auto r = parse_sa(buf, reg);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->foreign(), swap);
  ASSERT_EQ(r->all().size(), attrs.size());
  EXPECT_EQ(*r->u64("ZPL_MODE"), 0120777u);
  EXPECT_EQ(*r->u64("ZPL_SIZE"), 18u);
  EXPECT_EQ(*r->u64("ZPL_UID"), 1000u);
  EXPECT_EQ(*r->u64("ZPL_FLAGS"), 0x40800000004ULL);
  EXPECT_EQ(*r->u64_array("ZPL_MTIME"), (std::vector<uint64_t>{1700000001, 123456789}));
  const SaAttr* link = r->find("ZPL_SYMLINK");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(std::string(link->bytes.begin(), link->bytes.end()), "../some/where/else");
  EXPECT_EQ(r->find("ZPL_DXATTR")->bytes, std::vector<uint8_t>(37, 0xAB));
  // ACL bytes stay as stored (this writer stores them identically in both orders).
  EXPECT_EQ(r->find("ZPL_DACL_ACES")->bytes, attrs[13].bytes);
  EXPECT_EQ(r->find("ZPL_DACL_ACES")->bswap, kSaBswapAcl);
  auto absent = r->u64("ZPL_RDEV");
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().code(), ENOENT);
}

TEST_P(Sa, PlainFileLayoutHasEightByteHeader) {
  auto attrs = symlink_attrs();
  attrs.resize(14);  // drop symlink and dxattr: one variable attribute
  auto buf = build_sa(3, attrs, GetParam());
  uint16_t info = load<uint16_t>(&buf[4]);
  if (GetParam()) info = bswap(info);
  EXPECT_EQ(info >> 10, 1);  // an 8-byte header
  auto reg = registry();
  auto r = parse_sa(buf, reg);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r->u64("ZPL_GEN"), 42u);
  EXPECT_EQ(*r->u64("ZPL_PARENT"), 34u);
}

TEST_P(Sa, HostileBuffersAreEio) {
  bool swap = GetParam();
  auto reg = registry();
  auto good = build_sa(2, symlink_attrs(), swap);
  auto put16 = [&](std::vector<uint8_t>& b, size_t off, uint16_t v) {
    store<uint16_t>(&b[off], swap ? bswap(v) : v);
  };
  auto expect_eio = [&](const std::vector<uint8_t>& b) {
    auto r = parse_sa(b, reg);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), EIO) << r.error().message();
  };
  {  // variable length past the end
    auto b = good;
    put16(b, 6 + 2 * 2, 60000);
    expect_eio(b);
  }
  {  // truncated buffer
    ASSERT_GT(good.size(), 16u);
    expect_eio(std::vector<uint8_t>(good.begin(), good.end() - 16));
  }
  {  // header size disagreeing with the layout
    auto b = good;
    put16(b, 4, uint16_t(2 | 1 << 10));
    expect_eio(b);
  }
  {  // unknown layout
    auto b = good;
    put16(b, 4, uint16_t(9 | 2 << 10));
    expect_eio(b);
  }
  {  // bad magic
    auto b = good;
    b[0] ^= 0xFF;
    expect_eio(b);
  }
  expect_eio(std::vector<uint8_t>(good.begin(), good.begin() + 5));
  std::mt19937_64 rng(swap ? 3 : 4);
  for (int i = 0; i < 500; i++) {
    auto b = good;
    for (int k = 0; k < 4; k++) b[rng() % b.size()] = rng();
    (void)parse_sa(b, reg);  // must not crash
  }
}

INSTANTIATE_TEST_SUITE_P(ByteOrder, Sa, ::testing::Values(false, true));

TEST(SaRegistry, LayoutNamingUnknownAttributeIsEio) {
  auto reg = SaRegistry::from_entries(zpl_registry(), {layout_entry(4, {5, 200})});
  ASSERT_TRUE(reg.ok());
  std::vector<uint8_t> b(24, 0);
  store<uint32_t>(&b[0], kSaMagic);
  store<uint16_t>(&b[4], uint16_t(4 | 1 << 10));
  auto r = parse_sa(b, *reg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EIO);
}

TEST(SaRegistry, BadEntriesAreEio) {
  auto r = SaRegistry::from_entries(zpl_registry(), {layout_entry(4, {5}), [] {
                                                       auto e = layout_entry(5, {5});
                                                       e.name = "x5";
                                                       return e;
                                                     }()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EIO);
  auto bad = reg_entry("ZPL_MODE", 5, 0, 8);
  bad.int_size = 2;
  r = SaRegistry::from_entries({bad}, {});
  ASSERT_FALSE(r.ok());
}

TEST(SaRegistry, LegacyTableFillsUnregisteredNumbers) {
  // A registry listing only a new attribute still knows the legacy ones.
  auto r = SaRegistry::from_entries({reg_entry("ZPL_DXATTR", 16, 3, 0)}, {});
  ASSERT_TRUE(r.ok());
  ASSERT_NE(r->find("ZPL_MODE"), nullptr);
  EXPECT_EQ(r->find("ZPL_MODE")->num, 5);
  EXPECT_EQ(r->find("ZPL_DXATTR")->num, 16);
  EXPECT_EQ(r->attr(15)->length, 88);
  ASSERT_NE(r->layout(0), nullptr);
  EXPECT_EQ(r->layout(0)->size(), 16u);
  ASSERT_NE(r->layout(1), nullptr);
  EXPECT_TRUE(r->layout(1)->empty());
}

TEST(SaRegistry, FindsWriterLayoutsByTheirAttributeListAndTheFirstFreeNumber) {
  auto r = SaRegistry::from_entries(zpl_registry(), {layout_entry(2, {5, 6}), layout_entry(4, {6, 5})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->find_layout({5, 6}), 2u);
  EXPECT_EQ(r->find_layout({6, 5}), 4u);  // the order is part of a layout
  EXPECT_EQ(r->find_layout({5}), std::nullopt);
  // Layouts 0 and 1 are the legacy ones: never handed to a writer.
  EXPECT_EQ(r->find_layout(*r->layout(0)), std::nullopt);
  EXPECT_EQ(r->free_layout_number(), 3u);
  r->add_layout(3, {5});
  EXPECT_EQ(r->find_layout({5}), 3u);
  EXPECT_EQ(r->free_layout_number(), 5u);
  EXPECT_EQ(SaRegistry::legacy().free_layout_number(), SaRegistry::kFirstWriterLayout);
}

TEST(SaRegistry, EmptyHeaderMeansNoAttributes) {
  std::vector<uint8_t> zeros(64, 0);
  auto r = parse_sa(zeros, SaRegistry::legacy());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->all().empty());
  // Layout number 0 in an SA header also means the empty layout.
  std::vector<uint8_t> b(8, 0);
  store<uint32_t>(&b[0], kSaMagic);
  store<uint16_t>(&b[4], uint16_t(1 << 10));
  r = parse_sa(b, SaRegistry::legacy());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->all().empty());
}

class SaLegacyZnode : public ::testing::TestWithParam<bool> {};

TEST_P(SaLegacyZnode, ReadsZnodePhysFields) {
  bool swap = GetParam();
  // znode_phys: 4 times (16 bytes each), 10 u64 fields, 4 pad words, 88-byte ACL.
  std::vector<uint8_t> b(264, 0);
  auto put = [&](size_t off, uint64_t v) { store<uint64_t>(&b[off], swap ? bswap(v) : v); };
  put(16, 1234567);      // mtime seconds
  put(24, 89);           // mtime nanoseconds
  put(72, 0100644);      // mode
  put(80, 4096);         // size
  put(96, 2);            // links
  put(128, 501);         // uid
  b[176] = 0x5A;         // first ACL byte
  auto r = parse_legacy_znode(b, swap, SaRegistry::legacy());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r->u64("ZPL_MODE"), 0100644u);
  EXPECT_EQ(*r->u64("ZPL_SIZE"), 4096u);
  EXPECT_EQ(*r->u64("ZPL_LINKS"), 2u);
  EXPECT_EQ(*r->u64("ZPL_UID"), 501u);
  EXPECT_EQ(*r->u64_array("ZPL_MTIME"), (std::vector<uint64_t>{1234567, 89}));
  EXPECT_EQ(r->find("ZPL_ZNODE_ACL")->bytes[0], 0x5A);
  auto short_buf = parse_legacy_znode(std::span<const uint8_t>(b).first(200), swap, SaRegistry::legacy());
  ASSERT_FALSE(short_buf.ok());
  EXPECT_EQ(short_buf.error().code(), EIO);
}

INSTANTIATE_TEST_SUITE_P(ByteOrder, SaLegacyZnode, ::testing::Values(false, true));

}  // namespace
}  // namespace fzfs
