#include "engine/dsl/deadlist.h"

#include <vector>

#include "engine/dmu/dmu_types.h"
#include "engine/util/byteorder.h"
#include "engine/zap/zap.h"

namespace fzfs {
namespace {

void add_u64(std::vector<uint8_t>& b, size_t off, uint64_t delta) {
  if (off + 8 <= b.size()) store<uint64_t>(b.data() + off, load<uint64_t>(b.data() + off) + delta);
}

}  // namespace

Status bpobj_append(WritableObjset& mos, uint64_t bpobj, const Blkptr& bp, const BlockSpace& space) {
  FZ_TRY(Dnode dn, mos.dnode(bpobj));
  if (dn.type != kOtBpobj) return make_error(EIO, "object {} is not a bpobj (type {})", bpobj, dn.type);
  if (dn.bonus.size() < 16) return make_error(EIO, "bpobj {}: bonus of {} bytes", bpobj, dn.bonus.size());
  std::vector<uint8_t> bonus = dn.bonus;
  const uint64_t n = load<uint64_t>(bonus.data());
  // Stored without checksum or fill: they are only ever freed, never read through.
  Blkptr stored = bp;
  stored.cksum = Cksum{};
  stored.fill = 0;
  uint8_t raw[kBlkptrSize];
  stored.encode(raw);
  FZ_CHECK(mos.write(bpobj, n * kBlkptrSize, raw));
  add_u64(bonus, 0, 1);
  add_u64(bonus, 8, space.used);
  add_u64(bonus, 16, space.compressed);
  add_u64(bonus, 24, space.uncompressed);
  return mos.set_bonus(bpobj, bonus);
}

Status deadlist_insert(WritableObjset& mos, uint64_t deadlist_obj, const Blkptr& bp, const BlockSpace& space) {
  FZ_TRY(Dnode dn, mos.dnode(deadlist_obj));
  if (dn.type == kOtBpobj) return bpobj_append(mos, deadlist_obj, bp, space);
  if (dn.type != kOtDeadlist) return make_error(EIO, "object {} is not a dead list (type {})", deadlist_obj, dn.type);

  FZ_TRY(auto view, mos.object(deadlist_obj));
  FZ_TRY(ZapReader zap, ZapReader::open(*view));
  uint64_t best_txg = 0, best_obj = 0;
  bool found = false;
  FZ_CHECK(zap.list([&](const ZapEntry& e) {
    uint64_t mintxg = std::strtoull(e.name.c_str(), nullptr, 16);
    if (mintxg < bp.birth && (!found || mintxg > best_txg) && !e.ints.empty()) {
      best_txg = mintxg, best_obj = e.ints[0], found = true;
    }
    return true;
  }));
  if (!found) return make_error(EIO, "dead list {} has no entry for a block born in txg {}", deadlist_obj, bp.birth);
  FZ_CHECK(bpobj_append(mos, best_obj, bp, space));
  std::vector<uint8_t> bonus = dn.bonus;
  add_u64(bonus, 0, space.used);
  add_u64(bonus, 8, space.compressed);
  add_u64(bonus, 16, space.uncompressed);
  return mos.set_bonus(deadlist_obj, bonus);
}

}  // namespace fzfs
