// Decompressors in ZFS framing: byte 0 picks the algorithm, bytes 1-2 the logical size.
#include "engine/compress/compress.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fzfs;
  if (size < 3) return 0;
  static constexpr Compress kAlgos[] = {Compress::kLzjb, Compress::kGzip6, Compress::kZle, Compress::kLz4,
                                        Compress::kZstd};
  Compress c = kAlgos[data[0] % 5];
  size_t lsize = 512 + ((data[1] | (data[2] << 8)) % (128 * 1024));
  std::vector<uint8_t> out(lsize);
  (void)decompress(c, std::span(data + 3, size - 3), out);
  return 0;
}
