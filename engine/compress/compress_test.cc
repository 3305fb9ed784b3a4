// Every codec: round trips on varied data, ZFS framing checked against the libraries'
// own decoders and header fields, hand-built lzjb/zle streams, and hostile input that
// must give an error (under ASan: without touching memory outside the buffers).
// Suites are named "compress" so `ctest -R compress` finds them.
#include <gtest/gtest.h>

#include <lz4.h>
#include <lz4hc.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>
#include <vector>

#include "engine/checksum/checksum.h"
#include "engine/compress/compress.h"
#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

using Bytes = std::vector<uint8_t>;

// ---- test data -------------------------------------------------------------------

Bytes zeros(size_t n) { return Bytes(n, 0); }

Bytes random_data(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

Bytes text(size_t n, uint32_t seed) {
  static const char* kWords[] = {"the ", "pool ", "dataset ", "snapshot ", "block ", "pointer ",
                                 "checksum ", "of ", "and ", "zfs ", "\n", "txg ", "42 "};
  std::mt19937 rng(seed);
  Bytes v;
  while (v.size() < n) {
    std::string_view w = kWords[rng() % std::size(kWords)];
    v.insert(v.end(), w.begin(), w.end());
  }
  v.resize(n);
  return v;
}

// Runs of zeros, text, random bytes and single-byte runs, in turn.
Bytes mixed(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes v;
  while (v.size() < n) {
    size_t len = 1 + rng() % 700;
    Bytes part;
    switch (rng() % 4) {
      case 0: part = zeros(len); break;
      case 1: part = text(len, rng()); break;
      case 2: part = random_data(len, rng()); break;
      default: part = Bytes(len, static_cast<uint8_t>(rng())); break;
    }
    v.insert(v.end(), part.begin(), part.end());
  }
  v.resize(n);
  return v;
}

// Pads to a 512-byte multiple, as a physical block on disk is.
Bytes padded(Bytes v, uint8_t fill = 0) {
  v.resize((v.size() + 511) / 512 * 512, fill);
  return v;
}

// ---- codecs under test --------------------------------------------------------------

struct Codec {
  std::string name;
  Compress c;
  int level;  // zstd only
};

std::vector<Codec> all_codecs() {
  return {{"lzjb", Compress::kLzjb, 0},    {"zle", Compress::kZle, 0},
          {"gzip1", Compress::kGzip1, 0},  {"gzip6", Compress::kGzip6, 0},
          {"gzip9", Compress::kGzip9, 0},  {"lz4", Compress::kLz4, 0},
          {"zstd1", Compress::kZstd, 1},   {"zstd3", Compress::kZstd, 3},
          {"zstd19", Compress::kZstd, 19}, {"zstdfast1", Compress::kZstd, -1},
          {"zstdfast1000", Compress::kZstd, -1000}};
}

// Test names print the codec's name (not the struct's bytes).
void PrintTo(const Codec& k, std::ostream* os) { *os << k.name; }

class Roundtrip : public ::testing::TestWithParam<Codec> {};

TEST_P(Roundtrip, VariedDataAndSizes) {
  const Codec& k = GetParam();
  for (size_t size : {512, 1000, 4096, 4097, 8192, 32768, 65536, 131072}) {
    const std::pair<const char*, Bytes> inputs[] = {
        {"zeros", zeros(size)},          {"random", random_data(size, 1)},
        {"text", text(size, 2)},         {"mixed", mixed(size, 3)},
        {"ones", Bytes(size, 0xff)},
    };
    for (const auto& [what, src] : inputs) {
      SCOPED_TRACE(::testing::Message() << k.name << " " << what << " " << size);
      Bytes c = compress(k.c, src, SIZE_MAX, k.level);
      ASSERT_FALSE(c.empty());
      Bytes back(src.size(), 0xa5);
      Status st = decompress(k.c, padded(c), back);
      ASSERT_TRUE(st.ok()) << st.error().message();
      ASSERT_EQ(back, src);
      // ZLE only removes zeros; zstd-fast-1000 trades nearly all ratio for speed.
      const bool any_ratio = k.level != -1000;
      const bool lz_family = any_ratio && k.c != Compress::kZle;
      const std::string_view kind = what;
      if ((any_ratio && kind == "zeros") || (lz_family && kind == "text")) {
        EXPECT_LT(c.size(), src.size() * 7 / 8) << "should compress";
      }
    }
  }
}

TEST_P(Roundtrip, MaxOutIsExact) {
  const Codec& k = GetParam();
  for (const Bytes& src : {text(131072, 4), mixed(16384, 5), zeros(4096)}) {
    Bytes c = compress(k.c, src, SIZE_MAX, k.level);
    ASSERT_FALSE(c.empty());
    EXPECT_EQ(compress(k.c, src, c.size() - 1, k.level), Bytes{}) << k.name;
    Bytes fit = compress(k.c, src, c.size(), k.level);
    ASSERT_FALSE(fit.empty()) << k.name;
    Bytes back(src.size());
    ASSERT_TRUE(decompress(k.c, fit, back).ok());
    EXPECT_EQ(back, src);
  }
}

TEST_P(Roundtrip, IncompressibleDataDoesNotFitSevenEighths) {
  const Codec& k = GetParam();
  Bytes src = random_data(131072, 6);
  EXPECT_TRUE(compress(k.c, src, src.size() * 7 / 8, k.level).empty()) << k.name;
}

TEST_P(Roundtrip, EveryTruncationIsAnError) {
  const Codec& k = GetParam();
  Bytes src = mixed(8192, 7);
  Bytes c = compress(k.c, src, SIZE_MAX, k.level);
  ASSERT_FALSE(c.empty());
  Bytes back(src.size());
  for (size_t n = 0; n < c.size(); n++) {
    Bytes cut(c.begin(), c.begin() + n);
    EXPECT_FALSE(decompress(k.c, cut, back).ok()) << k.name << " cut to " << n;
  }
}

TEST_P(Roundtrip, CorruptionNeverCrashes) {
  const Codec& k = GetParam();
  Bytes src = mixed(16384, 8);
  const Bytes c = padded(compress(k.c, src, SIZE_MAX, k.level), 0x5a);
  std::mt19937 rng(9);
  Bytes back(src.size());
  for (int round = 0; round < 400; round++) {
    Bytes bad = c;
    int flips = 1 + rng() % 8;
    for (int f = 0; f < flips; f++) bad[rng() % bad.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    (void)decompress(k.c, bad, back);  // either outcome is fine; ASan checks the memory
  }
}

TEST_P(Roundtrip, GarbageNeverCrashes) {
  const Codec& k = GetParam();
  std::mt19937 rng(10);
  for (int round = 0; round < 300; round++) {
    Bytes junk = random_data(rng() % 3000, rng());
    // Plausible headers get the garbage past the framing checks into the decoders.
    if (junk.size() >= 8 && (round & 1)) {
      size_t len = junk.size() - 8;
      junk[0] = 0, junk[1] = 0, junk[2] = static_cast<uint8_t>(len >> 8), junk[3] = static_cast<uint8_t>(len);
      if (k.c == Compress::kZstd) junk[4] = 3, junk[5] = 0;
    }
    Bytes back(1 + rng() % 20000);
    (void)decompress(k.c, junk, back);
  }
}

INSTANTIATE_TEST_SUITE_P(compress, Roundtrip, ::testing::ValuesIn(all_codecs()),
                         [](const auto& info) { return info.param.name; });

// ---- names and dispatch ----------------------------------------------------------

TEST(compress, Names) {
  EXPECT_EQ(compress_name(Compress::kLzjb), "lzjb");
  EXPECT_EQ(compress_name(Compress::kGzip1), "gzip-1");
  EXPECT_EQ(compress_name(Compress::kGzip9), "gzip-9");
  EXPECT_EQ(compress_name(Compress::kZle), "zle");
  EXPECT_EQ(compress_name(Compress::kLz4), "lz4");
  EXPECT_EQ(compress_name(Compress::kZstd), "zstd");
  EXPECT_EQ(compress_name(static_cast<Compress>(99)), "unknown");
}

TEST(compress, NonFunctionsAreErrors) {
  Bytes src(512, 1), dst(512);
  for (Compress c : {Compress::kInherit, Compress::kOn, Compress::kEmpty, Compress::kFunctions,
                     static_cast<Compress>(200)}) {
    Status st = decompress(c, src, dst);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), EIO);
    EXPECT_TRUE(compress(c, src, SIZE_MAX).empty());
  }
}

TEST(compress, OffCopiesAndNeedsEnoughBytes) {
  Bytes src = text(1024, 11), dst(1000);
  ASSERT_TRUE(decompress(Compress::kOff, src, dst).ok());
  EXPECT_TRUE(std::equal(dst.begin(), dst.end(), src.begin()));
  Bytes big(2000);
  EXPECT_FALSE(decompress(Compress::kOff, src, big).ok());
}

// ---- ZFS's own formats, hand-built --------------------------------------------------

TEST(compress, ZleHandBuiltStream) {
  // Token 2: three literals; token 64+4: five zeros; token 0: one literal.
  const Bytes stream = {2, 'a', 'b', 'c', 64 + 4, 0, 'z'};
  const Bytes want = {'a', 'b', 'c', 0, 0, 0, 0, 0, 'z'};
  Bytes out(want.size());
  ASSERT_TRUE(decompress(Compress::kZle, stream, out).ok());
  EXPECT_EQ(out, want);
  // The longest zero run is 192; a literal run may not pass the end of the input.
  Bytes big(192);
  ASSERT_TRUE(decompress(Compress::kZle, Bytes{255}, big).ok());
  EXPECT_EQ(big, zeros(192));
  EXPECT_FALSE(decompress(Compress::kZle, Bytes{5, 'a'}, out).ok());
  // A run longer than the output is an error, not a partial write.
  Bytes small(3);
  EXPECT_FALSE(decompress(Compress::kZle, Bytes{64 + 9}, small).ok());
  // And the encoder uses the same tokens.
  EXPECT_EQ(compress(Compress::kZle, want, SIZE_MAX), (Bytes{2, 'a', 'b', 'c', 64 + 4, 0, 'z'}));
}

TEST(compress, LzjbHandBuiltStream) {
  // Control 0b1000: three literals then a copy of 6 bytes from 3 back (overlapping).
  const Bytes stream = {0x08, 'a', 'b', 'c', (6 - 3) << 2, 3};
  Bytes out(9);
  ASSERT_TRUE(decompress(Compress::kLzjb, stream, out).ok());
  EXPECT_EQ(std::string(out.begin(), out.end()), "abcabcabc");
  // A copy from before the start of the output, or from distance 0, is corrupt.
  EXPECT_FALSE(decompress(Compress::kLzjb, Bytes{0x08, 'a', 'b', 'c', 0, 4}, out).ok());
  EXPECT_FALSE(decompress(Compress::kLzjb, Bytes{0x08, 'a', 'b', 'c', 0, 0}, out).ok());
  // Distances use 10 bits: the top two bits of the first byte belong to the distance.
  Bytes far = text(2000, 12);
  Bytes c = compress(Compress::kLzjb, far, SIZE_MAX);
  Bytes back(far.size());
  ASSERT_TRUE(decompress(Compress::kLzjb, c, back).ok());
  EXPECT_EQ(back, far);
}

// ---- a block written by a real ZFS -----------------------------------------------------

// The MOS objset block of the zfs-fuse pool zf-stripe (conformance corpus, device A,
// uberblock txg 301): lzjb, lsize 2048, psize 512, fletcher4, little-endian writer.
// Its 169 stream bytes are followed on disk by zero padding to 512.
const uint8_t kZfsFuseMosLzjb[] = {
    0x00, 0x0a, 0x0e, 0x02, 0x03, 0x00, 0x00, 0x00, 0x01, 0x36, 0x20, 0x00, 0x05, 0x04, 0x03, 0x07,
    0x04, 0x05, 0x04, 0x04, 0x02, 0x01, 0x4f, 0x04, 0x06, 0x78, 0x04, 0x04, 0x3d, 0x04, 0x25, 0x96,
    0x7e, 0x04, 0x06, 0x00, 0x9a, 0x00, 0x18, 0x10, 0x0a, 0x0c, 0x40, 0x14, 0x10, 0x73, 0x66, 0x0c,
    0x10, 0x00, 0x1f, 0x00, 0x02, 0x00, 0x03, 0x07, 0x0a, 0x81, 0x4b, 0x0c, 0x2e, 0x3c, 0x06, 0x2d,
    0x0c, 0x27, 0x00, 0xb2, 0x10, 0x1b, 0xa7, 0x10, 0x27, 0x77, 0x2a, 0x7a, 0x00, 0x0c, 0x09, 0xd7,
    0x89, 0x00, 0x4a, 0xe7, 0x70, 0x00, 0x00, 0x40, 0xe0, 0xab, 0x00, 0x33, 0x50, 0xa2, 0x38, 0x00,
    0x8f, 0x57, 0x84, 0xe0, 0x59, 0x5f, 0x18, 0x5c, 0x14, 0x00, 0x1b, 0xfc, 0x03, 0xfc, 0x42, 0xff,
    0xfc, 0x42, 0xfc, 0x42, 0xfc, 0x42, 0xfc, 0x42, 0xfc, 0x42, 0xb0, 0x42, 0x12, 0x2f, 0xb0, 0x36,
    0xff, 0xfc, 0x2f, 0xfc, 0x42, 0xfc, 0x42, 0xfc, 0x42, 0xfc, 0x42, 0xfc, 0x42, 0xfc, 0x42, 0xfc,
    0x42, 0xff, 0xfc, 0x42, 0xfc, 0x42, 0xfc, 0x42, 0xfc, 0x42, 0xfc, 0x42, 0xfc, 0x42, 0xfc, 0x42,
    0xfc, 0x42, 0x07, 0xfc, 0x42, 0xfc, 0x42, 0xfc, 0x42,
};
// blk_cksum from the block pointer that zfs-fuse wrote for it.
const Cksum kZfsFuseMosCksum{{0x0000000fb7ccc0baULL, 0x000006266b6c6de5ULL, 0x0001399285dfdb0bULL,
                              0x002a60c5caa5a117ULL}};
// SHA-256 of the 2048 bytes OpenZFS's own lzjb decoder produces from it.
const Cksum kZfsFuseMosSha256{{0xccc414b60268f893ULL, 0x4fc1e65c38f1d603ULL, 0x8f194dee4b48f334ULL,
                               0xa4bd63254267d19dULL}};

TEST(compress, LzjbBlockWrittenByZfsFuse) {
  Bytes phys(std::begin(kZfsFuseMosLzjb), std::end(kZfsFuseMosLzjb));
  phys.resize(512, 0);
  // These are exactly the bytes ZFS checksummed...
  ASSERT_EQ(fletcher4(phys, !kHostLittle), kZfsFuseMosCksum);
  // ...and they expand to what ZFS's decoder makes of them: an objset whose meta dnode
  // has type DMU_OT_DNODE (10) and whose os_type (at byte 704) is DMU_OST_META (1).
  Bytes logical(2048);
  Status st = decompress(Compress::kLzjb, phys, logical);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(sha256(logical), kZfsFuseMosSha256);
  EXPECT_EQ(logical[0], 10);
  EXPECT_EQ(load_le<uint64_t>(&logical[704]), 1u);
}

// ---- library framings ---------------------------------------------------------------

TEST(compress, Lz4FramingIsLengthThenRawBlock) {
  Bytes src = text(65536, 13);
  Bytes c = compress(Compress::kLz4, src, SIZE_MAX);
  ASSERT_GT(c.size(), 4u);
  EXPECT_EQ(load_be<uint32_t>(c.data()), c.size() - 4);
  Bytes back(src.size());
  ASSERT_EQ(LZ4_decompress_safe(reinterpret_cast<const char*>(c.data() + 4), reinterpret_cast<char*>(back.data()),
                                static_cast<int>(c.size() - 4), static_cast<int>(back.size())),
            static_cast<int>(src.size()));
  EXPECT_EQ(back, src);

  // A block from another LZ4 encoder, framed by hand.
  Bytes hc(4 + LZ4_compressBound(static_cast<int>(src.size())));
  int n = LZ4_compress_HC(reinterpret_cast<const char*>(src.data()), reinterpret_cast<char*>(hc.data() + 4),
                          static_cast<int>(src.size()), static_cast<int>(hc.size() - 4), 9);
  ASSERT_GT(n, 0);
  hc.resize(4 + n);
  hc[0] = static_cast<uint8_t>(n >> 24), hc[1] = static_cast<uint8_t>(n >> 16);
  hc[2] = static_cast<uint8_t>(n >> 8), hc[3] = static_cast<uint8_t>(n);
  std::fill(back.begin(), back.end(), 0);
  ASSERT_TRUE(decompress(Compress::kLz4, padded(hc, 0xee), back).ok());
  EXPECT_EQ(back, src);

  // Lengths that point past the block, or output of the wrong size, are errors.
  Bytes bad = hc;
  bad[3] = static_cast<uint8_t>(bad[3] + 1);
  EXPECT_FALSE(decompress(Compress::kLz4, bad, back).ok());
  Bytes shorter(src.size() - 1), longer(src.size() + 1);
  EXPECT_FALSE(decompress(Compress::kLz4, hc, shorter).ok());
  EXPECT_FALSE(decompress(Compress::kLz4, hc, longer).ok());
}

// Frames `frame` (a zstd frame without its magic) with a ZFS header word.
Bytes zfs_zstd_block(const Bytes& frame, uint32_t header_word) {
  Bytes b(8);
  for (int i = 0; i < 4; i++) {
    b[i] = static_cast<uint8_t>(frame.size() >> (24 - 8 * i));
    b[4 + i] = static_cast<uint8_t>(header_word >> (24 - 8 * i));
  }
  b.insert(b.end(), frame.begin(), frame.end());
  return b;
}

TEST(compress, ZstdFramingHeaderAndMagiclessFrame) {
  Bytes src = text(131072, 14);
  for (auto [level, zfs_level] : {std::pair{3, 3}, {19, 19}, {-1, 103}, {-10, 112}, {-1000, 123}}) {
    Bytes c = compress(Compress::kZstd, src, SIZE_MAX, level);
    ASSERT_GT(c.size(), 8u);
    EXPECT_EQ(load_be<uint32_t>(c.data()), c.size() - 8);
    EXPECT_EQ(c[4], zfs_level) << level;
    EXPECT_EQ(load_be<uint32_t>(c.data() + 4) & 0xffffff, ZSTD_versionNumber());
    // Putting the magic back gives an ordinary frame the library decodes.
    Bytes frame = {0x28, 0xb5, 0x2f, 0xfd};
    frame.insert(frame.end(), c.begin() + 8, c.end());
    Bytes back(src.size());
    ASSERT_EQ(ZSTD_decompress(back.data(), back.size(), frame.data(), frame.size()), src.size());
    EXPECT_EQ(back, src);
  }
}

TEST(compress, ZstdAcceptsEveryHeaderLayoutAndRejectsBadLevels) {
  Bytes src = mixed(65536, 15);
  Bytes frame(ZSTD_compressBound(src.size()));
  size_t n = ZSTD_compress(frame.data(), frame.size(), src.data(), src.size(), 5);
  ASSERT_FALSE(ZSTD_isError(n));
  frame.resize(n);
  frame.erase(frame.begin(), frame.begin() + 4);  // ZFS stores frames without the magic
  const uint32_t version = 10405, level = 5;
  Bytes back(src.size());
  // Today's layout, the level-in-low-byte layout, and both byte-swapped (older writers).
  for (uint32_t word : {level << 24 | version, version << 8 | level, bswap(level << 24 | version),
                        bswap(version << 8 | level)}) {
    std::fill(back.begin(), back.end(), 0);
    Status st = decompress(Compress::kZstd, padded(zfs_zstd_block(frame, word)), back);
    ASSERT_TRUE(st.ok()) << std::hex << word << ": " << st.error().message();
    EXPECT_EQ(back, src);
  }
  for (uint32_t bad_level : {0u, 20u, 101u, 124u, 251u}) {
    Status st = decompress(Compress::kZstd, zfs_zstd_block(frame, bad_level << 24 | version), back);
    EXPECT_FALSE(st.ok()) << bad_level;
  }
  EXPECT_FALSE(decompress(Compress::kZstd, zfs_zstd_block(frame, 0x01020304), back).ok());
  Bytes shorter(src.size() - 1), longer(src.size() + 1);
  Bytes good = zfs_zstd_block(frame, level << 24 | version);
  EXPECT_FALSE(decompress(Compress::kZstd, good, shorter).ok());
  EXPECT_FALSE(decompress(Compress::kZstd, good, longer).ok());
  EXPECT_TRUE(compress(Compress::kZstd, src, SIZE_MAX, 0).empty());
  EXPECT_TRUE(compress(Compress::kZstd, src, SIZE_MAX, 20).empty());
  EXPECT_TRUE(compress(Compress::kZstd, src, SIZE_MAX, -11).empty());
}

TEST(compress, GzipIsAZlibStream) {
  Bytes src = text(131072, 16);
  for (Compress c : {Compress::kGzip1, Compress::kGzip6, Compress::kGzip9}) {
    Bytes z = compress(c, src, SIZE_MAX);
    ASSERT_GT(z.size(), 2u);
    EXPECT_EQ(z[0], 0x78);                             // deflate, 32 KiB window
    EXPECT_EQ(((z[0] << 8) | z[1]) % 31, 0);           // RFC 1950 header check
    Bytes back(src.size());
    uLongf len = back.size();
    ASSERT_EQ(uncompress(back.data(), &len, z.data(), z.size()), Z_OK);
    EXPECT_EQ(back, src);
    // Any gzip-N decodes any level, with padding after the stream.
    std::fill(back.begin(), back.end(), 0);
    ASSERT_TRUE(decompress(Compress::kGzip2, padded(z, 0x33), back).ok());
    EXPECT_EQ(back, src);
    Bytes shorter(src.size() - 1), longer(src.size() + 1);
    EXPECT_FALSE(decompress(c, z, shorter).ok());
    EXPECT_FALSE(decompress(c, z, longer).ok());
    Bytes bad_adler = z;
    bad_adler.back() ^= 1;
    EXPECT_FALSE(decompress(c, bad_adler, back).ok());
  }
}

TEST(compress, ZeroLengthOutput) {
  Bytes none;
  for (const Codec& k : all_codecs()) {
    Bytes c = compress(k.c, none, SIZE_MAX, k.level);
    Status st = decompress(k.c, c, none);
    EXPECT_TRUE(st.ok()) << k.name << ": " << (st.ok() ? "" : st.error().message());
  }
}

}  // namespace
}  // namespace fzfs
