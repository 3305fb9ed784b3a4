// Dataset commands on the MOS (zfs create, rename, destroy), DSL records only: the new
// file system's objset is the caller's (its objset is added to the pool separately).
//
//   create "pool/a/b":  parent dir "pool/a" ── child_dir_zapobj += "b" ─► new dsl_dir
//                         new dsl_dir: props ZAP, child map, parent = "pool/a"
//                         head dsl_dataset: snapnames ZAP, dead list; since v11 a clone
//                         of $ORIGIN@$ORIGIN (prev_snap = it, listed in its next_clones
//                         and, v26+, in $ORIGIN's dd_clones)
//   rename:             entry moves between child maps, dd_parent changes, the old
//                       parents give up the dir's space (and reservation), the new gain it
//   destroy (records):  the reverse of create, snapshots included
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "engine/dmu/writable_objset.h"

namespace fzfs {

struct NewDatasetParams {
  uint64_t version = 28;   // pool version
  uint64_t parent_dir = 0;
  std::string name;        // the last component
  uint64_t txg = 0;        // the open txg
  uint64_t now = 0;        // seconds
  std::function<uint64_t()> random;
};

struct NewDataset {
  uint64_t dir_obj = 0;
  uint64_t ds_obj = 0;
};

// Makes the dsl_dir and head dsl_dataset (its bp a hole until the caller's objset is
// synced). EEXIST when the parent has a child of that name.
Result<NewDataset> create_dataset_records(WritableObjset& mos, const NewDatasetParams& p);

// Moves dsl_dir `dir_obj` under `new_parent` as `new_name` (EEXIST when taken).
Status rename_dir(WritableObjset& mos, uint64_t dir_obj, uint64_t new_parent, const std::string& new_name);

// Removes a dsl_dir without child dirs, its head dataset and all its snapshots: the
// objects (dead lists and their bpobjs included), the parent's child-map entry, the
// origin's clone links and the parent's space. EBUSY when a snapshot has clones. The
// blocks are the caller's to free (dataset_destroy.h).
Status destroy_dataset_records(WritableObjset& mos, uint64_t version, uint64_t dir_obj);

// zfs's dataset name rules for NAME (a file system: no '@'); "" when valid, else zfs's
// reason ("leading slash in name", ...).
std::string dataset_name_problem(const std::string& name);

}  // namespace fzfs
