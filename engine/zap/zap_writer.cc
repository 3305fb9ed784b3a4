#include "engine/zap/zap_writer.h"

#include <random>

#include "engine/util/byteorder.h"
#include "engine/zap/fatzap_writer.h"
#include "engine/zap/microzap_writer.h"
#include "engine/zap/zap_byteorder.h"
#include "engine/zap/zap_layout.h"
#include "engine/zap/zap_name.h"

namespace fzfs {

using namespace zap_layout;

namespace {

constexpr int kFatDefaultShift = 14;  // fzap_default_block_shift
// A micro ZAP entry needs 1 entry chunk, 3 name chunks and 1 value chunk in a fat leaf;
// a micro ZAP upgrades rather than hold more equal hashes than one default leaf holds.
constexpr uint64_t kMicroEntryChunks = 5;

uint64_t random_salt() {
  std::random_device rd;
  return ((uint64_t{rd()} << 32) | rd()) | 1;
}

// Block 0 in host order, and whether it is a micro ZAP.
struct Block0 {
  std::vector<uint8_t> data;
  bool micro = false;
};

Result<Block0> read_block0(const MutableObjectData& obj) {
  bool foreign = false;
  auto r = obj.read_block(0, &foreign);
  if (!r.ok()) return std::move(r.error()).context("zap object {} block 0", obj.object());
  Block0 b{std::move(*r)};
  if (b.data.size() != obj.block_size() || b.data.size() < 2 * kMicroEntrySize)
    return make_error(EIO, "zap object {} block 0: {} bytes read, block size {}", obj.object(), b.data.size(),
                      obj.block_size());
  uint64_t type = load<uint64_t>(b.data.data());
  if (foreign) type = bswap(type);
  if (type != kBlockMicro && type != kBlockHeader)
    return make_error(EIO, "zap object {} block 0: not a ZAP (block type {:#x})", obj.object(), type);
  b.micro = type == kBlockMicro;
  if (foreign) b.micro ? micro_block_to_host(b.data) : word_block_to_host(b.data);
  return b;
}

}  // namespace

Result<ZapWriter> ZapWriter::create(MutableObjectData& obj, const ZapCreateOptions& opts) {
  uint64_t known = kZapFlagHash64 | kZapFlagUint64Key | kZapFlagPreHashedKey;
  if ((opts.flags & ~known) || ((opts.flags & kZapFlagPreHashedKey) && !(opts.flags & kZapFlagUint64Key)))
    return make_error(EINVAL, "zap object {}: bad ZAP flags {:#x}", obj.object(), opts.flags);
  uint64_t salt = opts.salt.value_or(random_salt());
  if (salt == 0) return make_error(EINVAL, "zap object {}: salt 0 (ZFS requires a nonzero salt)", obj.object());
  ZapWriter w(obj);
  if (!opts.fat && opts.flags == 0) {
    FZ_CHECK(obj.set_block_size(kMicroGrowStep));
    std::vector<uint8_t> b(kMicroGrowStep);
    MicroEditor::init(b, salt, opts.normflags);
    FZ_CHECK(obj.write_block(0, b));
    return w;
  }
  if (opts.fat_block_shift < kMinBlockShift || opts.fat_block_shift > kMaxBlockShift)
    return make_error(EINVAL, "zap object {}: fat ZAP block shift {}", obj.object(), opts.fat_block_shift);
  FZ_CHECK(obj.set_block_size(uint64_t{1} << opts.fat_block_shift));
  auto fat = FatZapEditor::fresh(obj, opts.fat_block_shift, salt, opts.normflags, opts.flags);
  FZ_CHECK(fat.commit());
  return w;
}

Result<ZapWriter> ZapWriter::open(MutableObjectData& obj) {
  FZ_TRY(auto b0, read_block0(obj));
  if (b0.micro) {
    FZ_CHECK(MicroEditor(b0.data, obj.object()).check());
  } else {
    FZ_CHECK(FatZapEditor::open(obj, std::move(b0.data)));
  }
  return ZapWriter(obj);
}

Result<bool> ZapWriter::is_micro() const {
  FZ_TRY(auto b0, read_block0(*obj_));
  return b0.micro;
}

Result<uint64_t> ZapWriter::count() const {
  FZ_TRY(auto b0, read_block0(*obj_));
  if (b0.micro) {
    MicroEditor m(b0.data, obj_->object());
    FZ_CHECK(m.check());
    return m.count();
  }
  FZ_TRY(auto fat, FatZapEditor::open(*obj_, std::move(b0.data)));
  return fat.num_entries();
}

Status ZapWriter::add(const ZapKey& key, const ZapValue& value) { return put(key, value, Mode::kAdd); }
Status ZapWriter::update(const ZapKey& key, const ZapValue& value) { return put(key, value, Mode::kUpdate); }

Status ZapWriter::put(const ZapKey& key, const ZapValue& value, Mode mode) {
  FZ_CHECK(check_zap_value(value, obj_->object()));
  FZ_TRY(auto b0, read_block0(*obj_));
  if (b0.micro) return put_micro(key, value, mode, std::move(b0.data));
  FZ_TRY(auto fat, FatZapEditor::open(*obj_, std::move(b0.data)));
  FZ_TRY(auto zn, resolve_zap_name(key, fat.salt(), fat.normflags(), fat.flags(), obj_->object()));
  FZ_CHECK(mode == Mode::kAdd ? fat.add(zn, value) : fat.update(zn, value));
  return fat.commit();
}

Status ZapWriter::put_micro(const ZapKey& key, const ZapValue& value, Mode mode, std::vector<uint8_t> block0) {
  MicroEditor m(block0, obj_->object());
  FZ_CHECK(m.check());
  FZ_TRY(auto zn, resolve_zap_name(key, m.salt(), m.normflags(), 0, obj_->object()));
  bool upgrade = false;
  if (m.full()) {
    // ZFS makes room before it knows whether the name is new: one more 512-byte step,
    // or the fat ZAP once the block would pass the micro maximum.
    uint64_t newsz = block0.size() + kMicroGrowStep;
    if (newsz > kMicroMaxSize) {
      upgrade = true;
    } else {
      FZ_CHECK(obj_->set_block_size(newsz));
      block0.resize(newsz, 0);
    }
  }
  std::vector<uint32_t> cds = m.cds_of_hash(zn.hash);
  upgrade = upgrade || !value.is_single_u64() || zn.name.size() >= kMicroMaxName ||
            (mode == Mode::kAdd && (cds.size() + 1) * kMicroEntryChunks >= leaf_num_chunks(kFatDefaultShift));
  if (upgrade) {
    // The fat ZAP is built in memory first, so a refused upgrade leaves the micro ZAP.
    auto fat = FatZapEditor::fresh(*obj_, kFatDefaultShift, m.salt(), m.normflags(), 0);
    for (const MicroSlot& s : m.entries()) {
      FZ_TRY(auto ezn, resolve_zap_name(ZapKey::of_name(s.name), m.salt(), m.normflags(), 0, obj_->object()));
      FZ_CHECK(fat.add(ezn, ZapValue::u64(s.value), s.cd));
    }
    Status s = mode == Mode::kAdd ? fat.add(zn, value) : fat.update(zn, value);
    if (!s.ok() && s.error().code() != EEXIST) return s;
    // The upgrade stands even when the entry itself exists (EEXIST), as in ZFS.
    FZ_CHECK(obj_->set_block_size(uint64_t{1} << kFatDefaultShift));
    FZ_CHECK(fat.commit());
    micro_alloc_next_ = 0;
    return s;
  }
  auto slot = m.find(zn.name);
  if (slot) {
    if (mode == Mode::kAdd) return make_error(EEXIST, "zap object {}: entry \"{}\" exists", obj_->object(), zn.name);
    m.set_value(*slot, value.ints[0]);
  } else {
    m.add(zn.name, value.ints[0], MicroEditor::lowest_unused_cd(std::move(cds)), &micro_alloc_next_);
  }
  return obj_->write_block(0, block0);
}

Status ZapWriter::remove(const ZapKey& key) {
  FZ_TRY(auto b0, read_block0(*obj_));
  if (b0.micro) {
    MicroEditor m(b0.data, obj_->object());
    FZ_CHECK(m.check());
    FZ_TRY(auto zn, resolve_zap_name(key, m.salt(), m.normflags(), 0, obj_->object()));
    auto slot = m.find(zn.name);
    if (!slot) return make_error(ENOENT, "zap object {}: no entry \"{}\"", obj_->object(), zn.name);
    m.remove(*slot);
    return obj_->write_block(0, b0.data);
  }
  FZ_TRY(auto fat, FatZapEditor::open(*obj_, std::move(b0.data)));
  FZ_TRY(auto zn, resolve_zap_name(key, fat.salt(), fat.normflags(), fat.flags(), obj_->object()));
  FZ_CHECK(fat.remove(zn));
  return fat.commit();
}

Result<std::optional<ZapEntry>> ZapWriter::lookup(const ZapKey& key) const {
  if (!key.is_words) {
    FZ_TRY(auto r, ZapReader::open(*obj_));
    return r.lookup(key.name);
  }
  FZ_TRY(auto b0, read_block0(*obj_));
  if (b0.micro) return make_error(EINVAL, "zap object {}: keys are names", obj_->object());
  FZ_TRY(auto fat, FatZapEditor::open(*obj_, std::move(b0.data)));
  FZ_TRY(auto zn, resolve_zap_name(key, fat.salt(), fat.normflags(), fat.flags(), obj_->object()));
  return fat.lookup_words(zn);
}

}  // namespace fzfs
