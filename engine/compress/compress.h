// Block compression in ZFS's framings (not the libraries' own frame formats):
//   lzjb, zle   : ZFS's own algorithms, raw output.
//   gzip-N      : a zlib stream (RFC 1950), as compress2() writes it.
//   lz4         : 4-byte big-endian length of the compressed data, then one LZ4 block.
//   zstd        : 8-byte header, big-endian: compressed length (u32), then version (24
//                 bits) and level (8 bits) packed in a u32; then one zstd frame.
// A block is compressed only if it saves at least 1/8 of its size (the "not worth it"
// rule) and the result is rounded up to the sector size by the caller.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/util/status.h"

namespace fzfs {

// On-disk numbers (blk_prop bits 32..38, and the "compression" property values).
enum class Compress : uint8_t {
  kInherit = 0, kOn = 1, kOff = 2, kLzjb = 3, kEmpty = 4,
  kGzip1 = 5, kGzip2, kGzip3, kGzip4, kGzip5, kGzip6, kGzip7, kGzip8, kGzip9 = 13,
  kZle = 14, kLz4 = 15, kZstd = 16,
  kFunctions = 17,
};
std::string_view compress_name(Compress c);  // "lzjb", "gzip-6", "lz4", ...

// Decompresses src (the physical bytes; trailing padding allowed) into exactly dst.size()
// bytes (the logical size). Errors are EIO with a message, never a crash, for any input.
Status decompress(Compress c, std::span<const uint8_t> src, std::span<uint8_t> dst);

// Compresses src; returns the compressed bytes, or an empty vector if the output would
// not fit in `max_out` bytes (the caller then stores the block uncompressed).
// `level` is used by zstd (1..19); gzip's level comes from the enum.
std::vector<uint8_t> compress(Compress c, std::span<const uint8_t> src, size_t max_out,
                              int level = 3);

}  // namespace fzfs
