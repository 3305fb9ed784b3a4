// Fletcher checksums as ZFS defines them: plain (non-modular) running sums in 64-bit
// integers that simply wrap.
//   fletcher2: two interleaved streams of 64-bit words, (a0,a1) sums and (b0,b1) sums of
//              sums; result (a0, a1, b0, b1). The input is consumed 16 bytes at a time.
//   fletcher4: one stream of 32-bit words zero-extended to 64 bits; four cascaded sums
//              a += w; b += a; c += b; d += c; result (a, b, c, d).
// Bytes past the last whole unit (16 resp. 4 bytes) do not take part; ZFS only ever
// checksums sizes that are multiples of 512.
#include "engine/checksum/checksum.h"
#include "engine/checksum/fletcher4_simd.h"
#include "engine/util/byteorder.h"

namespace fzfs {
namespace fletcher_internal {

void fletcher4_scalar_update(Fletcher4State* s, const uint8_t* p, size_t words, bool byteswap) {
  uint64_t a = s->a, b = s->b, c = s->c, d = s->d;
  for (size_t i = 0; i < words; i++) {
    uint32_t w = load<uint32_t>(p + 4 * i);
    a += byteswap ? bswap(w) : w;
    b += a;
    c += b;
    d += c;
  }
  *s = {a, b, c, d};
}

Cksum fletcher4_with(const Fletcher4Impl& impl, std::span<const uint8_t> data, bool byteswap) {
  const size_t words = data.size() / 4;
  Fletcher4State s;
  size_t done = 0;
  if (impl.kernel != nullptr) {
    done = data.size() / kSimdBlock * kSimdBlock;
    if (done > 0) s = impl.kernel(data.data(), done, byteswap);
  }
  fletcher4_scalar_update(&s, data.data() + done, words - done / 4, byteswap);
  return Cksum{{s.a, s.b, s.c, s.d}};
}

}  // namespace fletcher_internal

using namespace fletcher_internal;

Cksum fletcher2(std::span<const uint8_t> data, bool byteswap) {
  uint64_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
  const uint8_t* p = data.data();
  for (size_t i = 0; i + 16 <= data.size(); i += 16) {
    uint64_t w0 = load<uint64_t>(p + i), w1 = load<uint64_t>(p + i + 8);
    if (byteswap) {
      w0 = bswap(w0);
      w1 = bswap(w1);
    }
    a0 += w0;
    a1 += w1;
    b0 += a0;
    b1 += a1;
  }
  return Cksum{{a0, a1, b0, b1}};
}

Cksum fletcher4_scalar(std::span<const uint8_t> data, bool byteswap) {
  return fletcher4_with(fletcher4_impls().front(), data, byteswap);
}

Cksum fletcher4(std::span<const uint8_t> data, bool byteswap) {
  return fletcher4_with(fletcher4_best_impl(), data, byteswap);
}

std::string_view fletcher4_impl_name() { return fletcher4_best_impl().name; }

}  // namespace fzfs
