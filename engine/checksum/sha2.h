// Internal to the checksum layer: SHA-2 variants not in the public interface.
#pragma once

#include <cstdint>
#include <span>

#include "engine/checksum/checksum.h"

namespace fzfs {

// ZFS's "sha512" checksum: SHA-512/256, digest bytes taken as words in host order
// (swapped when `byteswap`, i.e. when checking a block from a foreign-endian writer).
Cksum sha512_256(std::span<const uint8_t> data, bool byteswap);

}  // namespace fzfs
