#include "engine/zap/microzap.h"

#include <algorithm>
#include <cstring>

#include "engine/zap/zap_hash.h"
#include "engine/zap/zap_layout.h"

namespace fzfs {

using namespace zap_layout;

namespace {

ZapEntry decode_entry(const BlockView& b, size_t off, std::string_view name, uint64_t salt) {
  ZapEntry e;
  e.name.assign(name);
  e.int_size = 8;
  e.num_ints = 1;
  e.ints = {b.u64(off)};
  e.cd = b.u32(off + 8);
  // ZFS hashes the normalized name when normflags is set; we hash the stored name,
  // which only affects listing order on such (rare) objects.
  e.hash = zap_hash_name(salt, e.name, zap_hash_bits(0));
  return e;
}

}  // namespace

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
    mz.entries.push_back(decode_entry(b, off, std::string_view(name, static_cast<const char*>(nul) - name), mz.salt));
  }
  std::sort(mz.entries.begin(), mz.entries.end(), [](const ZapEntry& a, const ZapEntry& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.cd < b.cd;
  });
  return mz;
}

Result<std::shared_ptr<const MicroZapBlock>> MicroZapBlock::open(std::vector<uint8_t> block0, bool foreign,
                                                                 uint64_t object) {
  if (block0.size() < kMicroHeaderSize + kMicroEntrySize)
    return make_error(EIO, "zap object {} block 0: micro ZAP block of {} bytes is too small", object,
                      block0.size());
  std::shared_ptr<MicroZapBlock> m(new MicroZapBlock());
  BlockView b(block0, foreign);
  m->salt_ = b.u64(8);
  m->normflags_ = b.u64(16);
  for (size_t off = kMicroHeaderSize; off + kMicroEntrySize <= block0.size(); off += kMicroEntrySize) {
    const uint8_t* name = b.bytes(off + kMicroNameOffset);
    if (name[0] == 0) continue;
    if (std::memchr(name, 0, kMicroNameLen) == nullptr)
      return make_error(EIO, "zap object {} block 0: micro ZAP entry {} name is not terminated", object,
                        (off - kMicroHeaderSize) / kMicroEntrySize);
    m->count_++;
  }
  m->block_ = std::move(block0);
  m->foreign_ = foreign;
  m->object_ = object;
  return std::shared_ptr<const MicroZapBlock>(std::move(m));
}

std::optional<ZapEntry> MicroZapBlock::find(std::string_view name) const {
  if (name.empty() || name.size() >= kMicroNameLen || name.find('\0') != std::string_view::npos)
    return std::nullopt;
  BlockView b(block_, foreign_);
  for (size_t off = kMicroHeaderSize; off + kMicroEntrySize <= block_.size(); off += kMicroEntrySize) {
    const char* slot = reinterpret_cast<const char*>(b.bytes(off + kMicroNameOffset));
    if (slot[name.size()] == 0 && std::memcmp(slot, name.data(), name.size()) == 0)
      return decode_entry(b, off, name, salt_);
  }
  return std::nullopt;
}

const std::vector<ZapEntry>& MicroZapBlock::sorted() const {
  std::call_once(sorted_once_, [this] {
    // open() has checked every name, so the full decode cannot fail.
    auto mz = parse_micro_zap(block_, foreign_, object_);
    if (mz.ok()) sorted_ = std::move(mz->entries);
  });
  return sorted_;
}

}  // namespace fzfs

