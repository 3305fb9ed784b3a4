#include "engine/pool/pool_space.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "engine/dmu/dmu_types.h"
#include "engine/dmu/u64_array.h"

namespace fzfs {
namespace {

constexpr uint64_t kMaxMetaslabs = 1 << 20;
constexpr uint64_t kMaxLogSpaceMaps = 1 << 16;
constexpr uint64_t kLogShift = 9;  // log space maps count in 512-byte units
const char* const kLogZapName = "com.delphix:log_spacemap_zap";
const char* const kUnflushedTxgsName = "com.delphix:ms_unflushed_phys_txgs";

// The top-level vdev configs: the MOS config's children, else the label's one tree.
std::vector<NvList> top_level_configs(const DslPool& dp) {
  if (const NvList* vt = dp.mos_config().get_nvlist("vdev_tree"))
    if (auto* ch = vt->get_nvlist_array("children")) return *ch;
  if (const NvList* vt = dp.spa()->config().get_nvlist("vdev_tree")) return {*vt};
  return {};
}

// Opens a space map object and streams its entries to cb.
Status read_space_map_object(const DslPool& dp, uint64_t obj, SpaceMapPhys* phys, const SpaceMapParser::Callback& cb) {
  const Objset& mos = dp.mos();
  FZ_TRY(Dnode dn, mos.dnode(obj));
  if (dn.type != kOtSpaceMap) return make_error(EIO, "object is a {}, not a space map", dmu_type_name(dn.type));
  FZ_TRY(*phys, SpaceMapPhys::decode(dn.bonus, dn.little));
  const uint64_t capacity = (dn.maxblkid + 1) * dn.data_block_size();
  if (phys->length > capacity)
    return make_error(EIO, "space map claims {} bytes of log but its object holds {}", phys->length, capacity);
  auto read_block = [&](uint64_t blkid, std::vector<uint8_t>* out, bool* little) -> Status {
    FZ_TRY(Blkptr bp, mos.level0_bp(dn, blkid));
    *little = bp.is_hole() ? dn.little : bp.little_endian();
    FZ_TRY(BlockData data, mos.read_block(dn, blkid));
    out->assign(data->begin(), data->end());
    return Status::Ok();
  };
  return read_space_map(phys->length, dn.data_block_size(), read_block, cb);
}

Status load_metaslab(const DslPool& dp, const VdevSpace& v, MetaslabSpace* ms) {
  const SpaceMapRegion region{ms->index << v.metaslab_shift, 1ULL << v.metaslab_shift, v.ashift};
  return read_space_map_object(dp, ms->object, &ms->phys, [&](const SpaceMapEntry& e) {
    ms->entries++;
    if (e.vdev != kSmNoVdev && e.vdev != v.id)
      return Status(make_error(EIO, "space map entry at word {} names vdev {}", e.index, e.vdev));
    return apply_space_map_entry(e, region, &ms->allocated);
  });
}

// The txg each metaslab was last flushed in, from the vdev's top ZAP (0 when absent).
Status load_unflushed_txgs(const DslPool& dp, const NvList& cfg, VdevSpace* v) {
  const uint64_t top_zap = cfg.get_u64("com.delphix:vdev_zap_top").value_or(0);
  if (top_zap == 0) return Status::Ok();
  FZ_TRY(auto entries, dp.zap_entries(top_zap));
  auto it = std::find_if(entries.begin(), entries.end(), [](const ZapEntry& e) { return e.name == kUnflushedTxgsName; });
  if (it == entries.end() || it->ints.empty()) return Status::Ok();
  FZ_TRY(Dnode dn, dp.mos().dnode(it->ints[0]));
  // Metaslabs past the object's end (added by a later expansion) were never flushed: 0.
  const uint64_t have = std::min<uint64_t>(v->metaslabs.size(), (dn.maxblkid + 1) * dn.data_block_size() / 8);
  auto txgs = read_u64_array(dp.mos(), dn, have);
  if (!txgs.ok()) return std::move(txgs).error().context("{} object {}", kUnflushedTxgsName, it->ints[0]);
  for (size_t i = 0; i < have; i++) v->metaslabs[i].unflushed_txg = (*txgs)[i];
  return Status::Ok();
}

Status load_vdev(const DslPool& dp, const NvList& cfg, VdevSpace* v) {
  v->id = cfg.get_u64("id").value_or(v->id);
  v->metaslab_array = cfg.get_u64("metaslab_array").value_or(0);
  v->metaslab_shift = cfg.get_u64("metaslab_shift").value_or(0);
  v->ashift = cfg.get_u64("ashift").value_or(9);
  const uint64_t asize = cfg.get_u64("asize").value_or(0);
  if (v->metaslab_array == 0) return Status::Ok();  // a vdev with no metaslabs (hole, indirect)
  if (v->metaslab_shift < 10 || v->metaslab_shift > 63 || v->ashift < 9 || v->ashift > v->metaslab_shift)
    return make_error(EIO, "metaslab_shift {} / ashift {} are impossible", v->metaslab_shift, v->ashift);
  FZ_TRY(Dnode arr, dp.mos().dnode(v->metaslab_array));
  const uint64_t slots = (arr.maxblkid + 1) * arr.data_block_size() / 8;
  const uint64_t count = std::min({asize >> v->metaslab_shift, slots, kMaxMetaslabs});
  auto ids = read_u64_array(dp.mos(), arr, count);
  if (!ids.ok()) return std::move(ids).error().context("metaslab array object {}", v->metaslab_array);
  for (uint64_t i = 0; i < count; i++) {
    MetaslabSpace ms;
    ms.index = i;
    ms.object = (*ids)[i];
    if (ms.object != 0) {
      if (Status s = load_metaslab(dp, *v, &ms); !s.ok())
        return std::move(s.error()).context("metaslab {} (space map object {})", i, ms.object);
    }
    v->metaslabs.push_back(std::move(ms));
  }
  return load_unflushed_txgs(dp, cfg, v);
}

// Applies one log space map (of txg `txg`) to the metaslabs not flushed since.
Status apply_log(const DslPool& dp, uint64_t txg, uint64_t obj, PoolSpace* space) {
  SpaceMapPhys phys;
  return read_space_map_object(dp, obj, &phys, [&](const SpaceMapEntry& e) -> Status {
    if (e.vdev >= space->vdevs.size())
      return make_error(EIO, "entry at word {} names vdev {} of {}", e.index, e.vdev, space->vdevs.size());
    VdevSpace& v = space->vdevs[e.vdev];
    if (v.metaslabs.empty()) return make_error(EIO, "entry at word {} names vdev {}, which has no metaslabs", e.index, e.vdev);
    const uint64_t units_per_ms = 1ULL << (v.metaslab_shift - kLogShift);  // load_vdev checked the shift
    const uint64_t m = e.offset / units_per_ms;
    if (m >= v.metaslabs.size())
      return make_error(EIO, "entry at word {} lies past the last metaslab of vdev {}", e.index, e.vdev);
    MetaslabSpace& ms = v.metaslabs[m];
    if (txg < ms.unflushed_txg) return Status::Ok();  // already in the metaslab's own map
    SpaceMapEntry local = e;
    local.offset -= m * units_per_ms;
    space->log_entries++;
    Status s = apply_space_map_entry(local, SpaceMapRegion{m << v.metaslab_shift, 1ULL << v.metaslab_shift, kLogShift},
                                     &ms.allocated);
    if (!s.ok()) return std::move(s.error()).context("vdev {} metaslab {}", e.vdev, m);
    return Status::Ok();
  });
}

Status apply_logs(const DslPool& dp, PoolSpace* space) {
  FZ_TRY(auto od, dp.object_directory());
  auto it = std::find_if(od.begin(), od.end(), [](const ZapEntry& e) { return e.name == kLogZapName; });
  if (it == od.end() || it->ints.empty() || it->ints[0] == 0) return Status::Ok();
  FZ_TRY(auto logs, dp.zap_entries(it->ints[0]));
  if (logs.size() > kMaxLogSpaceMaps) return make_error(EIO, "{} log space maps are too many", logs.size());
  std::vector<std::pair<uint64_t, uint64_t>> by_txg;  // (txg, object)
  for (const ZapEntry& e : logs) {
    uint64_t txg = 0;
    auto [end, ec] = std::from_chars(e.name.data(), e.name.data() + e.name.size(), txg, 16);
    if (ec != std::errc() || end != e.name.data() + e.name.size() || e.ints.empty())
      return make_error(EIO, "log space map entry '{}' is not a txg and an object", e.name);
    by_txg.emplace_back(txg, e.ints[0]);
  }
  std::sort(by_txg.begin(), by_txg.end());
  for (auto [txg, obj] : by_txg) {
    if (Status s = apply_log(dp, txg, obj, space); !s.ok())
      return std::move(s.error()).context("log space map of txg {} (object {})", txg, obj);
    space->log_space_maps++;
  }
  return Status::Ok();
}

}  // namespace

Result<PoolSpace> load_pool_space(const DslPool& dp) {
  PoolSpace space;
  std::vector<NvList> tops = top_level_configs(dp);
  if (tops.empty()) return make_error(EIO, "the pool config lists no top-level vdevs");
  for (size_t i = 0; i < tops.size(); i++) {
    VdevSpace v;
    v.id = i;
    if (Status s = load_vdev(dp, tops[i], &v); !s.ok()) return std::move(s.error()).context("vdev {}", i);
    if (v.id != i) return make_error(EIO, "vdev {}: config says it is vdev {}", i, v.id);
    space.vdevs.push_back(std::move(v));
  }
  FZ_CHECK(apply_logs(dp, &space));
  for (VdevSpace& v : space.vdevs) {
    for (MetaslabSpace& ms : v.metaslabs) {
      ms.replayed = ms.allocated.bytes();
      space.smp_alloc_total += static_cast<uint64_t>(ms.phys.alloc);
      space.replayed_total += ms.replayed;
      // Metaslabs tile the vdev, so their sets never overlap.
      ms.allocated.for_each([&](uint64_t s, uint64_t l) { v.allocated.add(s, l); });
      ms.allocated.clear();
    }
  }
  return space;
}

}  // namespace fzfs
