// Block checksums. Every block pointer records which function checksums its block and
// the 256-bit result; a read is good only if the bytes hash to that value.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace fzfs {

// On-disk numbers (blk_prop bits 40..47, and the "checksum" property values).
enum class ChecksumType : uint8_t {
  kInherit = 0, kOn = 1, kOff = 2, kLabel = 3, kGangHeader = 4, kZilog = 5,
  kFletcher2 = 6, kFletcher4 = 7, kSha256 = 8, kZilog2 = 9, kNoparity = 10,
  kSha512 = 11, kSkein = 12, kEdonr = 13, kBlake3 = 14,
  kFunctions = 15,
};
std::string_view checksum_name(ChecksumType t);

// Four 64-bit words, as stored in blk_cksum and in embedded checksum trailers.
struct Cksum {
  uint64_t w[4] = {0, 0, 0, 0};
  bool operator==(const Cksum&) const = default;
};

// Fletcher sums over 32-bit (fletcher4) or 64-bit (fletcher2) words. `byteswap` reads
// the words in the opposite of host order (a block written by a foreign-endian host).
Cksum fletcher2(std::span<const uint8_t> data, bool byteswap);
Cksum fletcher4(std::span<const uint8_t> data, bool byteswap);
Cksum fletcher4_scalar(std::span<const uint8_t> data, bool byteswap);  // reference, for tests/bench
// SHA-256 (OpenSSL). The digest's 32 bytes are read as four big-endian words.
Cksum sha256(std::span<const uint8_t> data);

// Name of the fletcher4 implementation chosen at run time ("avx2", "sse2", "scalar").
std::string_view fletcher4_impl_name();

// True if `t` is a function we can compute.
bool checksum_supported(ChecksumType t);
// Computes checksum `t` over data. For kLabel/kGangHeader/kZilog*, this is the plain
// function (sha256 or fletcher) that the embedded trailer uses; the caller handles the
// trailer and its verifier. Returns false if unsupported.
bool compute_checksum(ChecksumType t, std::span<const uint8_t> data, bool byteswap, Cksum* out);

// Embedded checksums: some blocks (labels, gang headers, ZIL blocks) carry their own
// checksum in a 40-byte trailer at the end (zio_eck_t):
//   +--------------------+----------------------------------+
//   | magic u64          | cksum 4 x u64                    |
//   | 0x0210da7ab10c7a11 | (filled in, computed over the    |
//   +--------------------+  whole block with the cksum field |
//                           holding the "verifier" instead)  |
// The verifier ties the block to its location (label: its byte offset on the device;
// gang header: its DVA and birth txg), so a block copied elsewhere does not verify.
inline constexpr uint64_t kZecMagic = 0x0210da7ab10c7a11ULL;
// Verifies an embedded-checksum block in place (restores it before returning).
// `func` is kSha256 for labels and gang headers, kFletcher4/kFletcher2 for ZIL.
bool verify_embedded(std::span<uint8_t> block, ChecksumType func, const Cksum& verifier);
// Writes the trailer of an embedded-checksum block in host order: magic, then the
// checksum computed with the verifier in its place. False if `func` is unsupported.
bool seal_embedded(std::span<uint8_t> block, ChecksumType func, const Cksum& verifier);

}  // namespace fzfs
