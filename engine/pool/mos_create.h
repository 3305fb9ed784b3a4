// The MOS of a new pool: every object `zpool create` makes in txg 4 before the first
// sync, for pool versions 1-28 (docs/format/pool-create.md section 3).
//
//   1 object directory ── root_dataset ─► root dsl_dir ── child map ─► $MOS, [$FREE], [$ORIGIN]
//        │                                   └─ head_dataset_obj ─► root dsl_dataset ─► (ZPL objset,
//        │                                                            written by the first sync)
//        ├─ config ─► packed nvlist (rewritten once the vdev tree is final)
//        ├─ sync_bplist, [deflate], [history], [free_bpobj], [pool_props]
//   [$ORIGIN]  (v11+): head dataset + snapshot $ORIGIN@$ORIGIN, of which the root
//              dataset is a clone (next_clones, v26: dd_clones)
//   dead lists: v1-25 one bplist each; v26+ a DEADLIST ZAP "mintxg" -> bpobj
//   metaslab arrays: one OBJECT_ARRAY per top-level vdev (space maps come with the sync)
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/dmu/writable_objset.h"
#include "engine/util/nvlist.h"
#include "engine/zap/zap_writer.h"

namespace fzfs {

struct MosCreateParams {
  uint64_t version = 28;
  uint64_t now = 0;                 // creation time, seconds
  uint64_t top_vdevs = 1;           // metaslab arrays to make
  uint64_t history_max_off = 0;     // history object: 1% of the pool's space, >= 128 KiB
  bool root_case_insensitive = false;  // the root dataset carries DS_FLAG_CI_DATASET
  // Pool properties (the pool_props ZAP); the root's -O properties are the caller's.
  std::vector<std::pair<std::string, uint64_t>> pool_props;
  // Dataset guids (random in production).
  std::function<uint64_t()> random;
};

struct MosObjects {
  uint64_t root_dir = 0;
  uint64_t mos_dir = 0;
  uint64_t root_dataset = 0;
  uint64_t config = 0;
  uint64_t history = 0;                   // 0 before v4
  std::vector<uint64_t> metaslab_arrays;  // by top-level vdev id
};

// Makes every MOS object of a new pool in `mos` (empty, the txg open). The config object
// is left empty: write_config_object() fills it.
Result<MosObjects> create_mos(WritableObjset& mos, const MosCreateParams& p);

// Stores `config` packed (XDR) as the config object's data, its length in the bonus.
Status write_config_object(WritableObjset& mos, uint64_t obj, const NvList& config);

// Appends one record to the pool history (an empty log only: the create's own record):
// an 8-byte little-endian length, then the nvlist packed XDR, as zfs-fuse writes it. The
// bonus then marks it as the pool-creation record (pool_create_len = bof = eof).
Status write_first_history_record(WritableObjset& mos, uint64_t obj, const NvList& record);

// The history object's size limit for a pool of `dspace` usable (deflated) bytes.
uint64_t history_max_offset(uint64_t dspace);

}  // namespace fzfs
