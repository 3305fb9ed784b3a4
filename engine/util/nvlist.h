// nvlist: the self-describing name/value lists ZFS stores in vdev labels, in the MOS
// "config" object and in send streams.
//
// Packed form (encoding XDR, the on-disk default; "native" also exists):
//   +------------------------------+
//   | encoding(1) endian(1) 0 0    |  4-byte header: encoding 0=native 1=XDR
//   +------------------------------+
//   | nvl_version(4) nvl_nvflag(4) |  then the list body (XDR ints are big-endian)
//   | pair | pair | ... | 0 0      |  each pair: encoded size(4) decoded size(4)
//   +------------------------------+    name (XDR string: len(4), bytes, pad to 4)
//                                       type(4) nelem(4) value(s)
//   A pair with encoded size 0 ends the list. Nested lists (NVLIST, NVLIST_ARRAY) are
//   encoded inline after their parent pair: version(4) flag(4) pairs... 0 0.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/util/status.h"

namespace fzfs {

// Data type numbers as stored on disk.
enum class NvType : uint32_t {
  kUnknown = 0, kBoolean = 1, kByte = 2, kInt16 = 3, kUint16 = 4, kInt32 = 5, kUint32 = 6,
  kInt64 = 7, kUint64 = 8, kString = 9, kByteArray = 10, kInt16Array = 11, kUint16Array = 12,
  kInt32Array = 13, kUint32Array = 14, kInt64Array = 15, kUint64Array = 16,
  kStringArray = 17, kHrtime = 18, kNvlist = 19, kNvlistArray = 20, kBooleanValue = 21,
  kInt8 = 22, kUint8 = 23, kBooleanArray = 24, kInt8Array = 25, kUint8Array = 26,
  kDouble = 27,
};

class NvList;

struct NvPair {
  std::string name;
  NvType type = NvType::kUnknown;
  // Integers of every width (signed ones sign-extended) and booleans are kept as
  // uint64; arrays of them as vector<uint64_t>.
  std::variant<std::monostate, uint64_t, std::string, std::vector<uint64_t>,
               std::vector<std::string>, std::vector<NvList>, double>
      value;
};

class NvList {
 public:
  // Decodes a packed nvlist (XDR or native encoding, either byte order). Hostile input
  // gives an error, never a crash or an unbounded allocation.
  static Result<NvList> decode(std::span<const uint8_t> packed);
  // Encodes as XDR (what ZFS writes to labels and the MOS).
  std::vector<uint8_t> encode_xdr() const;

  const std::vector<NvPair>& pairs() const { return pairs_; }
  const NvPair* find(std::string_view name) const;
  bool has(std::string_view name) const { return find(name) != nullptr; }

  std::optional<uint64_t> get_u64(std::string_view name) const;  // any integer or boolean_value
  std::optional<std::string> get_string(std::string_view name) const;
  const NvList* get_nvlist(std::string_view name) const;
  const std::vector<NvList>* get_nvlist_array(std::string_view name) const;
  std::optional<std::vector<uint64_t>> get_u64_array(std::string_view name) const;

  // Builders (used by tests, by pool creation and by encode round trips).
  NvList& add_u64(std::string name, uint64_t v, NvType t = NvType::kUint64);
  NvList& add_string(std::string name, std::string v);
  NvList& add_nvlist(std::string name, NvList v);
  NvList& add_nvlist_array(std::string name, std::vector<NvList> v);
  NvList& add_u64_array(std::string name, std::vector<uint64_t> v,
                        NvType t = NvType::kUint64Array);
  NvList& add_boolean(std::string name);  // presence-only flag (DATA_TYPE_BOOLEAN)
  // Appends a pair of any type as is (no replacement of a same-named pair; decoders keep
  // the stream's pairs). The typed builders above replace a pair of the same name, as
  // ZFS's NV_UNIQUE_NAME lists do. NVLIST values are a vector of exactly one list.
  NvList& add_pair(NvPair p);

  // Indented, human-readable rendering (fzdb -l).
  std::string to_string(int indent = 0) const;

 private:
  std::vector<NvPair> pairs_;
};

}  // namespace fzfs
