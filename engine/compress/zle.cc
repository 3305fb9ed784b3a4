// ZLE with n = 64 (format drawn in codecs.h).
#include <cstring>

#include "engine/compress/codecs.h"

namespace fzfs::codec {
namespace {

constexpr size_t kN = 64;
constexpr size_t kMaxZeros = 256 - kN;

}  // namespace

Status zle_decompress(std::span<const uint8_t> src, std::span<uint8_t> dst) {
  size_t in = 0, out = 0;
  while (out < dst.size()) {
    if (in >= src.size()) return make_error(EIO, "zle: input ends at byte {} of {} output", out, dst.size());
    const size_t t = src[in++];
    if (t < kN) {
      const size_t len = t + 1;
      if (len > src.size() - in || len > dst.size() - out)
        return make_error(EIO, "zle: {}-byte literal run at input byte {} overruns", len, in - 1);
      std::memcpy(&dst[out], &src[in], len);
      in += len;
      out += len;
    } else {
      const size_t len = t - kN + 1;
      if (len > dst.size() - out)
        return make_error(EIO, "zle: {}-byte zero run at output byte {} overruns {}", len, out, dst.size());
      std::memset(&dst[out], 0, len);
      out += len;
    }
  }
  return Status::Ok();
}

std::vector<uint8_t> zle_compress(std::span<const uint8_t> src, size_t max_out) {
  const size_t n = src.size();
  // Worst case: one token per 64 literals.
  const size_t cap = capped(n + n / kN + 1, max_out);
  std::vector<uint8_t> out(cap + kN + 1);  // slack: one token may overshoot before the check
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    const size_t start = i;
    if (src[i] == 0) {
      while (i < n && i - start < kMaxZeros && src[i] == 0) i++;
      out[o++] = static_cast<uint8_t>(i - start - 1 + kN);
    } else {
      // Literals run until a pair of zeros (worth a zero token) or the token is full;
      // a lone zero between literals stays a literal.
      while (i < n && i - start < kN && !(src[i] == 0 && i + 1 < n && src[i + 1] == 0)) i++;
      out[o++] = static_cast<uint8_t>(i - start - 1);
      std::memcpy(&out[o], &src[start], i - start);
      o += i - start;
    }
    if (o > cap) return {};
  }
  out.resize(o);
  return out;
}

}  // namespace fzfs::codec
