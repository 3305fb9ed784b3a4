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

}  // namespace fzfs
