// zstd in ZFS framing (drawn in codecs.h) around libzstd, magicless frames.
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_c_format / ZSTD_d_format (stable in libzstd 1.4+)
#include <zstd.h>

#include <array>
#include <climits>
#include <memory>

#include "engine/compress/codecs.h"
#include "engine/util/byteorder.h"

namespace fzfs::codec {
namespace {

constexpr size_t kHeader = 8;

// ZFS level numbers of the "fast" levels, in order, and the negative zstd levels they mean.
constexpr int kFastBase = 103;
constexpr std::array<int, 21> kFastLevels = {1,  2,  3,  4,  5,  6,  7,  8,   9,   10,  20,
                                              30, 40, 50, 60, 70, 80, 90, 100, 500, 1000};

// ZFS level number -> zstd's level, or 0 if the number names no level.
int zstd_level_of(int zfs_level) {
  if (zfs_level >= 1 && zfs_level <= 19) return zfs_level;
  const int i = zfs_level - kFastBase;
  if (i >= 0 && i < static_cast<int>(kFastLevels.size())) return -kFastLevels[i];
  return 0;
}

// zstd's level -> ZFS level number, or 0 if ZFS has no number for it.
int zfs_level_of(int zstd_level) {
  if (zstd_level >= 1 && zstd_level <= 19) return zstd_level;
  for (size_t i = 0; i < kFastLevels.size(); i++)
    if (-kFastLevels[i] == zstd_level) return kFastBase + static_cast<int>(i);
  return 0;
}

// The level byte of a header word (read big-endian). The version's top byte is zero
// (versions stay below 2^16), so the lowest zero byte tells the layout: a zero in byte
// 0 or 2 (from the least significant) means the level sits in byte 3; a zero in byte 1
// or 3 means the level sits in byte 0. No zero byte: not a header any writer produces.
int level_of(uint32_t word) {
  for (int byte = 0; byte < 4; byte++) {
    if (((word >> (8 * byte)) & 0xff) != 0) continue;
    return (byte % 2 == 0) ? static_cast<int>(word >> 24) : static_cast<int>(word & 0xff);
  }
  return 0;
}

struct ContextDeleter {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

// Contexts are reused per thread: creating one costs more than decompressing a block.
ZSTD_DCtx* thread_dctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, ContextDeleter> dctx = [] {
    std::unique_ptr<ZSTD_DCtx, ContextDeleter> c(ZSTD_createDCtx());
    if (c && ZSTD_isError(ZSTD_DCtx_setParameter(c.get(), ZSTD_d_format, ZSTD_f_zstd1_magicless)))
      c.reset();
    return c;
  }();
  return dctx.get();
}

ZSTD_CCtx* thread_cctx() {
  thread_local std::unique_ptr<ZSTD_CCtx, ContextDeleter> cctx(ZSTD_createCCtx());
  return cctx.get();
}

}  // namespace

Status zstd_decompress(std::span<const uint8_t> src, std::span<uint8_t> dst) {
  if (src.size() < kHeader) return make_error(EIO, "zstd: {}-byte block has no header", src.size());
  const size_t len = load_be<uint32_t>(src.data());
  const int level = level_of(load_be<uint32_t>(src.data() + 4));
  if (zstd_level_of(level) == 0) return make_error(EIO, "zstd: header names no valid level ({})", level);
  if (len > src.size() - kHeader)
    return make_error(EIO, "zstd: length {} exceeds the {}-byte block", len, src.size());
  ZSTD_DCtx* dctx = thread_dctx();
  if (dctx == nullptr) return make_error(ENOMEM, "zstd: cannot set up a decompression context");
  const size_t got = ZSTD_decompressDCtx(dctx, dst.data(), dst.size(), src.data() + kHeader, len);
  if (ZSTD_isError(got)) return make_error(EIO, "zstd: {}", ZSTD_getErrorName(got));
  if (got != dst.size()) return make_error(EIO, "zstd: frame holds {} bytes, block needs {}", got, dst.size());
  return Status::Ok();
}

std::vector<uint8_t> zstd_compress(std::span<const uint8_t> src, size_t max_out, int level) {
  const int zfs_level = zfs_level_of(level);
  ZSTD_CCtx* cctx = thread_cctx();
  if (zfs_level == 0 || cctx == nullptr || max_out <= kHeader) return {};
  // zstd fails on a buffer that fits the result only tightly, so compress into a full
  // worst-case buffer and apply max_out to the result.
  std::vector<uint8_t> out(kHeader + ZSTD_compressBound(src.size()));
  // Parameters are sticky on a reused context; set every one that ZFS sets.
  ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_format, ZSTD_f_zstd1_magicless);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  const size_t len = ZSTD_compress2(cctx, out.data() + kHeader, out.size() - kHeader, src.data(), src.size());
  if (ZSTD_isError(len) || len > UINT32_MAX || kHeader + len > max_out) return {};
  store_be32(out.data(), static_cast<uint32_t>(len));
  store_be32(out.data() + 4, (static_cast<uint32_t>(zfs_level) << 24) | (ZSTD_versionNumber() & 0xffffff));
  out.resize(kHeader + len);
  return out;
}

}  // namespace fzfs::codec
