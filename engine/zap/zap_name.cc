#include "engine/zap/zap_name.h"

#include <algorithm>
#include <string>

#include "engine/zap/zap_hash.h"

namespace fzfs {

std::vector<uint8_t> ZapValue::stored_bytes() const {
  std::vector<uint8_t> out;
  out.reserve(ints.size() * int_size);
  for (uint64_t x : ints)
    for (int k = int_size - 1; k >= 0; k--) out.push_back(static_cast<uint8_t>(x >> (8 * k)));
  return out;
}

namespace {

// The name as ZFS hashes it on a normalizing ZAP; only ASCII is supported, where the
// normalization forms are the identity and upper-casing is plain ASCII.
Result<std::string> normalized(std::string_view name, uint64_t normflags, uint64_t object) {
  std::string out(name);
  if (normflags == 0) return out;
  if (std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
    return make_error(ENOTSUP, "zap object {}: non-ASCII name on a normalizing ZAP (normflags {:#x})",
                      object, normflags);
  if (normflags & kNormToUpper)
    for (char& c : out)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

}  // namespace

Result<ZapName> resolve_zap_name(const ZapKey& key, uint64_t salt, uint64_t normflags,
                                 uint64_t flags, uint64_t object) {
  bool want_words = flags & kZapFlagUint64Key;
  if (key.is_words != want_words)
    return make_error(EINVAL, "zap object {}: keys are {}", object, want_words ? "uint64 arrays" : "names");
  ZapName zn;
  int bits = zap_hash_bits(flags);
  if (!key.is_words) {
    if (key.name.empty()) return make_error(EINVAL, "zap object {}: empty name", object);
    if (key.name.find('\0') != std::string_view::npos)
      return make_error(EINVAL, "zap object {}: name contains a NUL byte", object);
    if (key.name.size() + 1 > kZapMaxNameBytes)
      return make_error(ENAMETOOLONG, "zap object {}: name of {} bytes is too long", object, key.name.size());
    FZ_TRY(auto norm, normalized(key.name, normflags, object));
    zn.name = key.name;
    zn.stored.assign(key.name.begin(), key.name.end());
    zn.stored.push_back(0);
    zn.int_size = 1;
    zn.num_ints = zn.stored.size();
    zn.hash = zap_hash_name(salt, norm, bits);
    return zn;
  }
  if (key.words.empty()) return make_error(EINVAL, "zap object {}: empty key", object);
  if (key.words.size() * 8 > kZapMaxNameBytes)
    return make_error(ENAMETOOLONG, "zap object {}: key of {} words is too long", object, key.words.size());
  for (uint64_t w : key.words)
    for (int k = 7; k >= 0; k--) zn.stored.push_back(static_cast<uint8_t>(w >> (8 * k)));
  zn.int_size = 8;
  zn.num_ints = key.words.size();
  // A pre-hashed key carries its hash in its first word.
  zn.hash = (flags & kZapFlagPreHashedKey)
                ? key.words[0] & ~((uint64_t{1} << (64 - bits)) - 1)
                : zap_hash_u64_key(salt, key.words, bits);
  return zn;
}

Status check_zap_value(const ZapValue& v, uint64_t object) {
  if (v.int_size != 1 && v.int_size != 2 && v.int_size != 4 && v.int_size != 8)
    return make_error(EINVAL, "zap object {}: integer size {} not 1, 2, 4 or 8", object, v.int_size);
  if (v.ints.empty()) return make_error(EINVAL, "zap object {}: value has no integers", object);
  if (v.ints.size() * v.int_size > kZapMaxValueBytes)
    return make_error(E2BIG, "zap object {}: value of {} bytes is too large", object,
                      v.ints.size() * v.int_size);
  return Status::Ok();
}

}  // namespace fzfs
