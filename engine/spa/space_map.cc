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

uint64_t space_map_debug_word(SmType action, uint64_t sync_pass, uint64_t txg) {
  return (kPrefixDebug << 62) | (uint64_t(action) << 60) | ((sync_pass & 0x3ff) << 50) | (txg & ((1ULL << 50) - 1));
}

SpaceMapWriter::SpaceMapWriter(const SpaceMapRegion& region, const SpaceMapLayout& layout, uint64_t length)
    : region_(region), layout_(layout), length_(length) {}

Status SpaceMapWriter::check(const SpaceMapRange& r) const {
  const uint64_t unit = 1ULL << region_.shift;
  if (r.length == 0 || r.start % unit != 0 || r.length % unit != 0)
    return make_error(EINVAL, "space map range [{:#x}, +{:#x}) is empty or not aligned to {} bytes", r.start, r.length,
                      unit);
  if (r.start < region_.start || r.start - region_.start > region_.size || r.length > region_.size - (r.start - region_.start))
    return make_error(EINVAL, "space map range [{:#x}, +{:#x}) lies outside the region [{:#x}, +{:#x})", r.start,
                      r.length, region_.start, region_.size);
  if (!layout_.two_word && ((r.start - region_.start) >> region_.shift) + (r.length >> region_.shift) > kSmOffsetMax)
    return make_error(EINVAL, "space map range [{:#x}, +{:#x}) needs two-word entries", r.start, r.length);
  return Status::Ok();
}

Status SpaceMapWriter::append(std::span<const SpaceMapRange> ranges, uint64_t txg, uint64_t sync_pass) {
  if (region_.shift >= 64) return make_error(EINVAL, "space map unit shift {} is too large", region_.shift);
  if (layout_.block_size < 16 || layout_.block_size % 8 != 0)
    return make_error(EINVAL, "space map block size {} cannot hold a two-word entry", layout_.block_size);
  if (length_ % 8 != 0) return make_error(EINVAL, "space map length {} is not whole words", length_);
  for (const SpaceMapRange& r : ranges) FZ_CHECK(check(r));
  for (size_t i = 0; i < ranges.size(); i++) {
    const SpaceMapRange& r = ranges[i];
    if (i == 0 || ranges[i - 1].type != r.type) put(space_map_debug_word(r.type, sync_pass, txg));
    entry(r.type, (r.start - region_.start) >> region_.shift, r.length >> region_.shift);
    alloc_delta_ += r.type == SmType::kAlloc ? int64_t(r.length) : -int64_t(r.length);
  }
  return Status::Ok();
}

void SpaceMapWriter::put(uint64_t w) {
  words_.push_back(w);
  length_ += 8;
}

void SpaceMapWriter::entry(SmType type, uint64_t unit, uint64_t units) {
  const uint64_t t = uint64_t(type);
  // Like ZFS, two words only where one cannot say it: legacy-sized runs stay one word.
  const bool two = layout_.two_word && (unit >= kSmOffsetMax || units > kSmRunMax);
  const uint64_t max_run = two ? kSm2RunMax : kSmRunMax;
  while (units > 0) {
    const uint64_t run = std::min(units, max_run);
    if (two) {
      if ((length_ + 8) % layout_.block_size == 0) put(space_map_debug_word(SmType::kAlloc, 0, 0));
      put((kPrefixTwoWord << 62) | ((run - 1) << 24) | kSmNoVdev);
      put((t << 63) | unit);
    } else {
      put((unit << 16) | (t << 15) | (run - 1));
    }
    unit += run;
    units -= run;
  }
}

Result<std::vector<uint64_t>> encode_condensed_space_map(const RangeSet& allocated, const SpaceMapRegion& region,
                                                         const SpaceMapLayout& layout, uint64_t txg,
                                                         uint64_t sync_pass) {
  std::vector<SpaceMapRange> ranges;
  ranges.reserve(allocated.ranges());
  allocated.for_each([&](uint64_t start, uint64_t len) { ranges.push_back({SmType::kAlloc, start, len}); });
  SpaceMapWriter w(region, layout, 0);
  FZ_CHECK(w.append(ranges, txg, sync_pass));
  return w.words();
}

bool should_condense_space_map(uint64_t length, uint64_t condensed_bytes, uint64_t block_size, uint64_t ashift) {
  const uint64_t record = std::max(block_size, uint64_t(1) << std::min<uint64_t>(ashift, 63));
  return length / 2 >= condensed_bytes && length > 4 * record;
}

}  // namespace fzfs
