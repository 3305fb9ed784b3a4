// Which checksum, compression and number of copies a block gets (ZFS's
// dmu_write_policy), from the dataset's properties, the block's type and level.
//
//   file data (level 0 of plain files, zvols, ...)  checksum, compression, copies
//                                                    as the dataset's properties say
//   metadata (indirect blocks, dnodes, ZAPs, ...)    fletcher4 (or sha256 when the
//                                                    dataset uses it), compression "on",
//                                                    one more copy than the data (max 3)
//   the MOS                                          as metadata, with 3 copies
//
// Compression "on" means lzjb on legacy pools and lz4 once feature lz4_compress is active.
#pragma once

#include <cstdint>
#include <string>

#include "engine/dmu/dnode.h"
#include "engine/zio/block_writer.h"

namespace fzfs {

struct DatasetWriteProps {
  ChecksumType checksum = ChecksumType::kFletcher4;
  Compress compress = Compress::kOff;
  int copies = 1;
};

// Parses the property values `zfs get` shows ("on", "lzjb", "gzip-6", "sha256", "2").
DatasetWriteProps parse_write_props(const std::string& checksum, const std::string& compression,
                                    const std::string& copies, bool lz4_active);

// True for object types whose blocks are metadata.
bool dmu_type_is_metadata(uint8_t type);

// The policy of one block. `mos` selects the MOS rule; max_copies is 1 before pool
// version 2 (no ditto blocks), else 3.
WritePolicy block_policy(const DatasetWriteProps& ds, const Dnode& dn, int level, bool mos, bool lz4_active,
                         int max_copies);

}  // namespace fzfs
