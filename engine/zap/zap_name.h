// A ZAP key resolved against one object: the bytes its leaf stores, the integer width and
// count the entry records, and the hash that places it. Internal to engine/zap.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/util/status.h"
#include "engine/zap/zap_writer.h"

namespace fzfs {

// Longest key ZFS stores, in bytes including a name's NUL (ZAP_MAXNAMELEN).
inline constexpr uint64_t kZapMaxNameBytes = 256;
// Largest value in bytes (ZAP_MAXVALUELEN).
inline constexpr uint64_t kZapMaxValueBytes = 8192;
// U8_TEXTPREP_TOUPPER: names compare case-insensitively (upper-cased before hashing).
inline constexpr uint64_t kNormToUpper = 2;

struct ZapName {
  std::string_view name;       // the name as given (string keys)
  std::vector<uint8_t> stored; // name + NUL, or the key words big-endian
  uint8_t int_size = 1;        // 1 for names, 8 for key words
  uint64_t num_ints = 0;
  uint64_t hash = 0;
};

// EINVAL for the wrong kind of key or an empty one, ENAMETOOLONG past ZAP_MAXNAMELEN,
// ENOTSUP for a non-ASCII name on a normalizing ZAP (we carry no Unicode tables).
Result<ZapName> resolve_zap_name(const ZapKey& key, uint64_t salt, uint64_t normflags,
                                 uint64_t flags, uint64_t object);

// EINVAL for an integer size other than 1, 2, 4, 8 or no integers; E2BIG past
// ZAP_MAXVALUELEN.
Status check_zap_value(const ZapValue& v, uint64_t object);

}  // namespace fzfs
