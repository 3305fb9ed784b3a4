// lz4 in ZFS framing (drawn in codecs.h) around liblz4's raw block functions.
#include <climits>

#include <lz4.h>

#include "engine/compress/codecs.h"
#include "engine/util/byteorder.h"

namespace fzfs::codec {
namespace {
constexpr size_t kHeader = 4;
}

Status lz4_decompress(std::span<const uint8_t> src, std::span<uint8_t> dst) {
  if (src.size() < kHeader) return make_error(EIO, "lz4: {}-byte block has no length header", src.size());
  const size_t len = load_be<uint32_t>(src.data());
  if (len > src.size() - kHeader)
    return make_error(EIO, "lz4: length {} exceeds the {}-byte block", len, src.size());
  if (len > INT_MAX || dst.size() > INT_MAX) return make_error(EIO, "lz4: block too large");
  const int got = LZ4_decompress_safe(reinterpret_cast<const char*>(src.data() + kHeader),
                                      reinterpret_cast<char*>(dst.data()), static_cast<int>(len),
                                      static_cast<int>(dst.size()));
  if (got < 0) return make_error(EIO, "lz4: malformed data");
  if (static_cast<size_t>(got) != dst.size())
    return make_error(EIO, "lz4: data holds {} bytes, block needs {}", got, dst.size());
  return Status::Ok();
}

std::vector<uint8_t> lz4_compress(std::span<const uint8_t> src, size_t max_out) {
  if (src.size() > LZ4_MAX_INPUT_SIZE || max_out <= kHeader) return {};
  const int bound = LZ4_compressBound(static_cast<int>(src.size()));
  std::vector<uint8_t> out(capped(kHeader + static_cast<size_t>(bound), max_out));
  const int len = LZ4_compress_default(reinterpret_cast<const char*>(src.data()),
                                       reinterpret_cast<char*>(out.data() + kHeader),
                                       static_cast<int>(src.size()),
                                       static_cast<int>(out.size() - kHeader));
  if (len <= 0) return {};  // did not fit
  store_be32(out.data(), static_cast<uint32_t>(len));
  out.resize(kHeader + static_cast<size_t>(len));
  return out;
}

}  // namespace fzfs::codec
