// Objects whose data is an array of u64 (metaslab arrays, sub-bpobj lists, space maps):
// each data block is in the byte order of the host that wrote that block, which its
// block pointer records. A pool moved between hosts can mix orders within one object,
// and the dnode's own order says nothing about its data.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/dmu/objset.h"

namespace fzfs {

// The first `count` u64 of the object's data, each block swapped as its bp says.
// count is bounded by the object's size.
Result<std::vector<uint64_t>> read_u64_array(const Objset& os, const Dnode& dn, uint64_t count);

}  // namespace fzfs
