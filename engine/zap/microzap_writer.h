// Changes a micro ZAP block (layout drawn in zap.h) held in host byte order: slot search,
// entry add and removal, and the collision differentiators of equal hashes. Internal to
// engine/zap.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/util/status.h"

namespace fzfs {

// Growth step and ceiling of a micro ZAP block (SPA_MINBLOCKSIZE and the historical
// 128 KiB maximum block size that zap_micro_max_size defaults to).
inline constexpr uint64_t kMicroGrowStep = 512;
inline constexpr uint64_t kMicroMaxSize = 128 * 1024;
// Names must be shorter than this (MZAP_NAME_LEN, which includes the NUL).
inline constexpr size_t kMicroMaxName = 50;

struct MicroSlot {
  std::string name;
  uint64_t value = 0;
  uint32_t cd = 0;
};

class MicroEditor {
 public:
  MicroEditor(std::vector<uint8_t>& block, uint64_t object) : b_(block), object_(object) {}

  static void init(std::vector<uint8_t>& block, uint64_t salt, uint64_t normflags);

  // EIO unless block 0 is a micro ZAP of a sane size whose names are all terminated.
  Status check() const;

  uint64_t salt() const;
  uint64_t normflags() const;
  uint64_t num_slots() const { return b_.size() / 64 - 1; }
  uint64_t count() const;
  bool full() const { return count() == num_slots(); }

  std::optional<uint64_t> find(std::string_view name) const;
  std::vector<MicroSlot> entries() const;  // used slots in slot order
  // The cds of the entries whose hash is `hash` (as ZFS hashes them: salted, 28 bits,
  // normalized), and the lowest cd not among them.
  std::vector<uint32_t> cds_of_hash(uint64_t hash) const;
  static uint32_t lowest_unused_cd(std::vector<uint32_t> cds);

  void set_value(uint64_t slot, uint64_t value);
  // Fills the first free slot from *next on, wrapping, and moves *next past it (ZFS's
  // zap_alloc_next). The caller has made sure a slot is free.
  void add(std::string_view name, uint64_t value, uint32_t cd, uint64_t* next);
  void remove(uint64_t slot);

 private:
  size_t slot_off(uint64_t slot) const { return 64 + slot * 64; }
  std::string_view slot_name(uint64_t slot) const;

  std::vector<uint8_t>& b_;
  uint64_t object_;
};

}  // namespace fzfs
