#include "engine/zap/zap_hash.h"

#include <array>

namespace fzfs {
namespace {

// Byte-at-a-time table for the reflected polynomial: entry i is the CRC of the single
// byte i with a zero register.
constexpr std::array<uint64_t, 256> make_table() {
  std::array<uint64_t, 256> t{};
  for (uint64_t i = 0; i < 256; i++) {
    uint64_t r = i;
    for (int bit = 0; bit < 8; bit++) r = (r >> 1) ^ ((r & 1) ? kZfsCrc64Poly : 0);
    t[i] = r;
  }
  return t;
}
constexpr std::array<uint64_t, 256> kTable = make_table();

uint64_t step(uint64_t h, uint8_t byte) { return (h >> 8) ^ kTable[(h ^ byte) & 0xFF]; }

uint64_t truncate(uint64_t h, int hash_bits) {
  return h & ~((uint64_t{1} << (64 - hash_bits)) - 1);
}

}  // namespace

uint64_t zfs_crc64(uint64_t seed, std::span<const uint8_t> bytes) {
  uint64_t h = seed;
  for (uint8_t b : bytes) h = step(h, b);
  return h;
}

int zap_hash_bits(uint64_t zap_flags) { return (zap_flags & 1) ? 48 : 28; }

uint64_t zap_hash_name(uint64_t salt, std::string_view name, int hash_bits) {
  auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(name.data()), name.size());
  return truncate(zfs_crc64(salt, bytes), hash_bits);
}

uint64_t zap_hash_u64_key(uint64_t salt, std::span<const uint64_t> key, int hash_bits) {
  uint64_t h = salt;
  for (uint64_t word : key) {
    for (int i = 0; i < 8; i++, word >>= 8) h = step(h, static_cast<uint8_t>(word));
  }
  return truncate(h, hash_bits);
}

}  // namespace fzfs
