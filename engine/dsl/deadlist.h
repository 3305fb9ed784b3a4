// Dead lists: blocks a head dataset no longer references but an older snapshot still
// does. They are not freed; they wait on the head's dead list until the snapshot that
// holds them is destroyed.
//
//   pool version < 26: ds_deadlist_obj is one bplist (a bpobj): an array of blkptrs
//   pool version >= 26: ds_deadlist_obj is a ZAP  "mintxg (hex)" -> bpobj, one per
//                       snapshot interval; a block born in txg b goes to the entry with
//                       the greatest mintxg below b. Its bonus totals every entry.
//
//   bpobj bonus (bpobj_phys): 0 num_blkptrs  8 bytes  16 comp  24 uncomp  32 subobjs
//                             40 num_subobjs 48 num_freed   (old pools stop after 16 or 32)
//   deadlist bonus:           0 used  8 comp  16 uncomp
#pragma once

#include <cstdint>

#include "engine/dmu/writable_objset.h"

namespace fzfs {

// The space a block takes, as the DSL counts it.
struct BlockSpace {
  uint64_t used = 0;          // deflated allocated bytes, all copies
  uint64_t compressed = 0;    // psize
  uint64_t uncompressed = 0;  // lsize
};

// Appends bp to the dead list object `deadlist_obj` of the MOS.
Status deadlist_insert(WritableObjset& mos, uint64_t deadlist_obj, const Blkptr& bp, const BlockSpace& space);

// Appends bp to a bpobj (the entries a bplist/bpobj object holds).
Status bpobj_append(WritableObjset& mos, uint64_t bpobj, const Blkptr& bp, const BlockSpace& space);

}  // namespace fzfs
