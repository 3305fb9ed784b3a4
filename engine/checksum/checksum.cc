// Checksum names, dispatch by on-disk type, and embedded-trailer verification.
#include <array>
#include <cstring>

#include "engine/checksum/checksum.h"
#include "engine/checksum/sha2.h"
#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(ChecksumType::kFunctions)> kNames = {
    "inherit", "on",       "off",      "label",  "gang_header", "zilog",  "fletcher2", "fletcher4",
    "sha256",  "zilog2",   "noparity", "sha512", "skein",       "edonr",  "blake3",
};

// Bytes of a zio_eck_t trailer: magic (8) then the checksum (4 x 8).
constexpr size_t kEckSize = 40;
constexpr size_t kEckCksumOffset = 8;

Cksum read_cksum(const uint8_t* p, bool byteswap) {
  Cksum c;
  for (int i = 0; i < 4; i++) {
    c.w[i] = load<uint64_t>(p + 8 * i);
    if (byteswap) c.w[i] = bswap(c.w[i]);
  }
  return c;
}

void write_cksum(uint8_t* p, const Cksum& c, bool byteswap) {
  for (int i = 0; i < 4; i++) store<uint64_t>(p + 8 * i, byteswap ? bswap(c.w[i]) : c.w[i]);
}

}  // namespace

std::string_view checksum_name(ChecksumType t) {
  auto i = static_cast<size_t>(t);
  return i < kNames.size() ? kNames[i] : "unknown";
}

bool checksum_supported(ChecksumType t) {
  switch (t) {
    case ChecksumType::kOff:
    case ChecksumType::kNoparity:
    case ChecksumType::kLabel:
    case ChecksumType::kGangHeader:
    case ChecksumType::kZilog:
    case ChecksumType::kZilog2:
    case ChecksumType::kFletcher2:
    case ChecksumType::kFletcher4:
    case ChecksumType::kSha256:
    case ChecksumType::kSha512:
      return true;
    default:
      return false;
  }
}

bool compute_checksum(ChecksumType t, std::span<const uint8_t> data, bool byteswap, Cksum* out) {
  switch (t) {
    case ChecksumType::kOff:
    case ChecksumType::kNoparity:
      *out = Cksum{};  // ZFS's "off" function yields all zeros
      return true;
    case ChecksumType::kZilog:
    case ChecksumType::kFletcher2:
      *out = fletcher2(data, byteswap);
      return true;
    case ChecksumType::kZilog2:
    case ChecksumType::kFletcher4:
      *out = fletcher4(data, byteswap);
      return true;
    case ChecksumType::kLabel:
    case ChecksumType::kGangHeader:
    case ChecksumType::kSha256:
      *out = sha256(data);  // the digest's word order does not depend on the writer
      return true;
    case ChecksumType::kSha512:
      *out = sha512_256(data, byteswap);
      return true;
    default:
      return false;
  }
}

// The trailer's magic, read in host order, tells the writer's byte order: a foreign
// writer's magic reads swapped. Its checksum words and the verifier we plant are then
// in the writer's order, and the function runs in byte-swapped mode.
bool verify_embedded(std::span<uint8_t> block, ChecksumType func, const Cksum& verifier) {
  if (block.size() < kEckSize || !checksum_supported(func)) return false;
  uint8_t* eck = block.data() + block.size() - kEckSize;
  const uint64_t magic = load<uint64_t>(eck);
  bool byteswap;
  if (magic == kZecMagic) {
    byteswap = false;
  } else if (magic == bswap(kZecMagic)) {
    byteswap = true;
  } else {
    return false;
  }
  uint8_t* slot = eck + kEckCksumOffset;
  uint8_t stored[32];
  std::memcpy(stored, slot, sizeof stored);
  write_cksum(slot, verifier, byteswap);
  Cksum actual;
  bool ok = compute_checksum(func, block, byteswap, &actual);
  std::memcpy(slot, stored, sizeof stored);
  return ok && actual == read_cksum(stored, byteswap);
}

bool seal_embedded(std::span<uint8_t> block, ChecksumType func, const Cksum& verifier) {
  if (block.size() < kEckSize || !checksum_supported(func)) return false;
  uint8_t* eck = block.data() + block.size() - kEckSize;
  store<uint64_t>(eck, kZecMagic);
  uint8_t* slot = eck + kEckCksumOffset;
  write_cksum(slot, verifier, false);
  Cksum sum;
  if (!compute_checksum(func, block, false, &sum)) return false;
  write_cksum(slot, sum, false);
  return true;
}

}  // namespace fzfs
