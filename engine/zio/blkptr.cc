#include "engine/zio/blkptr.h"

#include <fmt/format.h>

#include "engine/util/byteorder.h"

namespace fzfs {

std::string Dva::to_string() const {
  return fmt::format("<{:x}:{:x}:{:x}>", vdev(), offset(), asize());
}

Blkptr Blkptr::decode(const uint8_t* p, bool little) {
  uint64_t w[16];
  for (int i = 0; i < 16; i++) w[i] = load_order<uint64_t>(p + 8 * i, little);
  Blkptr bp;
  for (int d = 0; d < 3; d++) bp.dva[d].word[0] = w[2 * d], bp.dva[d].word[1] = w[2 * d + 1];
  bp.prop = w[6];
  bp.pad[0] = w[7];
  bp.pad[1] = w[8];
  bp.phys_birth = w[9];
  bp.birth = w[10];
  bp.fill = w[11];
  for (int i = 0; i < 4; i++) bp.cksum.w[i] = w[12 + i];
  return bp;
}

void Blkptr::encode(uint8_t* p) const {
  uint64_t w[16];
  for (int d = 0; d < 3; d++) w[2 * d] = dva[d].word[0], w[2 * d + 1] = dva[d].word[1];
  w[6] = prop;
  w[7] = pad[0];
  w[8] = pad[1];
  w[9] = phys_birth;
  w[10] = birth;
  w[11] = fill;
  for (int i = 0; i < 4; i++) w[12 + i] = cksum.w[i];
  for (int i = 0; i < 16; i++) store<uint64_t>(p + 8 * i, w[i]);
}

int Blkptr::ndvas() const {
  if (embedded()) return 0;
  int n = 0;
  for (const auto& d : dva) n += d.asize() != 0;
  return n;
}

void Blkptr::embedded_payload(uint8_t* out) const {
  // Payload words in order: 0-5, 7-9, 11-15 (skipping blk_prop and the logical birth);
  // bytes come out of each word least significant first.
  const uint64_t words[14] = {dva[0].word[0], dva[0].word[1], dva[1].word[0], dva[1].word[1],
                              dva[2].word[0], dva[2].word[1], pad[0],         pad[1],
                              phys_birth,     fill,           cksum.w[0],     cksum.w[1],
                              cksum.w[2],     cksum.w[3]};
  uint64_t n = psize();
  for (uint64_t i = 0; i < n && i < 112; i++) out[i] = (words[i / 8] >> (8 * (i % 8))) & 0xff;
}

std::string Blkptr::to_string() const {
  if (embedded()) {
    return fmt::format("EMBEDDED et={} L{} type={} {:x}L/{:x}P birth={}L comp={}",
                       static_cast<int>(etype()), level(), type(), lsize(), psize(), birth,
                       compress_name(compress()));
  }
  if (is_hole()) return fmt::format("HOLE L{} type={} {:x}L birth={}L", level(), type(), lsize(), birth);
  std::string s;
  for (const auto& d : dva) {
    if (d.asize() == 0) continue;
    s += fmt::format("DVA={}{} ", d.to_string(), d.gang() ? " GANG" : "");
  }
  s += fmt::format("L{} type={} {:x}L/{:x}P {} {} {} birth={}L/{}P fill={} cksum={:x}:{:x}:{:x}:{:x}",
                   level(), type(), lsize(), psize(), compress_name(compress()),
                   checksum_name(checksum()), little_endian() ? "LE" : "BE", birth,
                   physical_birth(), fill, cksum.w[0], cksum.w[1], cksum.w[2], cksum.w[3]);
  return s;
}

}  // namespace fzfs
