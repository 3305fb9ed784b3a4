#include "engine/zap/zap.h"

#include "engine/zap/fatzap.h"
#include "engine/zap/microzap.h"
#include "engine/zap/zap_layout.h"

namespace fzfs {

using namespace zap_layout;

Result<ZapReader> ZapReader::open(const ObjectData& obj) {
  bool foreign = false;
  auto read = obj.read_block(0, &foreign);
  if (!read.ok()) return std::move(read.error()).context("zap object {} block 0", obj.object());
  std::vector<uint8_t>& block0 = *read;
  if (block0.size() != obj.block_size() || block0.size() < 2 * kMicroEntrySize)
    return make_error(EIO, "zap object {} block 0: {} bytes read, block size {}", obj.object(),
                      block0.size(), obj.block_size());
  BlockView b(block0, foreign);
  ZapReader r;
  r.object_ = obj.object();
  if (b.u64(0) == kBlockMicro) {
    FZ_TRY(r.micro_block_, MicroZapBlock::open(std::move(block0), foreign, obj.object()));
    r.micro_ = true;
    r.salt_ = r.micro_block_->salt();
    r.normflags_ = r.micro_block_->normflags();
    r.count_ = r.micro_block_->count();
    return r;
  }
  if (b.u64(0) != kBlockHeader)
    return make_error(EIO, "zap object {} block 0: not a ZAP (block type {:#x})", obj.object(),
                      b.u64(0));
  FZ_TRY(auto fat, FatZap::open(obj, block0, foreign));
  r.salt_ = fat.salt();
  r.normflags_ = fat.normflags();
  r.flags_ = fat.flags();
  r.count_ = fat.num_entries();
  r.fat_ = std::make_shared<const FatZap>(std::move(fat));
  return r;
}

Result<std::optional<ZapEntry>> ZapReader::lookup(std::string_view name) const {
  if (!micro_) return fat_->lookup(name);
  // At most a block's worth of entries: a scan is as fast as hashing. It also matches
  // names exactly on normalizing micro ZAPs, whose stored names are not normalized.
  return micro_block_->find(name);
}

Result<uint64_t> ZapReader::lookup_u64(std::string_view name) const {
  FZ_TRY(auto found, lookup(name));
  if (!found) return make_error(ENOENT, "zap object {}: no entry \"{}\"", object_, name);
  if (found->num_ints != 1)
    return make_error(EOVERFLOW, "zap object {}: entry \"{}\" has {} integers, expected 1",
                      object_, name, found->num_ints);
  return found->int_size == 1 ? uint64_t{found->bytes[0]} : found->ints[0];
}

Status ZapReader::list(const std::function<bool(const ZapEntry&)>& emit) const {
  if (!micro_) return fat_->list(emit);
  for (const ZapEntry& e : micro_block_->sorted()) {
    if (!emit(e)) break;
  }
  return Status::Ok();
}

Result<std::vector<ZapEntry>> ZapReader::list_all() const {
  std::vector<ZapEntry> out;
  FZ_CHECK(list([&](const ZapEntry& e) {
    out.push_back(e);
    return true;
  }));
  return out;
}

}  // namespace fzfs
