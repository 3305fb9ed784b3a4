// Converting ZAP blocks written in the other byte order to host order, before a writer
// changes and rewrites them. Which fields swap depends on the block kind: the micro ZAP's
// header and entry integers; every word of a fat header or pointer-table block; a leaf's
// header, hash table and the structure fields of each chunk (array payloads are
// big-endian by definition and never swap). Internal to engine/zap.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/util/status.h"

namespace fzfs {

void micro_block_to_host(std::vector<uint8_t>& block);
void word_block_to_host(std::vector<uint8_t>& block);  // fat header, pointer table
// EIO for a chunk of unknown type (its fields could not be located).
Status leaf_block_to_host(std::vector<uint8_t>& block, int bs, uint64_t object, uint64_t blkid);

}  // namespace fzfs
