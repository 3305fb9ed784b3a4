// Names of the compression functions and dispatch from the on-disk enum to the codecs.
#include <cstring>
#include <iterator>

#include "engine/compress/codecs.h"
#include "engine/compress/compress.h"

namespace fzfs {
namespace {

bool is_gzip(Compress c) { return c >= Compress::kGzip1 && c <= Compress::kGzip9; }
int gzip_level(Compress c) { return static_cast<int>(c) - static_cast<int>(Compress::kGzip1) + 1; }

}  // namespace

std::string_view compress_name(Compress c) {
  static constexpr std::string_view kNames[] = {
      "inherit", "on",     "off",    "lzjb",   "empty",  "gzip-1", "gzip-2", "gzip-3", "gzip-4",
      "gzip-5",  "gzip-6", "gzip-7", "gzip-8", "gzip-9", "zle",    "lz4",    "zstd",
  };
  static_assert(std::size(kNames) == static_cast<size_t>(Compress::kFunctions));
  auto i = static_cast<size_t>(c);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

Status decompress(Compress c, std::span<const uint8_t> src, std::span<uint8_t> dst) {
  switch (c) {
    case Compress::kOff:
      if (src.size() < dst.size())
        return make_error(EIO, "uncompressed block has {} bytes, needs {}", src.size(), dst.size());
      if (!dst.empty()) std::memcpy(dst.data(), src.data(), dst.size());
      return Status::Ok();
    case Compress::kLzjb:
      return codec::lzjb_decompress(src, dst);
    case Compress::kZle:
      return codec::zle_decompress(src, dst);
    case Compress::kLz4:
      return codec::lz4_decompress(src, dst);
    case Compress::kZstd:
      return codec::zstd_decompress(src, dst);
    default:
      if (is_gzip(c)) return codec::gzip_decompress(src, dst);
      return make_error(EIO, "compression {} ({}) cannot be decompressed", compress_name(c),
                        static_cast<int>(c));
  }
}

std::vector<uint8_t> compress(Compress c, std::span<const uint8_t> src, size_t max_out, int level) {
  switch (c) {
    case Compress::kLzjb:
      return codec::lzjb_compress(src, max_out);
    case Compress::kZle:
      return codec::zle_compress(src, max_out);
    case Compress::kLz4:
      return codec::lz4_compress(src, max_out);
    case Compress::kZstd:
      return codec::zstd_compress(src, max_out, level);
    default:
      if (is_gzip(c)) return codec::gzip_compress(src, max_out, gzip_level(c));
      return {};  // kOff/kEmpty/kInherit/kOn: nothing to compress with
  }
}

}  // namespace fzfs
