// gzip-N in ZFS: a plain zlib stream (see codecs.h), through zlib.
#include <climits>

#include <zlib.h>

#include "engine/compress/codecs.h"

namespace fzfs::codec {
namespace {

// One inflate state per thread, reset per block: avoids a 40 KiB allocation per call.
class Inflater {
 public:
  Inflater() { ok_ = inflateInit(&zs_) == Z_OK; }
  ~Inflater() {
    if (ok_) inflateEnd(&zs_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  z_stream* get() { return ok_ && inflateReset(&zs_) == Z_OK ? &zs_ : nullptr; }

 private:
  z_stream zs_{};
  bool ok_ = false;
};

}  // namespace

Status gzip_decompress(std::span<const uint8_t> src, std::span<uint8_t> dst) {
  if (src.size() > UINT_MAX || dst.size() > UINT_MAX)
    return make_error(EIO, "gzip: block of {} bytes is too large", src.size());
  thread_local Inflater inflater;
  z_stream* zs = inflater.get();
  if (zs == nullptr) return make_error(ENOMEM, "gzip: cannot set up zlib");
  zs->next_in = const_cast<Bytef*>(src.data());
  zs->avail_in = static_cast<uInt>(src.size());
  Bytef none;  // zlib refuses a null output pointer even when there is nothing to write
  zs->next_out = dst.empty() ? &none : dst.data();
  zs->avail_out = static_cast<uInt>(dst.size());
  const int rc = inflate(zs, Z_FINISH);
  if (rc != Z_STREAM_END)
    return make_error(EIO, "gzip: zlib stream {} after {} of {} bytes", zs->msg ? zs->msg : "incomplete",
                      zs->total_out, dst.size());
  if (zs->total_out != dst.size())
    return make_error(EIO, "gzip: stream holds {} bytes, block needs {}", zs->total_out, dst.size());
  return Status::Ok();
}

std::vector<uint8_t> gzip_compress(std::span<const uint8_t> src, size_t max_out, int level) {
  if (src.size() > UINT_MAX || level < 1 || level > 9) return {};
  std::vector<uint8_t> out(capped(compressBound(static_cast<uLong>(src.size())), max_out));
  uLongf len = out.size();
  if (compress2(out.data(), &len, src.data(), src.size(), level) != Z_OK) return {};
  out.resize(len);
  return out;
}

}  // namespace fzfs::codec
