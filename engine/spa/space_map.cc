#include "engine/spa/space_map.h"

#include <algorithm>

#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

constexpr uint64_t kPhysV0Size = 24;   // object, length, alloc
constexpr uint64_t kHistogramOffset = 64;

uint64_t bits(uint64_t w, int lo, int n) { return (w >> lo) & ((n == 64 ? 0 : (1ULL << n)) - 1); }

constexpr uint64_t kPrefixDebug = 2, kPrefixTwoWord = 3;

}  // namespace

Result<SpaceMapPhys> SpaceMapPhys::decode(std::span<const uint8_t> b, bool little) {
  if (b.size() < kPhysV0Size) return make_error(EIO, "space map bonus of {} bytes is too short", b.size());
  SpaceMapPhys p;
  p.object = load_order<uint64_t>(b.data(), little);
  p.length = load_order<uint64_t>(b.data() + 8, little);
  p.alloc = static_cast<int64_t>(load_order<uint64_t>(b.data() + 16, little));
  if (b.size() >= kHistogramOffset + kSpaceMapHistogramSize * 8) {
    for (uint64_t i = 0; i < kSpaceMapHistogramSize; i++)
      p.histogram.push_back(load_order<uint64_t>(b.data() + kHistogramOffset + 8 * i, little));
  }
  return p;
}

Status SpaceMapParser::feed(std::span<const uint8_t> bytes, bool little) {
  if (bytes.size() % 8 != 0) return make_error(EIO, "space map data of {} bytes is not whole words", bytes.size());
  for (size_t i = 0; i < bytes.size(); i += 8) FZ_CHECK(word(load_order<uint64_t>(bytes.data() + i, little)));
  return Status::Ok();
}

Status SpaceMapParser::finish() const {
  if (pending_) return make_error(EIO, "space map ends inside a two-word entry at word {}", words_ - 1);
  return Status::Ok();
}

Status SpaceMapParser::word(uint64_t w) {
  const uint64_t index = words_++;
  SpaceMapEntry e;
  e.txg = txg_;
  e.sync_pass = sync_pass_;
  if (pending_) {
    pending_ = false;
    e.index = index - 1;
    e.run = bits(first_, 24, 36) + 1;
    e.vdev = static_cast<uint32_t>(bits(first_, 0, 24));
    e.type = static_cast<SmType>(w >> 63);
    e.offset = bits(w, 0, 63);
    return cb_(e);
  }
  const uint64_t prefix = w >> 62;
  if (prefix == kPrefixDebug) {
    // The all-zero debug word pads a block's tail and carries no txg.
    if (bits(w, 0, 60) != 0) {
      txg_ = bits(w, 0, 50);
      sync_pass_ = bits(w, 50, 10);
    }
    return Status::Ok();
  }
  if (prefix == kPrefixTwoWord) {
    pending_ = true;
    first_ = w;
    return Status::Ok();
  }
  e.index = index;
  e.run = bits(w, 0, 15) + 1;
  e.type = static_cast<SmType>(bits(w, 15, 1));
  e.offset = bits(w, 16, 47);
  return cb_(e);
}

Status read_space_map(uint64_t length, uint64_t block_size, const SpaceMapBlockReader& read_block,
                      const SpaceMapParser::Callback& cb) {
  if (length % 8 != 0) return make_error(EIO, "space map length {} is not a whole number of words", length);
  if (block_size == 0 || block_size % 8 != 0)
    return make_error(EIO, "space map block size {} is not a whole number of words", block_size);
  SpaceMapParser parser(cb);
  std::vector<uint8_t> block;
  for (uint64_t pos = 0, blkid = 0; pos < length; pos += block_size, blkid++) {
    bool little = true;
    FZ_CHECK(read_block(blkid, &block, &little));
    const uint64_t want = std::min(block_size, length - pos);
    if (block.size() < want) return make_error(EIO, "space map block {} holds {} of {} bytes", blkid, block.size(), want);
    // A two-word entry never straddles a block; one that does means a damaged log.
    if (Status s = parser.feed(std::span(block.data(), want), little); !s.ok())
      return std::move(s.error()).context("block {}", blkid);
    if (pos + want < length) {
      if (Status s = parser.finish(); !s.ok()) return std::move(s.error()).context("block {}", blkid);
    }
  }
  return parser.finish();
}

Status apply_space_map_entry(const SpaceMapEntry& e, const SpaceMapRegion& r, RangeSet* allocated) {
  const char* what = e.type == SmType::kAlloc ? "ALLOC" : "FREE";
  if (r.shift >= 64 || e.offset > (r.size >> r.shift) || e.run > (r.size >> r.shift) - e.offset)
    return make_error(EIO, "space map entry at word {}: {} of {} units at unit {} lies outside the {}-byte region",
                      e.index, what, e.run, e.offset, r.size);
  const uint64_t start = r.start + (e.offset << r.shift), len = e.run << r.shift;
  if (e.type == SmType::kAlloc) {
    if (uint64_t dup = allocated->add(start, len); dup != 0)
      return make_error(EIO, "space map entry at word {} (txg {}): ALLOC [{:#x}, +{:#x}) overlaps {} allocated bytes",
                        e.index, e.txg, start, len, dup);
  } else {
    if (uint64_t had = allocated->remove(start, len); had != len)
      return make_error(EIO, "space map entry at word {} (txg {}): FREE [{:#x}, +{:#x}) frees {} bytes not allocated",
                        e.index, e.txg, start, len, len - had);
  }
  return Status::Ok();
}

}  // namespace fzfs
