// Checksums against the definitions and standard vectors, and every fletcher4 kernel
// against the scalar loop. Suites are named "checksum" so `ctest -R checksum` finds them.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/checksum/checksum.h"
#include "engine/checksum/fletcher4_simd.h"
#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

using fletcher_internal::fletcher4_impls;
using fletcher_internal::fletcher4_with;

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// fletcher4 written straight from its definition, with the words read in a chosen order.
Cksum fletcher4_reference(std::span<const uint8_t> d, bool big_endian_words) {
  uint64_t a = 0, b = 0, c = 0, e = 0;
  for (size_t i = 0; i + 4 <= d.size(); i += 4) {
    a += big_endian_words ? load_be<uint32_t>(&d[i]) : load_le<uint32_t>(&d[i]);
    b += a;
    c += b;
    e += c;
  }
  return Cksum{{a, b, c, e}};
}

// Cksum from the hex of a digest, the digest's bytes read as big-endian words.
Cksum from_hex_be(const std::string& hex) {
  Cksum c;
  for (int w = 0; w < 4; w++) c.w[w] = std::stoull(hex.substr(16 * w, 16), nullptr, 16);
  return c;
}

TEST(checksum, Names) {
  EXPECT_EQ(checksum_name(ChecksumType::kFletcher4), "fletcher4");
  EXPECT_EQ(checksum_name(ChecksumType::kSha256), "sha256");
  EXPECT_EQ(checksum_name(ChecksumType::kGangHeader), "gang_header");
  EXPECT_EQ(checksum_name(ChecksumType::kBlake3), "blake3");
  EXPECT_EQ(checksum_name(static_cast<ChecksumType>(200)), "unknown");
}

TEST(checksum, Fletcher4SmallVectorByHand) {
  // Words 1, 2, 3, 4 in host order: a = 1+2+3+4, b = 1+3+6+10, c = 1+4+10+20,
  // d = 1+5+15+35.
  std::vector<uint8_t> buf(16);
  for (uint32_t i = 0; i < 4; i++) store<uint32_t>(&buf[4 * i], i + 1);
  Cksum want{{10, 20, 35, 56}};
  EXPECT_EQ(fletcher4_scalar(buf, false), want);
  EXPECT_EQ(fletcher4(buf, false), want);
  // The same words written by a foreign-endian host.
  bswap_u32_array(buf.data(), buf.size());
  EXPECT_EQ(fletcher4(buf, true), want);
}

TEST(checksum, Fletcher2SmallVectorByHand) {
  // 64-bit words 1, 2, 3, 4: lanes (1, 3) and (2, 4); b sums the running a values.
  std::vector<uint8_t> buf(32);
  for (uint64_t i = 0; i < 4; i++) store<uint64_t>(&buf[8 * i], i + 1);
  Cksum want{{1 + 3, 2 + 4, 1 + 4, 2 + 6}};
  EXPECT_EQ(fletcher2(buf, false), want);
  bswap_u64_array(buf.data(), buf.size());
  EXPECT_EQ(fletcher2(buf, true), want);
}

TEST(checksum, Fletcher2IgnoresPartialTrailingPair) {
  auto buf = random_bytes(48, 1);
  EXPECT_EQ(fletcher2(std::span(buf).first(40), false), fletcher2(std::span(buf).first(32), false));
}

TEST(checksum, Fletcher4MatchesDefinitionAndWraps) {
  // All-ones words overflow the higher sums many times over in 1 MiB.
  std::vector<uint8_t> ones(1 << 20, 0xff);
  EXPECT_EQ(fletcher4(ones, false), fletcher4_reference(ones, !kHostLittle));
  auto rnd = random_bytes(128 * 1024, 2);
  EXPECT_EQ(fletcher4(rnd, false), fletcher4_reference(rnd, !kHostLittle));
  EXPECT_EQ(fletcher4(rnd, true), fletcher4_reference(rnd, kHostLittle));
  EXPECT_EQ(fletcher4_scalar(rnd, true), fletcher4_reference(rnd, kHostLittle));
}

TEST(checksum, Fletcher4EmptyIsZero) {
  EXPECT_EQ(fletcher4({}, false), Cksum{});
  EXPECT_EQ(fletcher2({}, false), Cksum{});
}

TEST(checksum, EveryFletcher4KernelEqualsScalar) {
  auto buf = random_bytes(256 * 1024 + 128, 3);  // room for the largest size at offset 1
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 2048; n += 4) sizes.push_back(n);
  for (size_t n : {4096, 4100, 8192 + 60, 65536, 131072, 131072 + 4, 262144 + 64}) sizes.push_back(n);
  ASSERT_GE(fletcher4_impls().size(), 1u);
  EXPECT_EQ(fletcher4_impls().front().name, "scalar");
  for (const auto& impl : fletcher4_impls()) {
    for (size_t n : sizes) {
      for (bool swap : {false, true}) {
        // Odd offsets too: kernels must not assume alignment.
        for (size_t off : {0, 1}) {
          std::span<const uint8_t> d(buf.data() + off, n);
          ASSERT_EQ(fletcher4_with(impl, d, swap), fletcher4_scalar(d, swap))
              << impl.name << " size " << n << " swap " << swap << " off " << off;
        }
      }
    }
  }
}

TEST(checksum, Fletcher4KernelsWrapLikeScalar) {
  std::vector<uint8_t> ones(4 << 20, 0xff);
  for (const auto& impl : fletcher4_impls())
    EXPECT_EQ(fletcher4_with(impl, ones, false), fletcher4_reference(ones, false)) << impl.name;
}

TEST(checksum, ChosenImplementationIsTheBestAvailable) {
  EXPECT_EQ(fletcher4_impl_name(), fletcher4_impls().back().name);
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2")) {
    EXPECT_NE(fletcher4_impl_name(), "scalar");
  }
#endif
}

TEST(checksum, Sha256FipsVectors) {
  EXPECT_EQ(sha256(bytes_of("abc")),
            from_hex_be("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  EXPECT_EQ(sha256({}),
            from_hex_be("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_EQ(sha256(bytes_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            from_hex_be("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

TEST(checksum, Sha512IsSha512Over256InWriterOrder) {
  // FIPS 180-4 example for SHA-512/256("abc"); ZFS keeps the digest bytes as host words.
  Cksum be = from_hex_be("53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23");
  Cksum host = be, foreign = be;
  for (auto& w : host.w) w = kHostLittle ? bswap(w) : w;
  for (auto& w : foreign.w) w = kHostLittle ? w : bswap(w);
  Cksum got;
  ASSERT_TRUE(compute_checksum(ChecksumType::kSha512, bytes_of("abc"), false, &got));
  EXPECT_EQ(got, host);
  ASSERT_TRUE(compute_checksum(ChecksumType::kSha512, bytes_of("abc"), true, &got));
  EXPECT_EQ(got, foreign);
}

TEST(checksum, DispatchByType) {
  auto buf = random_bytes(4096, 4);
  Cksum got;
  ASSERT_TRUE(compute_checksum(ChecksumType::kFletcher4, buf, false, &got));
  EXPECT_EQ(got, fletcher4_reference(buf, !kHostLittle));
  ASSERT_TRUE(compute_checksum(ChecksumType::kZilog2, buf, true, &got));
  EXPECT_EQ(got, fletcher4_reference(buf, kHostLittle));
  ASSERT_TRUE(compute_checksum(ChecksumType::kZilog, buf, false, &got));
  EXPECT_EQ(got, fletcher2(buf, false));
  for (auto t : {ChecksumType::kLabel, ChecksumType::kGangHeader, ChecksumType::kSha256}) {
    ASSERT_TRUE(compute_checksum(t, buf, true, &got));
    EXPECT_EQ(got, sha256(buf));
  }
  ASSERT_TRUE(compute_checksum(ChecksumType::kOff, buf, false, &got));
  EXPECT_EQ(got, Cksum{});
  for (auto t : {ChecksumType::kInherit, ChecksumType::kOn, ChecksumType::kSkein,
                 ChecksumType::kEdonr, ChecksumType::kBlake3, ChecksumType::kFunctions}) {
    EXPECT_FALSE(checksum_supported(t)) << checksum_name(t);
    EXPECT_FALSE(compute_checksum(t, buf, false, &got)) << checksum_name(t);
  }
}

// Writes an embedded trailer the way a host of the given byte order would: magic and
// verifier in that order, checksum computed by definition, stored in that order.
void seal(std::vector<uint8_t>& block, ChecksumType func, const Cksum& verifier, bool little) {
  uint8_t* eck = block.data() + block.size() - 40;
  auto put = [little](uint8_t* p, uint64_t v) {
    store<uint64_t>(p, little == kHostLittle ? v : bswap(v));
  };
  put(eck, kZecMagic);
  for (int i = 0; i < 4; i++) put(eck + 8 + 8 * i, verifier.w[i]);
  Cksum c = func == ChecksumType::kSha256 ? sha256(block) : fletcher4_reference(block, !little);
  for (int i = 0; i < 4; i++) put(eck + 8 + 8 * i, c.w[i]);
}

TEST(checksum, EmbeddedTrailerNativeAndForeign) {
  const Cksum verifier{{0x21000, 0, 0, 0}};  // e.g. a label's byte offset
  for (auto func : {ChecksumType::kSha256, ChecksumType::kFletcher4}) {
    for (bool little : {true, false}) {
      auto block = random_bytes(8192, 5);
      seal(block, func, verifier, little);
      const auto sealed = block;
      EXPECT_TRUE(verify_embedded(block, func, verifier)) << checksum_name(func) << little;
      EXPECT_EQ(block, sealed) << "block must be restored";
      // Same bytes at another location (different verifier) must fail.
      EXPECT_FALSE(verify_embedded(block, func, Cksum{{0x61000, 0, 0, 0}}));
      EXPECT_EQ(block, sealed);
      block[100] ^= 1;
      EXPECT_FALSE(verify_embedded(block, func, verifier));
      block[100] ^= 1;
      block[block.size() - 1] ^= 0x80;  // a stored checksum word
      EXPECT_FALSE(verify_embedded(block, func, verifier));
    }
  }
}

TEST(checksum, EmbeddedRejectsBadMagicAndShortBlocks) {
  auto block = random_bytes(512, 6);
  seal(block, ChecksumType::kSha256, Cksum{}, kHostLittle);
  EXPECT_TRUE(verify_embedded(block, ChecksumType::kSha256, Cksum{}));
  block[block.size() - 40] ^= 1;
  EXPECT_FALSE(verify_embedded(block, ChecksumType::kSha256, Cksum{}));
  std::vector<uint8_t> tiny(39, 0);
  EXPECT_FALSE(verify_embedded(tiny, ChecksumType::kSha256, Cksum{}));
  EXPECT_FALSE(verify_embedded(block, ChecksumType::kSkein, Cksum{}));
}

}  // namespace
}  // namespace fzfs
