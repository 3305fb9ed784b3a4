#include "engine/util/nvlist.h"

#include <algorithm>
#include <cstring>

#include "engine/util/byteorder.h"

namespace fzfs {

namespace {

constexpr uint8_t kEncodeNative = 0;
constexpr uint8_t kEncodeXdr = 1;
constexpr uint32_t kNvVersion = 0;
constexpr uint32_t kNvUniqueName = 1;  // the flag ZFS sets on every list it packs
// Deeper nesting than this is refused: real configs nest a handful of levels, and the
// decoder recurses once per level.
constexpr int kMaxDepth = 64;

// Sizes of the in-memory C structures ZFS records in packed lists: a native stream is
// made of their images, and XDR streams carry each pair's native size.
constexpr uint64_t kNativePairHeader = 16;  // nvpair_t without its name
constexpr uint64_t kNativeListImage = 24;   // nvlist_t
constexpr uint64_t kNativePointer = 8;      // table slots before string and list arrays

uint64_t align8(uint64_t x) { return (x + 7) & ~uint64_t{7}; }
uint64_t align4(uint64_t x) { return (x + 3) & ~uint64_t{3}; }

// Shape of each type: how many elements it holds and how wide one is.
enum class Shape { kNone, kScalar, kArray, kString, kStringArray, kList, kListArray, kDouble };

struct TypeInfo {
  Shape shape;
  uint32_t width;  // native bytes of one integer element (0 when not an integer)
  bool is_signed;
};

std::optional<TypeInfo> type_info(NvType t) {
  switch (t) {
    case NvType::kBoolean: return TypeInfo{Shape::kNone, 0, false};
    case NvType::kBooleanValue: return TypeInfo{Shape::kScalar, 4, false};
    case NvType::kByte: return TypeInfo{Shape::kScalar, 1, false};
    case NvType::kInt8: return TypeInfo{Shape::kScalar, 1, true};
    case NvType::kUint8: return TypeInfo{Shape::kScalar, 1, false};
    case NvType::kInt16: return TypeInfo{Shape::kScalar, 2, true};
    case NvType::kUint16: return TypeInfo{Shape::kScalar, 2, false};
    case NvType::kInt32: return TypeInfo{Shape::kScalar, 4, true};
    case NvType::kUint32: return TypeInfo{Shape::kScalar, 4, false};
    case NvType::kInt64: return TypeInfo{Shape::kScalar, 8, true};
    case NvType::kUint64: return TypeInfo{Shape::kScalar, 8, false};
    case NvType::kHrtime: return TypeInfo{Shape::kScalar, 8, true};
    case NvType::kDouble: return TypeInfo{Shape::kDouble, 8, false};
    case NvType::kString: return TypeInfo{Shape::kString, 0, false};
    case NvType::kBooleanArray: return TypeInfo{Shape::kArray, 4, false};
    case NvType::kByteArray: return TypeInfo{Shape::kArray, 1, false};
    case NvType::kInt8Array: return TypeInfo{Shape::kArray, 1, true};
    case NvType::kUint8Array: return TypeInfo{Shape::kArray, 1, false};
    case NvType::kInt16Array: return TypeInfo{Shape::kArray, 2, true};
    case NvType::kUint16Array: return TypeInfo{Shape::kArray, 2, false};
    case NvType::kInt32Array: return TypeInfo{Shape::kArray, 4, true};
    case NvType::kUint32Array: return TypeInfo{Shape::kArray, 4, false};
    case NvType::kInt64Array: return TypeInfo{Shape::kArray, 8, true};
    case NvType::kUint64Array: return TypeInfo{Shape::kArray, 8, false};
    case NvType::kStringArray: return TypeInfo{Shape::kStringArray, 0, false};
    case NvType::kNvlist: return TypeInfo{Shape::kList, 0, false};
    case NvType::kNvlistArray: return TypeInfo{Shape::kListArray, 0, false};
    default: return std::nullopt;
  }
}

// Integers are kept as uint64: unsigned ones zero-extended, signed ones sign-extended
// from their stored width.
uint64_t widen(uint64_t raw, const TypeInfo& ti) {
  if (ti.width >= 8) return raw;
  const unsigned bits = ti.width * 8;
  raw &= (uint64_t{1} << bits) - 1;
  if (ti.is_signed && (raw >> (bits - 1)) & 1) raw |= ~uint64_t{0} << bits;
  return raw;
}

const char* type_name(NvType t) {
  switch (t) {
    case NvType::kBoolean: return "boolean";
    case NvType::kByte: return "byte";
    case NvType::kInt16: return "int16";
    case NvType::kUint16: return "uint16";
    case NvType::kInt32: return "int32";
    case NvType::kUint32: return "uint32";
    case NvType::kInt64: return "int64";
    case NvType::kUint64: return "uint64";
    case NvType::kString: return "string";
    case NvType::kByteArray: return "byte array";
    case NvType::kInt16Array: return "int16 array";
    case NvType::kUint16Array: return "uint16 array";
    case NvType::kInt32Array: return "int32 array";
    case NvType::kUint32Array: return "uint32 array";
    case NvType::kInt64Array: return "int64 array";
    case NvType::kUint64Array: return "uint64 array";
    case NvType::kStringArray: return "string array";
    case NvType::kHrtime: return "hrtime";
    case NvType::kNvlist: return "nvlist";
    case NvType::kNvlistArray: return "nvlist array";
    case NvType::kBooleanValue: return "boolean value";
    case NvType::kInt8: return "int8";
    case NvType::kUint8: return "uint8";
    case NvType::kBooleanArray: return "boolean array";
    case NvType::kInt8Array: return "int8 array";
    case NvType::kUint8Array: return "uint8 array";
    case NvType::kDouble: return "double";
    default: return "unknown";
  }
}

// ---------------------------------------------------------------------------------------
// A bounds-checked cursor over the packed bytes. Every read states what it is for, so a
// truncated or lying stream is reported with the field and the offset.

class Cursor {
 public:
  Cursor(std::span<const uint8_t> buf, size_t pos, bool little)
      : buf_(buf), pos_(pos), little_(little) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return buf_.size() - pos_; }
  bool little() const { return little_; }

  Result<std::span<const uint8_t>> take(uint64_t n, const char* what) {
    if (n > remaining())
      return make_error(EINVAL, "nvlist: {} at offset {} needs {} bytes, {} left", what, pos_,
                        n, remaining());
    auto s = buf_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  Status skip(uint64_t n, const char* what) {
    FZ_TRY(auto s, take(n, what));
    (void)s;
    return Status::Ok();
  }
  Result<uint64_t> uint(unsigned width, const char* what) {
    FZ_TRY(auto s, take(width, what));
    switch (width) {
      case 1: return uint64_t{s[0]};
      case 2: return uint64_t{load_order<uint16_t>(s.data(), little_)};
      case 4: return uint64_t{load_order<uint32_t>(s.data(), little_)};
      default: return load_order<uint64_t>(s.data(), little_);
    }
  }
  std::span<const uint8_t> bytes(size_t start, size_t n) const { return buf_.subspan(start, n); }
  Result<uint32_t> u32(const char* what) {
    FZ_TRY(uint64_t v, uint(4, what));
    return static_cast<uint32_t>(v);
  }

 private:
  std::span<const uint8_t> buf_;
  size_t pos_;
  bool little_;
};

Error bad(const Cursor& c, std::string_view why) {
  return make_error(EINVAL, "nvlist: {} at offset {}", why, c.pos());
}

// ---------------------------------------------------------------------------------------
// XDR decoding: every field is big-endian and padded to 4 bytes.

class XdrDecoder {
 public:
  explicit XdrDecoder(std::span<const uint8_t> buf) : c_(buf, 4, /*little=*/false) {}

  Status list(NvList& out, int depth) {
    if (depth > kMaxDepth) return bad(c_, "nesting deeper than 64 lists");
    FZ_TRY(uint32_t version, c_.u32("list version"));
    FZ_TRY(uint32_t flag, c_.u32("list flags"));
    (void)flag;
    if (depth > 0 && version != kNvVersion)
      return make_error(ENOTSUP, "nvlist: embedded list version {} at offset {}", version,
                        c_.pos());
    for (;;) {
      FZ_TRY(uint32_t encoded_size, c_.u32("pair encoded size"));
      FZ_TRY(uint32_t decoded_size, c_.u32("pair decoded size"));
      (void)encoded_size;
      if (decoded_size == 0) return Status::Ok();  // two zero words end the list
      FZ_CHECK(pair(out, depth));
    }
  }

 private:
  Result<std::string> string(const char* what) {
    FZ_TRY(uint32_t len, c_.u32(what));
    FZ_TRY(auto bytes, c_.take(len, what));
    FZ_CHECK(c_.skip(align4(len) - len, what));
    const char* p = reinterpret_cast<const char*>(bytes.data());
    return std::string(p, strnlen(p, bytes.size()));  // C readers stop at a NUL
  }

  Status pair(NvList& out, int depth) {
    NvPair p;
    FZ_TRY(p.name, string("pair name"));
    FZ_TRY(uint32_t type, c_.u32("pair type"));
    FZ_TRY(uint32_t nelem, c_.u32("pair element count"));
    p.type = static_cast<NvType>(type);
    auto ti = type_info(p.type);
    if (!ti) return bad(c_, fmt::format("pair '{}' has unknown type {}", p.name, type));
    Status s = decode_value(p, *ti, nelem, depth);
    if (!s.ok()) return std::move(s).error().context("pair '{}'", p.name);
    out.add_pair(std::move(p));
    return Status::Ok();
  }

  // Checks an element count against the bytes left, before anything is allocated.
  Status fits(uint64_t nelem, uint64_t min_bytes_each, const std::string& name) {
    if (nelem * min_bytes_each > c_.remaining())
      return bad(c_, fmt::format("pair '{}' claims {} elements, more than the stream holds",
                                 name, nelem));
    return Status::Ok();
  }

  Status decode_value(NvPair& p, const TypeInfo& ti, uint32_t nelem, int depth) {
    const bool scalar_shape = ti.shape == Shape::kScalar || ti.shape == Shape::kString ||
                              ti.shape == Shape::kList || ti.shape == Shape::kDouble;
    if (ti.shape == Shape::kNone && nelem != 0) return bad(c_, "boolean with elements");
    if (scalar_shape && nelem != 1) return bad(c_, fmt::format("{} elements for a scalar", nelem));
    switch (ti.shape) {
      case Shape::kNone:
        return Status::Ok();
      case Shape::kScalar: {
        FZ_TRY(uint64_t raw, c_.uint(ti.width == 8 ? 8 : 4, "value"));
        p.value = widen(raw, ti);
        return Status::Ok();
      }
      case Shape::kDouble: {
        FZ_TRY(uint64_t raw, c_.uint(8, "value"));
        p.value = std::bit_cast<double>(raw);
        return Status::Ok();
      }
      case Shape::kString: {
        FZ_TRY(std::string s, string("string value"));
        p.value = std::move(s);
        return Status::Ok();
      }
      case Shape::kArray:
        return array(p, ti, nelem);
      case Shape::kStringArray: {
        FZ_CHECK(fits(nelem, 4, p.name));
        std::vector<std::string> v;
        v.reserve(nelem);
        for (uint32_t i = 0; i < nelem; i++) {
          FZ_TRY(std::string s, string("string array element"));
          v.push_back(std::move(s));
        }
        p.value = std::move(v);
        return Status::Ok();
      }
      case Shape::kList:
      case Shape::kListArray: {
        FZ_CHECK(fits(nelem, 16, p.name));  // each list is at least header + terminator
        std::vector<NvList> v(nelem);
        for (auto& l : v) FZ_CHECK(list(l, depth + 1));
        p.value = std::move(v);
        return Status::Ok();
      }
    }
    return bad(c_, "unhandled type");
  }

  Status array(NvPair& p, const TypeInfo& ti, uint32_t nelem) {
    // An empty array is written as nothing at all, not even a count.
    if (nelem == 0) {
      p.value = std::vector<uint64_t>{};
      return Status::Ok();
    }
    std::vector<uint64_t> v;
    if (p.type == NvType::kByteArray) {  // opaque bytes, padded to 4
      FZ_TRY(auto bytes, c_.take(nelem, "byte array"));
      FZ_CHECK(c_.skip(align4(nelem) - nelem, "byte array padding"));
      v.assign(bytes.begin(), bytes.end());
    } else {
      FZ_TRY(uint32_t count, c_.u32("array count"));
      if (count != nelem)
        return bad(c_, fmt::format("array count {} differs from element count {}", count, nelem));
      const unsigned unit = ti.width == 8 ? 8 : 4;
      FZ_CHECK(fits(nelem, unit, p.name));
      v.reserve(nelem);
      for (uint32_t i = 0; i < nelem; i++) {
        FZ_TRY(uint64_t raw, c_.uint(unit, "array element"));
        v.push_back(widen(raw, ti));
      }
    }
    p.value = std::move(v);
    return Status::Ok();
  }

  Cursor c_;
};

// ---------------------------------------------------------------------------------------
// Native decoding: images of the C structures in the writer's byte order. Each pair is
// nvpair_t {size i32, name_sz i16, reserved i16, nelem i32, type i32}, the name with its
// NUL, padding to 8, then the value; a zero size word ends a list. Embedded lists follow
// the pair that holds them.

class NativeDecoder {
 public:
  NativeDecoder(std::span<const uint8_t> buf, bool little) : c_(buf, 4, little) {}

  Status top(NvList& out) {
    FZ_CHECK(c_.skip(8, "list version and flags"));
    return pairs(out, 0);
  }

 private:
  Status pairs(NvList& out, int depth) {
    if (depth > kMaxDepth) return bad(c_, "nesting deeper than 64 lists");
    for (;;) {
      const size_t start = c_.pos();
      FZ_TRY(uint32_t size, c_.u32("pair size"));
      if (size == 0) return Status::Ok();
      if (size > INT32_MAX || size < align8(kNativePairHeader + 1))
        return bad(c_, fmt::format("pair size {}", size));
      FZ_CHECK(c_.skip(size - 4, "pair"));
      std::span<const uint8_t> bytes = c_.bytes(start, size);
      NvPair p;
      FZ_TRY(size_t nlists, pair(bytes, start, p));
      if (nlists > 0) FZ_CHECK(embedded(p, nlists, depth));
      out.add_pair(std::move(p));
    }
  }

  // Decodes one pair image; returns how many embedded lists follow it.
  Result<size_t> pair(std::span<const uint8_t> b, size_t start, NvPair& p) {
    const bool le = c_.little();
    const int64_t name_sz = static_cast<int16_t>(load_order<uint16_t>(b.data() + 4, le));
    const uint32_t nelem = load_order<uint32_t>(b.data() + 8, le);
    const uint32_t type = load_order<uint32_t>(b.data() + 12, le);
    auto err = [&](std::string_view why) {
      return make_error(EINVAL, "nvlist: native pair at offset {}: {}", start, why);
    };
    if (name_sz <= 0 || kNativePairHeader + uint64_t(name_sz) > b.size())
      return err("bad name size");
    const char* name = reinterpret_cast<const char*>(b.data() + kNativePairHeader);
    if (name[name_sz - 1] != '\0' || strnlen(name, name_sz) != size_t(name_sz - 1))
      return err("name not terminated");
    p.name.assign(name, name_sz - 1);
    p.type = static_cast<NvType>(type);
    auto ti = type_info(p.type);
    if (!ti) return err(fmt::format("pair '{}' has unknown type {}", p.name, type));
    const uint64_t valoff = align8(kNativePairHeader + uint64_t(name_sz));
    if (valoff > b.size()) return err("value offset past the pair");
    std::span<const uint8_t> v = b.subspan(valoff);
    auto r = value(v, *ti, nelem, p);
    if (!r.ok()) return err(fmt::format("pair '{}': {}", p.name, r.error().message()));
    return r;
  }

  Result<size_t> value(std::span<const uint8_t> v, const TypeInfo& ti, uint32_t nelem,
                       NvPair& p) {
    const bool le = c_.little();
    auto need = [&](uint64_t n) -> Status {
      if (n > v.size()) return make_error(EINVAL, "value needs {} bytes, pair holds {}", n, v.size());
      return Status::Ok();
    };
    const bool single = ti.shape == Shape::kScalar || ti.shape == Shape::kString ||
                        ti.shape == Shape::kList || ti.shape == Shape::kDouble;
    if (ti.shape == Shape::kNone && nelem != 0) return make_error(EINVAL, "boolean with elements");
    if (single && nelem != 1) return make_error(EINVAL, "{} elements for a scalar", nelem);
    switch (ti.shape) {
      case Shape::kNone:
        return size_t{0};
      case Shape::kScalar:
      case Shape::kDouble: {
        FZ_CHECK(need(ti.width));
        uint64_t raw = read_int(v.data(), ti.width, le);
        if (ti.shape == Shape::kDouble) p.value = std::bit_cast<double>(raw);
        else p.value = widen(raw, ti);
        return size_t{0};
      }
      case Shape::kString: {
        const char* s = reinterpret_cast<const char*>(v.data());
        size_t n = strnlen(s, v.size());
        if (n == v.size()) return make_error(EINVAL, "string not terminated");
        p.value = std::string(s, n);
        return size_t{0};
      }
      case Shape::kArray: {
        FZ_CHECK(need(uint64_t{nelem} * ti.width));
        std::vector<uint64_t> out(nelem);
        for (uint32_t i = 0; i < nelem; i++)
          out[i] = widen(read_int(v.data() + uint64_t{i} * ti.width, ti.width, le), ti);
        p.value = std::move(out);
        return size_t{0};
      }
      case Shape::kStringArray: {
        FZ_CHECK(need(uint64_t{nelem} * kNativePointer));
        std::vector<std::string> out;
        out.reserve(nelem);
        size_t pos = uint64_t{nelem} * kNativePointer;
        for (uint32_t i = 0; i < nelem; i++) {
          if (pos >= v.size()) return make_error(EINVAL, "string array runs past the pair");
          const char* s = reinterpret_cast<const char*>(v.data() + pos);
          size_t n = strnlen(s, v.size() - pos);
          if (n == v.size() - pos) return make_error(EINVAL, "string not terminated");
          out.emplace_back(s, n);
          pos += n + 1;
        }
        p.value = std::move(out);
        return size_t{0};
      }
      case Shape::kList:
      case Shape::kListArray: {
        const uint64_t table = ti.shape == Shape::kListArray ? uint64_t{nelem} * kNativePointer : 0;
        FZ_CHECK(need(table + uint64_t{nelem} * kNativeListImage));
        for (uint32_t i = 0; i < nelem; i++) {
          uint32_t version = load_order<uint32_t>(v.data() + table + i * kNativeListImage, le);
          if (version != kNvVersion)
            return make_error(ENOTSUP, "embedded list version {}", version);
        }
        return size_t{nelem};
      }
    }
    return make_error(EINVAL, "unhandled type");
  }

  Status embedded(NvPair& p, size_t n, int depth) {
    std::vector<NvList> lists(n);
    for (auto& l : lists) FZ_CHECK(pairs(l, depth + 1));
    p.value = std::move(lists);
    return Status::Ok();
  }

  static uint64_t read_int(const uint8_t* p, unsigned width, bool le) {
    switch (width) {
      case 1: return *p;
      case 2: return load_order<uint16_t>(p, le);
      case 4: return load_order<uint32_t>(p, le);
      default: return load_order<uint64_t>(p, le);
    }
  }

  Cursor c_;
};

// ---------------------------------------------------------------------------------------
// XDR encoding, byte for byte as ZFS writes it (including the size words it records).

size_t pair_nelem(const NvPair& p) {
  return std::visit(
      [&](const auto& v) -> size_t {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) return 0;
        else if constexpr (std::is_same_v<T, std::vector<NvList>>)
          return p.type == NvType::kNvlist ? 1 : v.size();
        else if constexpr (std::is_same_v<T, std::vector<uint64_t>> ||
                           std::is_same_v<T, std::vector<std::string>>)
          return v.size();
        else return 1;
      },
      p.value);
}

const std::vector<uint64_t>& ints_of(const NvPair& p) {
  static const std::vector<uint64_t> kEmpty;
  auto* v = std::get_if<std::vector<uint64_t>>(&p.value);
  return v ? *v : kEmpty;
}
const std::vector<std::string>& strings_of(const NvPair& p) {
  static const std::vector<std::string> kEmpty;
  auto* v = std::get_if<std::vector<std::string>>(&p.value);
  return v ? *v : kEmpty;
}
const std::vector<NvList>& lists_of(const NvPair& p) {
  static const std::vector<NvList> kEmpty;
  auto* v = std::get_if<std::vector<NvList>>(&p.value);
  return v ? *v : kEmpty;
}
uint64_t int_of(const NvPair& p) {
  if (auto* v = std::get_if<uint64_t>(&p.value)) return *v;
  if (auto* d = std::get_if<double>(&p.value)) return std::bit_cast<uint64_t>(*d);
  return 0;
}
std::string string_of(const NvPair& p) {
  auto* v = std::get_if<std::string>(&p.value);
  return v ? *v : std::string();
}

uint64_t xdr_list_size(const NvList& l);

// The pair's size in the XDR stream, computed as ZFS computes it (an empty array is
// counted with its count word even though none is written).
uint64_t xdr_pair_size(const NvPair& p) {
  uint64_t n = 4 + 4 + 4 + align4(p.name.size()) + 4 + 4;
  auto ti = type_info(p.type);
  if (!ti) return n;
  switch (ti->shape) {
    case Shape::kNone: return n;
    case Shape::kScalar: return n + (ti->width == 8 ? 8 : 4);
    case Shape::kDouble: return n + 8;
    case Shape::kString: return n + 4 + align4(string_of(p).size());
    case Shape::kArray:
      if (p.type == NvType::kByteArray) return n + align4(ints_of(p).size());
      return n + 4 + (ti->width == 8 ? 8 : 4) * ints_of(p).size();
    case Shape::kStringArray:
      for (const auto& s : strings_of(p)) n += 4 + align4(s.size());
      return n;
    case Shape::kList:
    case Shape::kListArray:
      for (const auto& l : lists_of(p)) n += xdr_list_size(l);
      return n;
  }
  return n;
}

uint64_t xdr_list_size(const NvList& l) {
  uint64_t n = 8 + 8;  // version, flags; terminator
  for (const auto& p : l.pairs()) n += xdr_pair_size(p);
  return n;
}

// The size of the pair as an in-memory nvpair_t, which XDR streams record so that a C
// reader can allocate it.
uint64_t native_pair_size(const NvPair& p) {
  auto ti = type_info(p.type);
  uint64_t value = 0;
  if (ti) {
    const uint64_t nelem = pair_nelem(p);
    switch (ti->shape) {
      case Shape::kNone: break;
      case Shape::kScalar:
      case Shape::kDouble: value = ti->width; break;
      case Shape::kString: value = string_of(p).size() + 1; break;
      case Shape::kArray: value = nelem * ti->width; break;
      case Shape::kStringArray:
        value = nelem * kNativePointer;
        for (const auto& s : strings_of(p)) value += s.size() + 1;
        break;
      case Shape::kList: value = kNativeListImage; break;
      case Shape::kListArray: value = nelem * (kNativePointer + kNativeListImage); break;
    }
  }
  return align8(kNativePairHeader + p.name.size() + 1) + align8(value);
}

class XdrEncoder {
 public:
  std::vector<uint8_t> out;

  void list(const NvList& l) {
    u32(kNvVersion);
    u32(kNvUniqueName);
    for (const auto& p : l.pairs()) pair(p);
    u32(0);
    u32(0);
  }

 private:
  void u32(uint32_t v) {
    uint8_t b[4];
    store<uint32_t>(b, kHostLittle ? bswap(v) : v);
    out.insert(out.end(), b, b + 4);
  }
  void u64(uint64_t v) {
    u32(static_cast<uint32_t>(v >> 32));
    u32(static_cast<uint32_t>(v));
  }
  void bytes(const void* p, size_t n) {
    auto* c = static_cast<const uint8_t*>(p);
    out.insert(out.end(), c, c + n);
    out.resize(out.size() + (align4(n) - n), 0);
  }
  void string(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    bytes(s.data(), s.size());
  }
  // Integers of 32 bits or less travel as one 32-bit word. The 8-bit types go through
  // the C library's signed char on the hosts ZFS runs on, so they are sign-extended.
  void small(uint64_t v, const TypeInfo& ti) {
    if (ti.width == 1) v = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(v)));
    u32(static_cast<uint32_t>(v));
  }

  void pair(const NvPair& p) {
    u32(static_cast<uint32_t>(xdr_pair_size(p)));
    u32(static_cast<uint32_t>(native_pair_size(p)));
    string(p.name);
    u32(static_cast<uint32_t>(p.type));
    const size_t nelem = pair_nelem(p);
    u32(static_cast<uint32_t>(nelem));
    auto ti = type_info(p.type);
    if (!ti || nelem == 0) return;
    switch (ti->shape) {
      case Shape::kNone: break;
      case Shape::kScalar:
        if (ti->width == 8) u64(int_of(p));
        else small(int_of(p), *ti);
        break;
      case Shape::kDouble: u64(int_of(p)); break;
      case Shape::kString: string(string_of(p)); break;
      case Shape::kArray:
        if (p.type == NvType::kByteArray) {
          std::vector<uint8_t> b(ints_of(p).begin(), ints_of(p).end());
          bytes(b.data(), b.size());
        } else {
          u32(static_cast<uint32_t>(nelem));
          for (uint64_t v : ints_of(p)) ti->width == 8 ? u64(v) : small(v, *ti);
        }
        break;
      case Shape::kStringArray:
        for (const auto& s : strings_of(p)) string(s);
        break;
      case Shape::kList:
      case Shape::kListArray:
        for (const auto& l : lists_of(p)) list(l);
        break;
    }
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------

Result<NvList> NvList::decode(std::span<const uint8_t> packed) {
  if (packed.size() < 4 + 8) return make_error(EINVAL, "nvlist: {} bytes is too short", packed.size());
  const uint8_t encoding = packed[0];
  const uint8_t endian = packed[1];
  NvList out;
  if (encoding == kEncodeXdr) {
    XdrDecoder d(packed);
    FZ_CHECK(d.list(out, 0));
  } else if (encoding == kEncodeNative) {
    if (endian > 1) return make_error(EINVAL, "nvlist: bad byte order mark {}", endian);
    NativeDecoder d(packed, endian == 1);
    FZ_CHECK(d.top(out));
  } else {
    return make_error(EINVAL, "nvlist: unknown encoding {}", encoding);
  }
  return out;
}

std::vector<uint8_t> NvList::encode_xdr() const {
  XdrEncoder e;
  e.out.reserve(xdr_list_size(*this) + 4);
  e.out = {kEncodeXdr, static_cast<uint8_t>(kHostLittle ? 1 : 0), 0, 0};
  e.list(*this);
  return std::move(e.out);
}

const NvPair* NvList::find(std::string_view name) const {
  for (const auto& p : pairs_)
    if (p.name == name) return &p;
  return nullptr;
}

std::optional<uint64_t> NvList::get_u64(std::string_view name) const {
  const NvPair* p = find(name);
  if (!p) return std::nullopt;
  auto ti = type_info(p->type);
  if (!ti || ti->shape != Shape::kScalar) return std::nullopt;
  if (auto* v = std::get_if<uint64_t>(&p->value)) return *v;
  return std::nullopt;
}

std::optional<std::string> NvList::get_string(std::string_view name) const {
  const NvPair* p = find(name);
  if (!p || p->type != NvType::kString) return std::nullopt;
  if (auto* v = std::get_if<std::string>(&p->value)) return *v;
  return std::nullopt;
}

const NvList* NvList::get_nvlist(std::string_view name) const {
  const NvPair* p = find(name);
  if (!p || p->type != NvType::kNvlist) return nullptr;
  auto* v = std::get_if<std::vector<NvList>>(&p->value);
  return v && v->size() == 1 ? &(*v)[0] : nullptr;
}

const std::vector<NvList>* NvList::get_nvlist_array(std::string_view name) const {
  const NvPair* p = find(name);
  if (!p || p->type != NvType::kNvlistArray) return nullptr;
  return std::get_if<std::vector<NvList>>(&p->value);
}

std::optional<std::vector<uint64_t>> NvList::get_u64_array(std::string_view name) const {
  const NvPair* p = find(name);
  if (!p) return std::nullopt;
  auto ti = type_info(p->type);
  if (!ti || ti->shape != Shape::kArray) return std::nullopt;
  if (auto* v = std::get_if<std::vector<uint64_t>>(&p->value)) return *v;
  return std::nullopt;
}

namespace {
void replace_or_append(std::vector<NvPair>& pairs, NvPair p) {
  // ZFS lists are NV_UNIQUE_NAME: adding a name drops the old pair, the new one goes last.
  std::erase_if(pairs, [&](const NvPair& q) { return q.name == p.name; });
  pairs.push_back(std::move(p));
}
}  // namespace

NvList& NvList::add_u64(std::string name, uint64_t v, NvType t) {
  replace_or_append(pairs_, NvPair{std::move(name), t, v});
  return *this;
}
NvList& NvList::add_string(std::string name, std::string v) {
  replace_or_append(pairs_, NvPair{std::move(name), NvType::kString, std::move(v)});
  return *this;
}
NvList& NvList::add_nvlist(std::string name, NvList v) {
  std::vector<NvList> one;
  one.push_back(std::move(v));
  replace_or_append(pairs_, NvPair{std::move(name), NvType::kNvlist, std::move(one)});
  return *this;
}
NvList& NvList::add_nvlist_array(std::string name, std::vector<NvList> v) {
  replace_or_append(pairs_, NvPair{std::move(name), NvType::kNvlistArray, std::move(v)});
  return *this;
}
NvList& NvList::add_u64_array(std::string name, std::vector<uint64_t> v, NvType t) {
  replace_or_append(pairs_, NvPair{std::move(name), t, std::move(v)});
  return *this;
}
NvList& NvList::add_boolean(std::string name) {
  replace_or_append(pairs_, NvPair{std::move(name), NvType::kBoolean, std::monostate{}});
  return *this;
}
NvList& NvList::add_pair(NvPair p) {
  pairs_.push_back(std::move(p));
  return *this;
}

// ---------------------------------------------------------------------------------------
// Rendering in zdb's style: "name: value", strings quoted, nested lists indented by 4.

namespace {

std::string int_text(uint64_t v, NvType t) {
  auto ti = type_info(t);
  if (ti && ti->is_signed) return std::to_string(static_cast<int64_t>(v));
  return std::to_string(v);
}

void render_value(std::string& out, const NvPair& p, int indent) {
  const std::string pad(indent, ' ');
  auto ti = type_info(p.type);
  if (!ti) {
    out += fmt::format("{}{}: <{}>\n", pad, p.name, type_name(p.type));
    return;
  }
  switch (ti->shape) {
    case Shape::kNone:
      out += fmt::format("{}{}\n", pad, p.name);
      return;
    case Shape::kScalar:
      out += fmt::format("{}{}: {}\n", pad, p.name, int_text(int_of(p), p.type));
      return;
    case Shape::kDouble:
      out += fmt::format("{}{}: {}\n", pad, p.name, std::bit_cast<double>(int_of(p)));
      return;
    case Shape::kString:
      out += fmt::format("{}{}: '{}'\n", pad, p.name, string_of(p));
      return;
    case Shape::kArray: {
      std::string line = fmt::format("{}{}:", pad, p.name);
      for (uint64_t v : ints_of(p)) line += " " + int_text(v, p.type);
      out += line + "\n";
      return;
    }
    case Shape::kStringArray: {
      std::string line = fmt::format("{}{}:", pad, p.name);
      for (const auto& s : strings_of(p)) line += fmt::format(" '{}'", s);
      out += line + "\n";
      return;
    }
    case Shape::kList:
      out += fmt::format("{}{}:\n", pad, p.name);
      for (const auto& l : lists_of(p)) out += l.to_string(indent + 4);
      return;
    case Shape::kListArray: {
      const auto& lists = lists_of(p);
      for (size_t i = 0; i < lists.size(); i++) {
        out += fmt::format("{}{}[{}]:\n", pad, p.name, i);
        out += lists[i].to_string(indent + 4);
      }
      return;
    }
  }
}

}  // namespace

std::string NvList::to_string(int indent) const {
  std::string out;
  for (const auto& p : pairs_) render_value(out, p, indent);
  return out;
}

}  // namespace fzfs
