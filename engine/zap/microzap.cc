#include "engine/zap/microzap.h"

#include <algorithm>
#include <cstring>

#include "engine/zap/zap_hash.h"
#include "engine/zap/zap_layout.h"

namespace fzfs {

using namespace zap_layout;

Result<MicroZap> parse_micro_zap(std::span<const uint8_t> block0, bool foreign, uint64_t object) {
  if (block0.size() < kMicroHeaderSize + kMicroEntrySize)
    return make_error(EIO, "zap object {} block 0: micro ZAP block of {} bytes is too small",
                      object, block0.size());
  BlockView b(block0, foreign);
  MicroZap mz;
  mz.salt = b.u64(8);
  mz.normflags = b.u64(16);
  size_t slots = block0.size() / kMicroEntrySize - 1;
  for (size_t i = 0; i < slots; i++) {
    size_t off = kMicroHeaderSize + i * kMicroEntrySize;
    const char* name = reinterpret_cast<const char*>(b.bytes(off + kMicroNameOffset));
    if (name[0] == 0) continue;  // free slot
    const void* nul = std::memchr(name, 0, kMicroNameLen);
    if (nul == nullptr)
      return make_error(EIO, "zap object {} block 0: micro ZAP entry {} name is not terminated",
                        object, i);
    ZapEntry e;
    e.name.assign(name, static_cast<const char*>(nul) - name);
    e.int_size = 8;
    e.num_ints = 1;
    e.ints = {b.u64(off)};
    e.cd = b.u32(off + 8);
    // ZFS hashes the normalized name when normflags is set; we hash the stored name,
    // which only affects listing order on such (rare) objects.
    e.hash = zap_hash_name(mz.salt, e.name, zap_hash_bits(0));
    mz.entries.push_back(std::move(e));
  }
  std::sort(mz.entries.begin(), mz.entries.end(), [](const ZapEntry& a, const ZapEntry& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.cd < b.cd;
  });
  return mz;
}

}  // namespace fzfs
