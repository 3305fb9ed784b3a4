#include "engine/zap/microzap_writer.h"

#include <algorithm>
#include <cstring>

#include "engine/util/byteorder.h"
#include "engine/zap/zap_hash.h"
#include "engine/zap/zap_layout.h"
#include "engine/zap/zap_name.h"

namespace fzfs {

using namespace zap_layout;

void MicroEditor::init(std::vector<uint8_t>& block, uint64_t salt, uint64_t normflags) {
  std::fill(block.begin(), block.end(), 0);
  store<uint64_t>(&block[0], kBlockMicro);
  store<uint64_t>(&block[8], salt);
  store<uint64_t>(&block[16], normflags);
}

Status MicroEditor::check() const {
  // Past 1 MiB the slot index of ZFS's in-memory tree would overflow (MZAP_MAX_SIZE).
  if (b_.size() < 2 * kMicroEntrySize || b_.size() % kMicroEntrySize != 0 || b_.size() > (1u << 20))
    return make_error(EIO, "zap object {} block 0: micro ZAP of {} bytes", object_, b_.size());
  if (load<uint64_t>(&b_[0]) != kBlockMicro)
    return make_error(EIO, "zap object {} block 0: not a micro ZAP", object_);
  for (uint64_t i = 0; i < num_slots(); i++) {
    const uint8_t* name = &b_[slot_off(i) + kMicroNameOffset];
    if (name[0] != 0 && std::memchr(name, 0, kMicroNameLen) == nullptr)
      return make_error(EIO, "zap object {} block 0: micro ZAP entry {} name is not terminated", object_, i);
  }
  return Status::Ok();
}

uint64_t MicroEditor::salt() const { return load<uint64_t>(&b_[8]); }
uint64_t MicroEditor::normflags() const { return load<uint64_t>(&b_[16]); }

std::string_view MicroEditor::slot_name(uint64_t slot) const {
  return reinterpret_cast<const char*>(&b_[slot_off(slot) + kMicroNameOffset]);
}

uint64_t MicroEditor::count() const {
  uint64_t n = 0;
  for (uint64_t i = 0; i < num_slots(); i++) n += b_[slot_off(i) + kMicroNameOffset] != 0;
  return n;
}

std::optional<uint64_t> MicroEditor::find(std::string_view name) const {
  for (uint64_t i = 0; i < num_slots(); i++)
    if (b_[slot_off(i) + kMicroNameOffset] != 0 && slot_name(i) == name) return i;
  return std::nullopt;
}

std::vector<MicroSlot> MicroEditor::entries() const {
  std::vector<MicroSlot> out;
  for (uint64_t i = 0; i < num_slots(); i++) {
    if (b_[slot_off(i) + kMicroNameOffset] == 0) continue;
    out.push_back({std::string(slot_name(i)), load<uint64_t>(&b_[slot_off(i)]),
                   load<uint32_t>(&b_[slot_off(i) + 8])});
  }
  return out;
}

std::vector<uint32_t> MicroEditor::cds_of_hash(uint64_t hash) const {
  std::vector<uint32_t> cds;
  const uint64_t salt = this->salt(), normflags = this->normflags();
  const int bits = zap_hash_bits(0);
  for (uint64_t i = 0; i < num_slots(); i++) {
    if (b_[slot_off(i) + kMicroNameOffset] == 0) continue;
    uint64_t h;
    if (normflags == 0) {
      h = zap_hash_name(salt, slot_name(i), bits);  // the common case, without building a ZapName
    } else {
      // A stored name we cannot hash (non-ASCII on a normalizing ZAP) is not counted.
      auto zn = resolve_zap_name(ZapKey::of_name(slot_name(i)), salt, normflags, 0, object_);
      if (!zn.ok()) continue;
      h = zn->hash;
    }
    if (h == hash) cds.push_back(load<uint32_t>(&b_[slot_off(i) + 8]));
  }
  return cds;
}

uint32_t MicroEditor::lowest_unused_cd(std::vector<uint32_t> cds) {
  std::sort(cds.begin(), cds.end());
  uint32_t cd = 0;
  for (uint32_t used : cds) {
    if (used != cd) break;
    cd++;
  }
  return cd;
}

void MicroEditor::set_value(uint64_t slot, uint64_t value) { store<uint64_t>(&b_[slot_off(slot)], value); }

void MicroEditor::add(std::string_view name, uint64_t value, uint32_t cd, uint64_t* next) {
  uint64_t n = num_slots();
  uint64_t start = *next < n ? *next : 0;
  for (uint64_t k = 0; k < n; k++) {
    uint64_t i = (start + k) % n;
    size_t off = slot_off(i);
    if (b_[off + kMicroNameOffset] != 0) continue;
    std::memset(&b_[off], 0, kMicroEntrySize);
    store<uint64_t>(&b_[off], value);
    store<uint32_t>(&b_[off + 8], cd);
    std::memcpy(&b_[off + kMicroNameOffset], name.data(), name.size());
    *next = i + 1 == n ? 0 : i + 1;
    return;
  }
}

void MicroEditor::remove(uint64_t slot) { std::memset(&b_[slot_off(slot)], 0, kMicroEntrySize); }

}  // namespace fzfs
