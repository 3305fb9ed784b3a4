// The ZAP name hash: a CRC-64 (the reflected ECMA-182 polynomial ZFS calls
// ZFS_CRC64_POLY) seeded with the object's salt, over the name's bytes without the
// terminating NUL, then truncated to its high 28 bits (48 with ZAP_FLAG_HASH64). The
// low bits are left zero because a cursor packs the collision differentiator there.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace fzfs {

inline constexpr uint64_t kZfsCrc64Poly = 0xC96C5795D7870F42ULL;

// Raw salted CRC-64 over bytes, with no truncation.
uint64_t zfs_crc64(uint64_t seed, std::span<const uint8_t> bytes);

// Significant hash bits: 48 when the fat ZAP has ZAP_FLAG_HASH64, else 28 (always 28
// for a micro ZAP).
int zap_hash_bits(uint64_t zap_flags);

// Hash of a string key as ZFS stores it in le_hash (fat) or uses to order a micro ZAP.
uint64_t zap_hash_name(uint64_t salt, std::string_view name, int hash_bits);

// Hash of a uint64-array key (ZAP_FLAG_UINT64_KEY): each word fed least significant
// byte first, as the words sit in a little-endian host's memory.
uint64_t zap_hash_u64_key(uint64_t salt, std::span<const uint64_t> key, int hash_bits);

}  // namespace fzfs
