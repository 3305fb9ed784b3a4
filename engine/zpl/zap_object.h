// Small helpers for code that builds objects in an open objset (pool and file system
// creation): make a new ZAP object and put entries into one.
//
//   new_zap_object(os, {type, bonus...})  ─► object holding an empty micro ZAP (512 bytes)
//   zap_put(os, obj, name, value)         ─► entry added (EEXIST if present)
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/dmu/writable_objset.h"
#include "engine/zap/zap_writer.h"

namespace fzfs {

struct NewZap {
  explicit NewZap(uint8_t t, uint8_t btype = 0, uint16_t blen = 0) : type(t), bonus_type(btype), bonus_len(blen) {}
  NewZap& with_normflags(uint64_t f) { normflags = f; return *this; }
  NewZap& at(uint64_t obj) { claim = obj; return *this; }

  uint8_t type = 0;
  uint8_t bonus_type = 0;
  uint16_t bonus_len = 0;
  uint64_t normflags = 0;
  std::optional<uint64_t> claim;  // a fixed object number (the MOS directory, the master node)
};

// Allocates (or claims) an object of 512-byte blocks and lays out an empty micro ZAP in it.
Result<uint64_t> new_zap_object(WritableObjset& os, const NewZap& z);

Status zap_put(WritableObjset& os, uint64_t obj, std::string_view name, const ZapValue& value);
inline Status zap_put(WritableObjset& os, uint64_t obj, std::string_view name, uint64_t value) {
  return zap_put(os, obj, name, ZapValue::u64(value));
}
// ZFS's zap_add_int: the entry's name is the value in lower-case hex.
Status zap_put_int(WritableObjset& os, uint64_t obj, uint64_t value);

}  // namespace fzfs
