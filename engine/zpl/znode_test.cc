// The znode encoders against znodes zfs-fuse wrote (pool zf-stripe of the conformance
// corpus, dataset data: object 3 is a 0755 directory, object 5 a 0644 file).
#include "engine/zpl/znode.h"

#include <gtest/gtest.h>

#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

std::vector<uint8_t> unhex(const std::string& h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

const char* kDir0755 =
    "c7cc046b0000000021fffd1000000000c1cc046b00000000f00cc73200000000"
    "c1cc046b00000000f00cc73200000000c1cc046b000000003d6df10700000000"
    "0700000000000000ed4100000000000012000000000000000300000000000000"
    "0600000000000000000000000000000000000000000000004401000008040000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000003000000001000600"
    "01000010000000000000001037010c0001004020060000000000402021000000"
    "0100004016010c0000000040a900120000000000000000000000000000000000"
    "0000000000000000";
const char* kFile0644 =
    "3e23c9510000000000000000000000003e23c951000000000000000000000000"
    "c1cc046b0000000087b77c0e00000000c1cc046b00000000b82f790e00000000"
    "0900000000000000a48100000000000000000000000000000300000000000000"
    "0100000000000000000000000000000000000000000000000400000008040000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000003000000001000600"
    "01000010200000000000001017010c0001004020260000000000402001000000"
    "0100004036010c00000000408900120000000000000000000000000000000000"
    "0000000000000000";

TEST(Znode, LegacyRoundTripIsByteExact) {
  for (const char* hex : {kDir0755, kFile0644}) {
    auto bonus = unhex(hex);
    ASSERT_EQ(bonus.size(), kLegacyZnodeBytes);
    auto sa = parse_legacy_znode(bonus, false, SaRegistry::legacy());
    ASSERT_TRUE(sa.ok()) << sa.error().message();
    ZnodeAttrs z = ZnodeAttrs::from_sa(*sa);
    EXPECT_EQ(encode_legacy_znode(z), bonus);
  }
}

TEST(Znode, TrivialAclMatchesWhatZfsFuseWrote) {
  for (auto [hex, mode] : {std::pair{kDir0755, 0755u}, std::pair{kFile0644, 0644u}}) {
    auto bonus = unhex(hex);
    std::vector<uint8_t> aces(bonus.begin() + kLegacyAclOffset + 16, bonus.begin() + kLegacyAclOffset + 16 + 48);
    EXPECT_EQ(trivial_aces(mode), aces) << std::oct << mode;
  }
}

ZapEntry reg_entry(std::string name, uint64_t num, uint64_t len, uint64_t bswap) {
  ZapEntry e;
  e.name = std::move(name);
  e.ints = {num | (bswap << 16) | (len << 24)};
  return e;
}

TEST(Znode, SaLayoutTwoRoundTrips) {
  // A registry as a ZPL 5 pool has it: the fixed attributes keep their legacy numbers,
  // DACL_COUNT (16) and DACL_ACES (19, variable length) are registered, and layout 2
  // is the order ZFS gives new files.
  ZapEntry layout2;
  layout2.name = "2";
  layout2.int_size = 2;
  layout2.ints = {5, 6, 4, 12, 13, 7, 11, 0, 1, 2, 3, 8, 16, 19};
  layout2.num_ints = layout2.ints.size();
  auto reg = SaRegistry::from_entries({reg_entry("ZPL_DACL_COUNT", 16, 8, 0), reg_entry("ZPL_DACL_ACES", 19, 0, 4)},
                                      {layout2});
  ASSERT_TRUE(reg.ok()) << reg.error().message();
  ZnodeAttrs z;
  z.mode = 040755, z.uid = 1000, z.gid = 100, z.size = 2, z.links = 2, z.parent = 4, z.gen = 4;
  z.flags = kZflagsNewFile;
  z.mtime = {1700000000, 123456789};
  z.aces = trivial_aces(z.mode);
  z.ace_count = 6;
  auto buf = encode_sa_znode(z, *reg, 2, 320);
  ASSERT_TRUE(buf.ok()) << buf.error().message();
  EXPECT_EQ(load<uint16_t>(buf->data() + 4) >> 10, 1) << "one variable-size attribute: an 8-byte header";
  auto back = parse_sa(*buf, *reg);
  ASSERT_TRUE(back.ok()) << back.error().message();
  ZnodeAttrs z2 = ZnodeAttrs::from_sa(*back);
  EXPECT_EQ(z2.mode, z.mode);
  EXPECT_EQ(z2.uid, z.uid);
  EXPECT_EQ(z2.mtime.nsec, z.mtime.nsec);
  EXPECT_EQ(z2.aces, z.aces);
  EXPECT_EQ(z2.ace_count, 6u);
  EXPECT_FALSE(encode_sa_znode(z, *reg, 2, 64).ok()) << "too big for the room must be refused";
}

TEST(Znode, SymlinkInlineOnlyWhenShort) {
  ZnodeAttrs z;
  z.symlink = std::string(kLegacyInlineSymlinkMax, 'a');
  EXPECT_EQ(encode_legacy_znode(z).size(), kLegacyZnodeBytes + kLegacyInlineSymlinkMax);
  z.symlink += "b";
  EXPECT_EQ(encode_legacy_znode(z).size(), kLegacyZnodeBytes);
}

TEST(Znode, SaSplitSpillsWhatTheBonusCannotHold) {
  // Layout 2 plus SYMLINK (17): the order of a symlink's attributes.
  auto reg = SaRegistry::from_entries({reg_entry("ZPL_DACL_COUNT", 16, 8, 0), reg_entry("ZPL_SYMLINK", 17, 0, 3),
                                       reg_entry("ZPL_DACL_ACES", 19, 0, 4), reg_entry("ZPL_DXATTR", 20, 0, 3)},
                                      {});
  ASSERT_TRUE(reg.ok()) << reg.error().message();
  const std::vector<uint16_t> file = {5, 6, 4, 12, 13, 7, 11, 0, 1, 2, 3, 8, 16, 19};
  std::vector<uint16_t> link = file;
  link.push_back(17);
  ZnodeAttrs z;
  z.mode = 0120777;
  z.aces = trivial_aces(0777);
  z.ace_count = 6;

  // 184 bytes of fixed attributes and ACEs, a 16-byte header with two variable-size
  // attributes: a 120-byte target is the longest that fits the 320-byte bonus.
  z.symlink.assign(120, 'x');
  auto fits = split_sa_znode(z, *reg, link, 320);
  ASSERT_TRUE(fits.ok()) << fits.error().message();
  EXPECT_EQ(fits->bonus, link);
  EXPECT_TRUE(fits->spill.empty());

  for (size_t len : {121, 307, 4095}) {
    z.symlink.assign(len, 'y');
    auto split = split_sa_znode(z, *reg, link, 320);
    ASSERT_TRUE(split.ok()) << split.error().message();
    EXPECT_EQ(split->bonus, file) << "the bonus keeps what fits beside the spill blkptr";
    EXPECT_EQ(split->spill, std::vector<uint16_t>{17}) << len;
    // Both halves encode within their room and parse back to the whole znode.
    reg->add_layout(2, split->bonus);
    reg->add_layout(3, split->spill);
    auto bonus = encode_sa_znode(z, *reg, 2, 320 - 128);
    auto spill = encode_sa_znode(z, *reg, 3, kMaxSpillBytes);
    ASSERT_TRUE(bonus.ok() && spill.ok());
    EXPECT_EQ(load<uint16_t>(bonus->data() + 4) >> 10, 1) << "one variable-size attribute left in the bonus";
    auto b = parse_sa(*bonus, *reg);
    auto s = parse_sa(*spill, *reg);
    ASSERT_TRUE(b.ok() && s.ok());
    EXPECT_EQ(ZnodeAttrs::from_sa(*b).aces, z.aces);
    EXPECT_EQ(ZnodeAttrs::from_sa(*s).symlink, z.symlink);
  }

  z.other["ZPL_DXATTR"] = std::vector<uint8_t>(kMaxSpillBytes, 1);
  link.push_back(20);
  EXPECT_EQ(split_sa_znode(z, *reg, link, 320).error().code(), EFBIG) << "an attribute longer than its u16 length field";
}

}  // namespace
}  // namespace fzfs
