#include "engine/util/nvlist.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

// One pair of every type, with values that exercise sign extension and padding.
NvList every_type() {
  NvList inner;
  inner.add_string("type", "file").add_u64("id", 7);
  NvList a, b;
  a.add_u64("guid", 0x1122334455667788ULL);
  b.add_string("path", "/dev/x").add_boolean("whole");

  NvList l;
  l.add_boolean("flag");
  l.add_u64("bv", 1, NvType::kBooleanValue);
  l.add_u64("byte", 0xfe, NvType::kByte);
  l.add_u64("i8", static_cast<uint64_t>(-3), NvType::kInt8);
  l.add_u64("u8", 200, NvType::kUint8);
  l.add_u64("i16", static_cast<uint64_t>(-300), NvType::kInt16);
  l.add_u64("u16", 65000, NvType::kUint16);
  l.add_u64("i32", static_cast<uint64_t>(-70000), NvType::kInt32);
  l.add_u64("u32", 4000000000u, NvType::kUint32);
  l.add_u64("i64", static_cast<uint64_t>(-5), NvType::kInt64);
  l.add_u64("u64", 0xfedcba9876543210ULL, NvType::kUint64);
  l.add_u64("hrtime", 123456789012ULL, NvType::kHrtime);
  l.add_pair(NvPair{"double", NvType::kDouble, 3.25});
  l.add_string("string", "hello");
  l.add_string("empty", "");
  l.add_u64_array("bytes", {1, 2, 0xff}, NvType::kByteArray);
  l.add_u64_array("i8a", {static_cast<uint64_t>(-1), 5}, NvType::kInt8Array);
  l.add_u64_array("u8a", {250, 0}, NvType::kUint8Array);
  l.add_u64_array("i16a", {static_cast<uint64_t>(-2)}, NvType::kInt16Array);
  l.add_u64_array("u16a", {1, 65535}, NvType::kUint16Array);
  l.add_u64_array("i32a", {static_cast<uint64_t>(-9), 9}, NvType::kInt32Array);
  l.add_u64_array("u32a", {0xffffffffu}, NvType::kUint32Array);
  l.add_u64_array("i64a", {static_cast<uint64_t>(-1)}, NvType::kInt64Array);
  l.add_u64_array("u64a", {1, 2, 3, 1ULL << 63}, NvType::kUint64Array);
  l.add_u64_array("boola", {1, 0, 1}, NvType::kBooleanArray);
  l.add_u64_array("emptya", {}, NvType::kUint64Array);
  l.add_pair(NvPair{"strings", NvType::kStringArray, std::vector<std::string>{"a", "", "xyz12"}});
  l.add_nvlist("nested", inner);
  l.add_nvlist_array("children", {a, b});
  return l;
}

void expect_same(const NvList& x, const NvList& y) {
  ASSERT_EQ(x.pairs().size(), y.pairs().size());
  for (size_t i = 0; i < x.pairs().size(); i++) {
    const NvPair& p = x.pairs()[i];
    const NvPair& q = y.pairs()[i];
    EXPECT_EQ(p.name, q.name);
    EXPECT_EQ(p.type, q.type) << p.name;
    ASSERT_EQ(p.value.index(), q.value.index()) << p.name;
    if (auto* l = std::get_if<std::vector<NvList>>(&p.value)) {
      auto& m = std::get<std::vector<NvList>>(q.value);
      ASSERT_EQ(l->size(), m.size());
      for (size_t j = 0; j < l->size(); j++) expect_same((*l)[j], m[j]);
    } else if (auto* u = std::get_if<uint64_t>(&p.value)) {
      EXPECT_EQ(*u, std::get<uint64_t>(q.value)) << p.name;
    } else if (auto* s = std::get_if<std::string>(&p.value)) {
      EXPECT_EQ(*s, std::get<std::string>(q.value)) << p.name;
    } else if (auto* a = std::get_if<std::vector<uint64_t>>(&p.value)) {
      EXPECT_EQ(*a, std::get<std::vector<uint64_t>>(q.value)) << p.name;
    } else if (auto* sa = std::get_if<std::vector<std::string>>(&p.value)) {
      EXPECT_EQ(*sa, std::get<std::vector<std::string>>(q.value)) << p.name;
    } else if (auto* d = std::get_if<double>(&p.value)) {
      EXPECT_EQ(*d, std::get<double>(q.value)) << p.name;
    }
  }
}

TEST(nvlist, XdrRoundTripEveryType) {
  NvList l = every_type();
  auto packed = l.encode_xdr();
  ASSERT_EQ(packed[0], 1);  // XDR
  auto back = NvList::decode(packed);
  ASSERT_TRUE(back.ok()) << back.error().message();
  expect_same(l, *back);
  // Encoding is deterministic and stable through a second trip.
  EXPECT_EQ(back->encode_xdr(), packed);

  EXPECT_EQ(back->get_u64("i8"), static_cast<uint64_t>(-3));
  EXPECT_EQ(back->get_u64("u8"), 200u);
  EXPECT_EQ(back->get_u64("bv"), 1u);
  EXPECT_EQ(back->get_string("string"), "hello");
  EXPECT_EQ(back->get_u64("string"), std::nullopt);
  EXPECT_TRUE(back->has("flag"));
  EXPECT_EQ(back->get_u64_array("u64a")->at(3), 1ULL << 63);
  EXPECT_EQ(back->get_u64_array("bytes")->at(2), 0xffu);
  ASSERT_NE(back->get_nvlist("nested"), nullptr);
  EXPECT_EQ(back->get_nvlist("nested")->get_string("type"), "file");
  ASSERT_NE(back->get_nvlist_array("children"), nullptr);
  EXPECT_EQ(back->get_nvlist_array("children")->at(1).get_string("path"), "/dev/x");
  EXPECT_EQ(back->get_nvlist("children"), nullptr);
}

// XDR words are big-endian; a hand-built stream checks the layout itself rather than
// our own encoder against our own decoder.
TEST(nvlist, XdrKnownBytes) {
  const uint8_t stream[] = {
      1, 1, 0, 0,              // XDR, little-endian writer
      0, 0, 0, 0, 0, 0, 0, 1,  // version 0, NV_UNIQUE_NAME
      0, 0, 0, 32, 0, 0, 0, 32,  // encoded / decoded sizes
      0, 0, 0, 3, 'a', 'b', 'c', 0,  // name
      0, 0, 0, 8, 0, 0, 0, 1,  // uint64, one element
      0, 0, 0, 1, 0, 0, 0, 2,  // 0x100000002
      0, 0, 0, 0, 0, 0, 0, 0,  // end
  };
  auto l = NvList::decode(stream);
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->get_u64("abc"), 0x100000002ULL);
  // Our encoder reproduces the words (its size fields are ZFS's own formulas).
  NvList m;
  m.add_u64("abc", 0x100000002ULL);
  auto enc = m.encode_xdr();
  ASSERT_EQ(enc.size(), sizeof stream);
  EXPECT_TRUE(std::equal(enc.begin() + 20, enc.end(), stream + 20));
}

// --- native encoding, built here independently of the decoder --------------------------

class NativePacker {
 public:
  explicit NativePacker(bool little) : little_(little) {}
  std::vector<uint8_t> pack(const NvList& l) {
    out_ = {0, static_cast<uint8_t>(little_ ? 1 : 0), 0, 0};
    put(0, 4);
    put(1, 4);
    pairs(l);
    return out_;
  }

 private:
  void put(uint64_t v, int width) {
    for (int i = 0; i < width; i++) {
      int shift = little_ ? 8 * i : 8 * (width - 1 - i);
      out_.push_back(static_cast<uint8_t>(v >> shift));
    }
  }
  void pad8(size_t start) {
    while ((out_.size() - start) % 8) out_.push_back(0);
  }
  static int width(NvType t) {
    switch (t) {
      case NvType::kByte: case NvType::kInt8: case NvType::kUint8:
      case NvType::kByteArray: case NvType::kInt8Array: case NvType::kUint8Array: return 1;
      case NvType::kInt16: case NvType::kUint16: case NvType::kInt16Array:
      case NvType::kUint16Array: return 2;
      case NvType::kInt32: case NvType::kUint32: case NvType::kBooleanValue:
      case NvType::kInt32Array: case NvType::kUint32Array: case NvType::kBooleanArray: return 4;
      default: return 8;
    }
  }
  void pairs(const NvList& l) {
    for (const auto& p : l.pairs()) pair(p);
    put(0, 4);
  }
  void pair(const NvPair& p) {
    const size_t start = out_.size();
    const std::vector<NvList>* lists = std::get_if<std::vector<NvList>>(&p.value);
    uint64_t nelem = 1;
    if (p.type == NvType::kBoolean) nelem = 0;
    if (auto* v = std::get_if<std::vector<uint64_t>>(&p.value)) nelem = v->size();
    if (auto* v = std::get_if<std::vector<std::string>>(&p.value)) nelem = v->size();
    if (lists && p.type == NvType::kNvlistArray) nelem = lists->size();
    put(0, 4);  // size, patched below
    put(p.name.size() + 1, 2);
    put(0, 2);
    put(nelem, 4);
    put(static_cast<uint64_t>(p.type), 4);
    out_.insert(out_.end(), p.name.begin(), p.name.end());
    out_.push_back(0);
    pad8(start);
    if (auto* v = std::get_if<uint64_t>(&p.value)) put(*v, width(p.type));
    if (auto* d = std::get_if<double>(&p.value)) put(std::bit_cast<uint64_t>(*d), 8);
    if (auto* s = std::get_if<std::string>(&p.value)) {
      out_.insert(out_.end(), s->begin(), s->end());
      out_.push_back(0);
    }
    if (auto* v = std::get_if<std::vector<uint64_t>>(&p.value))
      for (uint64_t x : *v) put(x, width(p.type));
    if (auto* v = std::get_if<std::vector<std::string>>(&p.value)) {
      for (size_t i = 0; i < v->size(); i++) put(0xdeadbeef, 8);  // pointers, ignored
      for (const auto& s : *v) {
        out_.insert(out_.end(), s.begin(), s.end());
        out_.push_back(0);
      }
    }
    if (lists) {
      if (p.type == NvType::kNvlistArray)
        for (size_t i = 0; i < lists->size(); i++) put(0, 8);
      for (size_t i = 0; i < lists->size(); i++) {
        put(0, 4);  // version
        put(1, 4);  // flags
        put(0, 8);  // priv
        put(0, 4);
        put(0, 4);
      }
    }
    pad8(start);
    const uint64_t size = out_.size() - start;
    for (int i = 0; i < 4; i++) {
      int shift = little_ ? 8 * i : 8 * (3 - i);
      out_[start + i] = static_cast<uint8_t>(size >> shift);
    }
    if (lists)
      for (const auto& l : *lists) pairs(l);
  }

  bool little_;
  std::vector<uint8_t> out_;
};

TEST(nvlist, NativeBothByteOrders) {
  NvList l = every_type();
  for (bool little : {true, false}) {
    auto packed = NativePacker(little).pack(l);
    auto back = NvList::decode(packed);
    ASSERT_TRUE(back.ok()) << (little ? "LE: " : "BE: ") << back.error().message();
    expect_same(l, *back);
  }
}

// --- hostile input ------------------------------------------------------------------------

TEST(nvlist, TruncatedStreamsFail) {
  for (bool native : {false, true}) {
    auto packed = native ? NativePacker(true).pack(every_type()) : every_type().encode_xdr();
    for (size_t n = 0; n < packed.size(); n++) {
      auto r = NvList::decode(std::span(packed).first(n));
      ASSERT_FALSE(r.ok()) << "prefix " << n << (native ? " native" : " xdr");
      EXPECT_TRUE(r.error().code() == EINVAL || r.error().code() == ENOTSUP);
    }
  }
}

TEST(nvlist, CorruptStreamsNeverCrash) {
  std::mt19937 rng(42);
  for (bool native : {false, true}) {
    const auto good = native ? NativePacker(false).pack(every_type()) : every_type().encode_xdr();
    for (int iter = 0; iter < 20000; iter++) {
      auto bad = good;
      int flips = 1 + rng() % 4;
      for (int f = 0; f < flips; f++) {
        size_t at = 4 + rng() % (bad.size() - 4);
        bad[at] = (rng() % 3 == 0) ? 0xff : static_cast<uint8_t>(rng());
      }
      auto r = NvList::decode(bad);
      if (r.ok()) (void)r->to_string();  // whatever decodes must be usable
    }
  }
}

TEST(nvlist, AbsurdElementCountFails) {
  NvList l;
  l.add_u64_array("a", {1, 2}, NvType::kUint64Array);
  auto packed = l.encode_xdr();
  // nelem sits after sizes(8) name(4+4) type(4) at offset 12 + 20.
  const size_t nelem_at = 12 + 8 + 8 + 4;
  ASSERT_EQ(load_be<uint32_t>(&packed[nelem_at]), 2u);
  store<uint32_t>(&packed[nelem_at], bswap(uint32_t{0x7fffffff}));
  store<uint32_t>(&packed[nelem_at + 4], bswap(uint32_t{0x7fffffff}));
  auto r = NvList::decode(packed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_NE(r.error().message().find("'a'"), std::string::npos) << r.error().message();

  NvList s;
  s.add_nvlist_array("c", {NvList()});
  packed = s.encode_xdr();
  store<uint32_t>(&packed[nelem_at], bswap(uint32_t{0xffffffff}));
  EXPECT_FALSE(NvList::decode(packed).ok());
}

NvList nest(int depth) {
  NvList l;
  l.add_u64("depth", depth);
  if (depth > 0) l.add_nvlist("child", nest(depth - 1));
  return l;
}

TEST(nvlist, DeepNestingIsBounded) {
  auto ok = NvList::decode(nest(60).encode_xdr());
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  auto deep = NvList::decode(nest(200).encode_xdr());
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().code(), EINVAL);
  EXPECT_FALSE(NvList::decode(NativePacker(true).pack(nest(200))).ok());
}

TEST(nvlist, UnknownEncodingAndTypeFail) {
  auto packed = nest(1).encode_xdr();
  packed[0] = 7;
  EXPECT_FALSE(NvList::decode(packed).ok());
  packed = nest(0).encode_xdr();
  // type word of the first pair: header 4 + 8 list + 8 sizes + name 4 + "depth" padded 8.
  store<uint32_t>(&packed[4 + 8 + 8 + 4 + 8], bswap(uint32_t{99}));
  auto r = NvList::decode(packed);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("unknown type 99"), std::string::npos);
}

TEST(nvlist, BuildersReplaceSameName) {
  NvList l;
  l.add_u64("a", 1).add_string("b", "x").add_u64("a", 2);
  ASSERT_EQ(l.pairs().size(), 2u);
  EXPECT_EQ(l.pairs()[1].name, "a");
  EXPECT_EQ(l.get_u64("a"), 2u);
}

TEST(nvlist, ToStringRendersNested) {
  NvList l;
  NvList c;
  c.add_string("type", "file");
  l.add_string("name", "tank").add_u64("version", 23).add_nvlist_array("children", {c});
  EXPECT_EQ(l.to_string(), "name: 'tank'\nversion: 23\nchildren[0]:\n    type: 'file'\n");
}

// --- a real label written by zfs-fuse -------------------------------------------------

std::filesystem::path corpus() { return "/work/shared/conformance/zfs-fuse"; }

// Unpacks a corpus device into /tmp once (zstd keeps it sparse).
std::string unpack(const std::string& pool, const std::string& dev) {
  auto dir = std::filesystem::path("/tmp/fzfs-corpus") / pool;
  std::filesystem::create_directories(dir);
  auto out = dir / dev;
  if (!std::filesystem::exists(out)) {
    std::string tmp = out.string() + ".part" + std::to_string(getpid());
    std::string cmd = "zstd -q -f -d " + (corpus() / pool / (dev + ".zst")).string() + " -o " + tmp;
    if (std::system(cmd.c_str()) != 0) return "";
    std::filesystem::rename(tmp, out);
  }
  return out.string();
}

TEST(nvlist, DecodesRealLabel) {
  if (!std::filesystem::exists(corpus() / "zf-mirror/A.zst")) GTEST_SKIP() << "no corpus";
  std::string path = unpack("zf-mirror", "A");
  ASSERT_FALSE(path.empty());
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> region(112 * 1024);
  f.seekg(16384);
  f.read(reinterpret_cast<char*>(region.data()), region.size());
  ASSERT_TRUE(f.good());
  auto l = NvList::decode(region);
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->get_string("name"), "zf-mirror");
  EXPECT_EQ(l->get_u64("version"), 23u);
  const NvList* tree = l->get_nvlist("vdev_tree");
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(tree->get_string("type"), "mirror");
  auto* kids = tree->get_nvlist_array("children");
  ASSERT_NE(kids, nullptr);
  EXPECT_EQ(kids->size(), 2u);
  EXPECT_EQ(kids->at(0).get_string("type"), "file");
  // Re-encoding reproduces zfs-fuse's bytes exactly, size words included.
  auto enc = l->encode_xdr();
  ASSERT_LE(enc.size(), region.size());
  EXPECT_TRUE(std::equal(enc.begin(), enc.end(), region.begin()));
  EXPECT_NE(l->to_string().find("name: 'zf-mirror'"), std::string::npos);
}

}  // namespace
}  // namespace fzfs
