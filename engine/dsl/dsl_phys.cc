#include "engine/dsl/dsl_phys.h"

#include "engine/util/byteorder.h"

namespace fzfs {

Result<DslDirPhys> DslDirPhys::decode(std::span<const uint8_t> b, bool little) {
  if (b.size() < 152) return make_error(EIO, "dsl_dir bonus of {} bytes is too short", b.size());
  auto u = [&](size_t off) { return load_order<uint64_t>(b.data() + off, little); };
  DslDirPhys d;
  d.creation_time = u(0);
  d.head_dataset_obj = u(8);
  d.parent_obj = u(16);
  d.origin_obj = u(24);
  d.child_dir_zapobj = u(32);
  d.used_bytes = u(40);
  d.compressed_bytes = u(48);
  d.uncompressed_bytes = u(56);
  d.quota = u(64);
  d.reserved = u(72);
  d.props_zapobj = u(80);
  d.deleg_zapobj = u(88);
  d.flags = u(96);
  for (uint64_t i = 0; i < kDdUsedNum; i++) d.used_breakdown[i] = u(104 + 8 * i);
  d.clones = u(144);
  return d;
}

Result<DslDatasetPhys> DslDatasetPhys::decode(std::span<const uint8_t> b, bool little) {
  if (b.size() < 280) return make_error(EIO, "dsl_dataset bonus of {} bytes is too short", b.size());
  auto u = [&](size_t off) { return load_order<uint64_t>(b.data() + off, little); };
  DslDatasetPhys d;
  d.dir_obj = u(0);
  d.prev_snap_obj = u(8);
  d.prev_snap_txg = u(16);
  d.next_snap_obj = u(24);
  d.snapnames_zapobj = u(32);
  d.num_children = u(40);
  d.creation_time = u(48);
  d.creation_txg = u(56);
  d.deadlist_obj = u(64);
  d.referenced_bytes = u(72);
  d.compressed_bytes = u(80);
  d.uncompressed_bytes = u(88);
  d.unique_bytes = u(96);
  d.fsid_guid = u(104);
  d.guid = u(112);
  d.flags = u(120);
  d.bp = Blkptr::decode(b.data() + 128, little);
  d.next_clones_obj = u(256);
  d.props_obj = u(264);
  d.userrefs_obj = u(272);
  return d;
}

void DslDirPhys::encode(std::span<uint8_t> b) const {
  auto put = [&](size_t off, uint64_t v) { store<uint64_t>(b.data() + off, v); };
  put(0, creation_time);
  put(8, head_dataset_obj);
  put(16, parent_obj);
  put(24, origin_obj);
  put(32, child_dir_zapobj);
  put(40, used_bytes);
  put(48, compressed_bytes);
  put(56, uncompressed_bytes);
  put(64, quota);
  put(72, reserved);
  put(80, props_zapobj);
  put(88, deleg_zapobj);
  put(96, flags);
  for (uint64_t i = 0; i < kDdUsedNum; i++) put(104 + 8 * i, used_breakdown[i]);
  put(144, clones);
}

void DslDatasetPhys::encode(std::span<uint8_t> b) const {
  auto put = [&](size_t off, uint64_t v) { store<uint64_t>(b.data() + off, v); };
  put(0, dir_obj);
  put(8, prev_snap_obj);
  put(16, prev_snap_txg);
  put(24, next_snap_obj);
  put(32, snapnames_zapobj);
  put(40, num_children);
  put(48, creation_time);
  put(56, creation_txg);
  put(64, deadlist_obj);
  put(72, referenced_bytes);
  put(80, compressed_bytes);
  put(88, uncompressed_bytes);
  put(96, unique_bytes);
  put(104, fsid_guid);
  put(112, guid);
  put(120, flags);
  bp.encode(b.data() + 128);
  put(256, next_clones_obj);
  put(264, props_obj);
  put(272, userrefs_obj);
}

}  // namespace fzfs
