// LZJB: a bounds-checked decoder and a single-probe hash encoder (format in codecs.h).
#include <algorithm>
#include <cstring>

#include "engine/compress/codecs.h"

namespace fzfs::codec {
namespace {

constexpr size_t kMinMatch = 3;
constexpr size_t kMaxMatch = kMinMatch + 63;
constexpr size_t kMaxDistance = 1023;
constexpr size_t kHashBits = 12;

uint32_t hash3(const uint8_t* p) {
  uint32_t v = (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
  return (v * 2654435761u) >> (32 - kHashBits);
}

}  // namespace

Status lzjb_decompress(std::span<const uint8_t> src, std::span<uint8_t> dst) {
  size_t in = 0, out = 0;
  unsigned control = 0, items_left = 0;
  while (out < dst.size()) {
    if (items_left == 0) {
      if (in >= src.size()) return make_error(EIO, "lzjb: input ends at byte {} of {} output", out, dst.size());
      control = src[in++];
      items_left = 8;
    }
    const bool is_copy = control & 1;
    control >>= 1;
    items_left--;
    if (!is_copy) {
      if (in >= src.size()) return make_error(EIO, "lzjb: input ends at byte {} of {} output", out, dst.size());
      dst[out++] = src[in++];
      continue;
    }
    if (src.size() - in < 2) return make_error(EIO, "lzjb: copy item cut off at input byte {}", in);
    const size_t len = (src[in] >> 2) + kMinMatch;
    const size_t distance = ((size_t{src[in]} << 8) | src[in + 1]) & kMaxDistance;
    in += 2;
    if (distance == 0 || distance > out)
      return make_error(EIO, "lzjb: copy from {} bytes back at output byte {}", distance, out);
    // Byte by byte: a copy may read bytes it has just written.
    const size_t n = std::min(len, dst.size() - out);
    for (size_t i = 0; i < n; i++, out++) dst[out] = dst[out - distance];
  }
  return Status::Ok();
}

std::vector<uint8_t> lzjb_compress(std::span<const uint8_t> src, size_t max_out) {
  const size_t n = src.size();
  // Worst case: every byte a literal plus one control byte per eight.
  const size_t cap = capped(n + n / 8 + 1, max_out);
  std::vector<uint8_t> out(cap + 3);  // slack: one item may overshoot before the check
  std::vector<int32_t> last(size_t{1} << kHashBits, -1);
  size_t o = 0, control_at = 0;
  unsigned item = 8;
  for (size_t i = 0; i < n;) {
    if (item == 8) {
      control_at = o;
      out[o++] = 0;
      item = 0;
    }
    size_t len = 0, distance = 0;
    if (n - i >= kMinMatch) {
      int32_t& slot = last[hash3(&src[i])];
      if (slot >= 0) {
        distance = i - static_cast<size_t>(slot);
        if (distance <= kMaxDistance) {
          const size_t limit = std::min(kMaxMatch, n - i);
          while (len < limit && src[i + len] == src[i + len - distance]) len++;
        }
      }
      slot = static_cast<int32_t>(i);
    }
    if (len >= kMinMatch) {
      out[control_at] |= static_cast<uint8_t>(1u << item);
      out[o++] = static_cast<uint8_t>(((len - kMinMatch) << 2) | (distance >> 8));
      out[o++] = static_cast<uint8_t>(distance);
      i += len;
    } else {
      out[o++] = src[i++];
    }
    item++;
    if (o > cap) return {};
  }
  out.resize(o);
  return out;
}

}  // namespace fzfs::codec
