// Decompressors in ZFS framing: byte 0 picks the algorithm, bytes 1-3 the logical size
// less one (24-bit little-endian, up to 1 MiB), the rest is the compressed block. Seeds
// (fuzz/seeds/decompress) are real blocks cut from pools in this format.
#include "engine/compress/compress.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fzfs;
  if (size < 4) return 0;
  static constexpr Compress kAlgos[] = {Compress::kLzjb, Compress::kGzip6, Compress::kZle, Compress::kLz4,
                                        Compress::kZstd};
  Compress c = kAlgos[data[0] % 5];
  size_t lsize = 1 + ((data[1] | (data[2] << 8) | (data[3] << 16)) % (1u << 20));
  std::vector<uint8_t> out(lsize);
  (void)decompress(c, std::span(data + 4, size - 4), out);
  return 0;
}
