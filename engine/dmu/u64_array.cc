#include "engine/dmu/u64_array.h"

#include "engine/util/byteorder.h"

namespace fzfs {

Result<std::vector<uint64_t>> read_u64_array(const Objset& os, const Dnode& dn, uint64_t count) {
  const uint64_t bs = dn.data_block_size();
  const uint64_t per_block = bs / 8;
  if (per_block == 0 || count > (dn.maxblkid + 1) * per_block)
    return make_error(EIO, "object {}: {} words do not fit in its {} blocks of {} bytes", dn.object, count,
                      dn.maxblkid + 1, bs);
  std::vector<uint64_t> out;
  out.reserve(count);
  for (uint64_t blkid = 0; out.size() < count; blkid++) {
    FZ_TRY(Blkptr bp, os.level0_bp(dn, blkid));
    FZ_TRY(BlockData blk, os.read_block(dn, blkid));
    const bool little = bp.is_hole() ? dn.little : bp.little_endian();
    for (uint64_t i = 0; i < per_block && out.size() < count; i++)
      out.push_back((i + 1) * 8 <= blk->size() ? load_order<uint64_t>(blk->data() + i * 8, little) : 0);
  }
  return out;
}

}  // namespace fzfs
