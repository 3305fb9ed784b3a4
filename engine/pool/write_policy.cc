#include "engine/pool/write_policy.h"

#include <algorithm>

#include "engine/dmu/dmu_types.h"

namespace fzfs {
namespace {

Compress on_value(bool lz4_active) { return lz4_active ? Compress::kLz4 : Compress::kLzjb; }

}  // namespace

DatasetWriteProps parse_write_props(const std::string& checksum, const std::string& compression,
                                    const std::string& copies, bool lz4_active) {
  DatasetWriteProps p;
  if (checksum == "off") p.checksum = ChecksumType::kOff;
  else if (checksum == "fletcher2") p.checksum = ChecksumType::kFletcher2;
  else if (checksum == "sha256") p.checksum = ChecksumType::kSha256;
  else p.checksum = ChecksumType::kFletcher4;  // "on", "fletcher4"

  if (compression == "on") p.compress = on_value(lz4_active);
  else if (compression == "lzjb") p.compress = Compress::kLzjb;
  else if (compression == "lz4") p.compress = Compress::kLz4;
  else if (compression == "zle") p.compress = Compress::kZle;
  else if (compression == "zstd") p.compress = Compress::kZstd;
  else if (compression == "gzip") p.compress = Compress::kGzip6;
  else if (compression.rfind("gzip-", 0) == 0 && compression.size() == 6 && compression[5] >= '1' && compression[5] <= '9')
    p.compress = static_cast<Compress>(static_cast<int>(Compress::kGzip1) + (compression[5] - '1'));
  else p.compress = Compress::kOff;

  p.copies = (copies == "2") ? 2 : (copies == "3") ? 3 : 1;
  return p;
}

bool dmu_type_is_metadata(uint8_t type) {
  switch (type) {
    case kOtPlainFileContents: case kOtZvol: case kOtPlainOther: case kOtUint64Other: case kOtDedup:
      return false;
    default:
      return true;
  }
}

WritePolicy block_policy(const DatasetWriteProps& ds, const Dnode& dn, int level, bool mos, bool lz4_active,
                         int max_copies) {
  WritePolicy p;
  const bool metadata = mos || level > 0 || dmu_type_is_metadata(dn.type);
  if (metadata) {
    p.checksum = ds.checksum == ChecksumType::kSha256 ? ChecksumType::kSha256 : ChecksumType::kFletcher4;
    p.compress = on_value(lz4_active);
    p.copies = mos ? 3 : ds.copies + 1;
  } else {
    p.checksum = ds.checksum;
    p.compress = ds.compress;
    p.copies = ds.copies;
  }
  p.copies = std::clamp(p.copies, 1, std::max(1, max_copies));
  return p;
}

}  // namespace fzfs
