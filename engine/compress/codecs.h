// Internal to the compress layer: one pair of functions per algorithm. compress.cc
// dispatches to them by the on-disk enum.
//
// Decompressors fill exactly dst.size() bytes or return EIO; they read only inside src
// and write only inside dst whatever src holds. Compressors return the framed output, or
// an empty vector when it would exceed max_out bytes (or the input cannot be framed).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/util/status.h"

namespace fzfs::codec {

// LZJB, the original ZFS compressor: LZ77 with a 1 KiB window. Groups of up to eight
// items, each group led by a control byte whose bit i (least significant first) says
// what item i is:
//   bit 0: one literal byte
//   bit 1: a copy, two bytes:
//          byte 0                    byte 1
//          +-------------+-----------+------------------+
//          | len-3       | dist high | dist low         |
//          | (6 bits)    | (2 bits)  | (8 bits)         |
//          +-------------+-----------+------------------+
//          copy len (3..66) bytes from distance (1..1023) bytes back; source and
//          destination may overlap (a run).
// No end marker: the reader stops when the output is full (padding may follow).
Status lzjb_decompress(std::span<const uint8_t> src, std::span<uint8_t> dst);
std::vector<uint8_t> lzjb_compress(std::span<const uint8_t> src, size_t max_out);

// ZLE, "zero-length encoding", for mostly-zero blocks; ZFS fixes its parameter n = 64.
// A stream of tokens, each a byte t then maybe literals:
//   +-------+------------------+
//   | t < n | t+1 literal bytes|       1..64 literals
//   +-------+------------------+
//   | t >= n|                          t-n+1 zero bytes (1..192)
//   +-------+
// No end marker: the reader stops when the output is full (padding may follow).
Status zle_decompress(std::span<const uint8_t> src, std::span<uint8_t> dst);
std::vector<uint8_t> zle_compress(std::span<const uint8_t> src, size_t max_out);

// gzip-N: despite the name, a zlib stream (RFC 1950), as compress2() writes it:
//   +------------+--------------------+-------------------+---------+
//   | CMF, FLG   | deflate data       | Adler-32 (BE u32) | padding |
//   +------------+--------------------+-------------------+---------+
Status gzip_decompress(std::span<const uint8_t> src, std::span<uint8_t> dst);
std::vector<uint8_t> gzip_compress(std::span<const uint8_t> src, size_t max_out, int level);

// lz4: one raw LZ4 block (not an LZ4 frame) behind its exact length, since the
// physical block is padded to the sector size:
//   +------------------------+---------------------------+---------+
//   | length (BE u32)        | LZ4 block (length bytes)  | padding |
//   +------------------------+---------------------------+---------+
Status lz4_decompress(std::span<const uint8_t> src, std::span<uint8_t> dst);
std::vector<uint8_t> lz4_compress(std::span<const uint8_t> src, size_t max_out);

// zstd: one zstd frame in the "magicless" format (no 4-byte frame magic, no content
// size, no frame checksum) behind an 8-byte header:
//   0             4             5                     8
//   +-------------+-------------+---------------------+-------------+---------+
//   | c_len       | level       | version             | frame       | padding |
//   | (BE u32)    | (u8)        | (u24)               | (c_len)     |         |
//   +-------------+-------------+---------------------+-------------+---------+
//                 \____ one BE u32: level << 24 | version ___/
// level is ZFS's number (1..19 for zstd-N, 103..123 for zstd-fast-N), version the
// writing libzstd's (10405 for 1.4.5). Early OpenZFS releases built that word through a
// C bitfield, so some blocks hold the level in the low byte and/or the word swapped;
// the reader finds the level from where the version's always-zero top byte sits.
//
// `level` is a zstd level: 1..19, or a ZFS "zstd-fast" level -1..-10, -20..-100 by tens,
// -500, -1000. Others give an empty result.
Status zstd_decompress(std::span<const uint8_t> src, std::span<uint8_t> dst);
std::vector<uint8_t> zstd_compress(std::span<const uint8_t> src, size_t max_out, int level);

// Writes v big-endian (the framing headers are big-endian on every host).
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// A compressor's buffer: its worst-case output size, but never more than max_out.
inline size_t capped(size_t bound, size_t max_out) { return bound < max_out ? bound : max_out; }

}  // namespace fzfs::codec
