// The block pointer: 128 bytes that say where a block is, how big, how it is
// compressed and checksummed, and when it was born. Every block but the uberblock's
// root is reached through one.
//
//        64      56      48      40      32      24      16       8       0
//        +-------+-------+-------+-------+-------+-------+-------+-------+
//   0    |  vdev1                        | GRID  | ASIZE                 |  DVA[0]
//   1    |G| offset1                                                     |
//   2    |  vdev2                        | GRID  | ASIZE                 |  DVA[1]
//   3    |G| offset2                                                     |
//   4    |  vdev3                        | GRID  | ASIZE                 |  DVA[2]
//   5    |G| offset3                                                     |
//   6    |BDX|lvl| type  | cksum |E| comp|    PSIZE      |     LSIZE     |  blk_prop
//   7    |  padding                                                      |
//   8    |  padding                                                      |
//   9    |  physical birth txg                                           |
//   a    |  logical birth txg                                            |
//   b    |  fill count                                                   |
//   c-f  |  checksum[0..3]                                               |
//        +-------+-------+-------+-------+-------+-------+-------+-------+
//
//   ASIZE, offset, PSIZE, LSIZE are in 512-byte sectors; PSIZE and LSIZE store size-1.
//   G = gang block: the DVA points to a 512-byte gang header listing up to 3 child bps.
//   B = byte order of the block (1 = little endian), D = dedup, X = encrypted,
//   E = embedded: no DVAs; the data itself (at most 112 bytes) lives in words 0-5, 7-9
//   and b-f, and blk_prop holds etype (bits 40..47), PSIZE (bits 25..31, bytes-1) and
//   LSIZE (bits 0..24, bytes-1).
//   A hole is a bp with no DVA allocated (DVA[0] all zero) and not embedded; holes made
//   with the hole_birth feature keep LSIZE, type, level and a birth txg.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <span>
#include <string>

#include "engine/checksum/checksum.h"
#include "engine/compress/compress.h"
#include "engine/util/status.h"

namespace fzfs {

inline constexpr size_t kBlkptrSize = 128;
inline constexpr uint64_t kSectorShift = 9;

struct Dva {
  uint64_t word[2] = {0, 0};
  uint64_t vdev() const { return word[0] >> 32; }
  uint64_t grid() const { return (word[0] >> 24) & 0xff; }
  uint64_t asize() const { return (word[0] & 0xffffff) << kSectorShift; }
  uint64_t offset() const { return (word[1] & ~(1ULL << 63)) << kSectorShift; }
  bool gang() const { return word[1] >> 63; }
  bool empty() const { return word[0] == 0 && word[1] == 0; }
  std::string to_string() const;  // "<vdev:offset:asize>" in hex, as zdb prints
};

enum class EmbeddedType : uint8_t { kData = 0, kReserved = 1, kRedacted = 2 };

struct Blkptr {
  Dva dva[3];
  uint64_t prop = 0;
  uint64_t pad[2] = {0, 0};
  uint64_t phys_birth = 0;
  uint64_t birth = 0;
  uint64_t fill = 0;
  Cksum cksum;

  // Decodes 128 bytes written in the given byte order (little = true for LE writers).
  static Blkptr decode(const uint8_t* p, bool little);
  static Blkptr decode_native(const uint8_t* p) { return decode(p, kHostLittleEndian()); }
  static constexpr bool kHostLittleEndian() {
    return std::endian::native == std::endian::little;
  }
  void encode(uint8_t* p) const;  // host order

  bool embedded() const { return (prop >> 39) & 1; }
  bool is_hole() const { return !embedded() && dva[0].empty(); }
  uint64_t lsize() const {
    return embedded() ? (prop & 0x1ffffff) + 1 : ((prop & 0xffff) + 1) << kSectorShift;
  }
  uint64_t psize() const {
    return embedded() ? ((prop >> 25) & 0x7f) + 1 : (((prop >> 16) & 0xffff) + 1) << kSectorShift;
  }
  Compress compress() const { return static_cast<Compress>((prop >> 32) & 0x7f); }
  ChecksumType checksum() const { return static_cast<ChecksumType>((prop >> 40) & 0xff); }
  EmbeddedType etype() const { return static_cast<EmbeddedType>((prop >> 40) & 0xff); }
  uint8_t type() const { return (prop >> 48) & 0xff; }  // dmu_object_type
  uint8_t level() const { return (prop >> 56) & 0x1f; }
  bool encrypted() const { return (prop >> 61) & 1; }
  bool dedup() const { return (prop >> 62) & 1; }
  bool little_endian() const { return (prop >> 63) & 1; }
  uint64_t physical_birth() const { return phys_birth ? phys_birth : birth; }
  int ndvas() const;

  // The embedded payload (psize() bytes) of an embedded bp.
  void embedded_payload(uint8_t* out) const;

  // One line in zdb's style: DVAs, sizes, compression, checksum, birth, fill.
  std::string to_string() const;
};

}  // namespace fzfs
