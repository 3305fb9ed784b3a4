// ZFS writes structures in the byte order of the host that wrote them and marks which
// (the uberblock magic, the BP_BYTEORDER bit, the nvlist header). Readers swap when the
// writer's order differs from theirs. These helpers read fixed-width integers from
// unaligned bytes in a given order.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace fzfs {

inline constexpr bool kHostLittle = std::endian::native == std::endian::little;

inline uint16_t bswap(uint16_t v) { return __builtin_bswap16(v); }
inline uint32_t bswap(uint32_t v) { return __builtin_bswap32(v); }
inline uint64_t bswap(uint64_t v) { return __builtin_bswap64(v); }

template <typename T>
inline T load(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
inline void store(void* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

template <typename T>
inline T load_le(const void* p) {
  T v = load<T>(p);
  return kHostLittle ? v : bswap(v);
}
template <typename T>
inline T load_be(const void* p) {
  T v = load<T>(p);
  return kHostLittle ? bswap(v) : v;
}
// Load in the writer's order: little=true for a little-endian writer.
template <typename T>
inline T load_order(const void* p, bool little) {
  return little ? load_le<T>(p) : load_be<T>(p);
}

// Swap an array of 64-bit words in place (most ZFS metadata is uint64 arrays).
inline void bswap_u64_array(void* buf, size_t bytes) {
  auto* p = static_cast<unsigned char*>(buf);
  for (size_t i = 0; i + 8 <= bytes; i += 8) store<uint64_t>(p + i, bswap(load<uint64_t>(p + i)));
}
inline void bswap_u32_array(void* buf, size_t bytes) {
  auto* p = static_cast<unsigned char*>(buf);
  for (size_t i = 0; i + 4 <= bytes; i += 4) store<uint32_t>(p + i, bswap(load<uint32_t>(p + i)));
}

}  // namespace fzfs
