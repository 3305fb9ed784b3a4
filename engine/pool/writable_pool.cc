#include "engine/pool/writable_pool.h"

#include <algorithm>
#include <ctime>
#include <functional>

#include "engine/dmu/dmu_types.h"
#include "engine/dsl/dataset_sync.h"
#include "engine/dsl/user_accounting.h"
#include "engine/pool/pool_space.h"
#include "engine/util/byteorder.h"
#include "engine/zap/zap.h"
#include "engine/zpl/znode.h"

namespace fzfs {
namespace {

constexpr int kMaxSyncPasses = 64;
constexpr int kPassNoCompress = 3;        // later MOS passes store blocks uncompressed
constexpr uint64_t kSpaceMapBlockSize = 4096;  // legacy pools' space map block size
constexpr uint64_t kSpaceMapBonusV0 = 24;      // object, length, alloc

// The part of a vdev-wide range set that lies in [start, start + len).
RangeSet slice(const RangeSet& all, uint64_t start, uint64_t len) {
  RangeSet out;
  all.for_each([&](uint64_t s, uint64_t l) {
    uint64_t a = std::max(s, start), b = std::min(s + l, start + len);
    if (a < b) out.add(a, b - a);
  });
  return out;
}

Result<uint64_t> child_dir(const DslPool& dp, uint64_t dir_obj, const std::string& name) {
  FZ_TRY(DslDirPhys dir, dp.dir(dir_obj));
  if (dir.child_dir_zapobj == 0) return make_error(ENOENT, "no children");
  FZ_TRY(auto entries, dp.zap_entries(dir.child_dir_zapobj));
  for (const auto& e : entries)
    if (e.name == name && !e.ints.empty()) return e.ints[0];
  return make_error(ENOENT, "no child {}", name);
}

}  // namespace

Result<std::unique_ptr<WritablePool>> WritablePool::open(Spa& spa, const DslPool& dp, WritablePoolOptions opts) {
  std::unique_ptr<WritablePool> wp(new WritablePool());
  wp->spa_ = &spa;
  wp->version_ = spa.version();
  wp->ub_ = dp.uberblock();
  wp->txg_ = wp->ub_.txg + 1;
  wp->opts_ = std::move(opts);
  wp->max_copies_ = wp->version_ >= 2 ? 3 : 1;
  if (wp->ub_.little != Blkptr::kHostLittleEndian())
    return make_error(EROFS, "the pool was written in the other byte order; it can only be imported read-only");

  FZ_TRY(PoolSpace space, load_pool_space(dp));
  if (space.log_space_maps > 0)
    return make_error(ENOTSUP, "the pool keeps log space maps (feature log_spacemap); writing them is not supported yet");

  std::vector<TopVdevSpace> tops;
  uint64_t min_ashift = 63;
  for (VdevSpace& v : space.vdevs) {
    Vdev* vd = v.id < spa.root()->children.size() ? spa.root()->children[v.id].get() : nullptr;
    if (!vd) return make_error(EIO, "top-level vdev {} is missing", v.id);
    TopVdevSpace t;
    t.id = v.id;
    t.vdev = vd;
    t.ashift = v.ashift;
    t.asize = vd->asize_total;
    t.metaslab_shift = v.metaslab_shift;
    for (const MetaslabSpace& ms : v.metaslabs) {
      TopVdevSpace::MetaslabState st;
      st.object = ms.object;
      st.allocated = slice(v.allocated, ms.index << v.metaslab_shift, uint64_t{1} << v.metaslab_shift);
      t.metaslabs.push_back(std::move(st));
    }
    // Metaslabs that never held a block may lie past the end of the array object.
    if (v.metaslab_shift > 0) t.metaslabs.resize(std::max<uint64_t>(t.metaslabs.size(), t.asize >> v.metaslab_shift));
    wp->ms_array_.push_back(v.metaslab_array);
    uint64_t alloc128k = vd->asize(128 * 1024);
    wp->deflate_ratio_.push_back(alloc128k ? (1ULL << 17) / (alloc128k >> 9) : 512);
    min_ashift = std::min(min_ashift, v.ashift);
    tops.push_back(std::move(t));
  }
  FZ_TRY(wp->alloc_, MetaslabAllocator::create(std::move(tops)));
  wp->writer_ = std::make_unique<BlockWriter>(spa.root(), wp->alloc_.get(), &spa.reader()->cache(),
                                              uint64_t{1} << std::min<uint64_t>(min_ashift, 16));
  wp->writer_->set_reader(spa.reader());
  FZ_TRY(wp->mos_, WritableObjset::open(spa.reader(), wp->ub_.rootbp));

  FZ_TRY(auto dir_entries, dp.object_directory());
  for (const auto& e : dir_entries)
    if (e.name == "deflate" && !e.ints.empty()) wp->deflate_ = e.ints[0] != 0;
  if (auto mos_dir = child_dir(dp, dp.root_dir_obj(), "$MOS"); mos_dir.ok()) wp->mos_dir_ = *mos_dir;
  return wp;
}

Result<std::unique_ptr<WritablePool>> WritablePool::create_new(Spa& spa, uint64_t version, uint64_t txg,
                                                               WritablePoolOptions opts) {
  std::unique_ptr<WritablePool> wp(new WritablePool());
  wp->spa_ = &spa;
  wp->version_ = version;
  wp->txg_ = txg;
  wp->opts_ = std::move(opts);
  wp->max_copies_ = version >= 2 ? 3 : 1;
  wp->ub_.version = version;
  wp->ub_.little = Blkptr::kHostLittleEndian();
  uint64_t guid_sum = spa.guid();
  std::function<void(const Vdev&)> sum = [&](const Vdev& v) {
    if (std::string(v.type()) != "root") guid_sum += v.guid;
    for (const auto& c : v.children) sum(*c);
  };
  sum(*spa.root());
  wp->ub_.guid_sum = guid_sum;

  std::vector<TopVdevSpace> tops;
  uint64_t min_ashift = 63;
  for (const auto& vd : spa.root()->children) {
    TopVdevSpace t;
    t.id = vd->id;
    t.vdev = vd.get();
    t.ashift = vd->ashift;
    t.asize = vd->asize_total;
    t.metaslab_shift = legacy_metaslab_shift(vd->asize_total);
    t.metaslabs.resize(t.asize >> t.metaslab_shift);
    uint64_t alloc128k = vd->asize(128 * 1024);
    wp->deflate_ratio_.push_back(alloc128k ? (1ULL << 17) / (alloc128k >> 9) : 512);
    wp->ms_array_.push_back(0);
    min_ashift = std::min<uint64_t>(min_ashift, vd->ashift);
    tops.push_back(std::move(t));
  }
  FZ_TRY(wp->alloc_, MetaslabAllocator::create(std::move(tops)));
  wp->writer_ = std::make_unique<BlockWriter>(spa.root(), wp->alloc_.get(), &spa.reader()->cache(),
                                              uint64_t{1} << std::min<uint64_t>(min_ashift, 16));
  wp->writer_->set_reader(spa.reader());
  wp->mos_ = WritableObjset::create(spa.reader(), ObjsetType::kMeta, version >= 15 ? 2048 : 1024, 14);
  return wp;
}

void WritablePool::set_metaslab_array(uint64_t vdev, uint64_t object) {
  if (vdev < ms_array_.size()) ms_array_[vdev] = object;
}

void WritablePool::add_new_dataset(uint64_t ds_obj, std::unique_ptr<WritableObjset> os,
                                   const DatasetWriteProps& props) {
  datasets_[ds_obj] = OpenDataset{std::move(os), props};
}

uint64_t WritablePool::dsize(const Blkptr& bp) const {
  uint64_t total = 0;
  for (const Dva& d : bp.dva) {
    if (d.empty()) continue;
    uint64_t asize = d.asize();
    if (deflate_ && d.vdev() < deflate_ratio_.size()) asize = (asize >> 9) * deflate_ratio_[d.vdev()];
    total += asize;
  }
  return total;
}

SyncContext WritablePool::context(bool mos_rules, const DatasetWriteProps& props, int pass) {
  SyncContext c;
  c.writer = writer_.get();
  c.reader = spa_->reader();
  c.txg = txg_;
  c.pass = pass;
  const bool lz4 = opts_.lz4_active;
  const int max_copies = max_copies_;
  c.policy = [props, mos_rules, lz4, max_copies, pass](const Dnode& dn, int level) {
    WritePolicy p = block_policy(props, dn, level, mos_rules, lz4, max_copies);
    if (mos_rules && pass >= kPassNoCompress) p.compress = Compress::kOff;
    return p;
  };
  c.dsize = [this](const Blkptr& bp) { return dsize(bp); };
  if (!mos_rules) {
    // File systems keep user/group accounting (the objset decides whether it has room).
    c.owner = znode_owner;
    c.account = apply_usage_deltas;
  }
  return c;
}

uint64_t WritablePool::dirty_bytes() const {
  uint64_t n = mos_->dirty_bytes();
  for (const auto& [obj, ds] : datasets_) n += ds.os->dirty_bytes();
  return n;
}

bool WritablePool::dirty() const {
  if (mos_->dirty()) return true;
  for (const auto& [obj, ds] : datasets_)
    if (ds.os->dirty()) return true;
  return false;
}

Result<WritableObjset*> WritablePool::dataset(uint64_t ds_obj, const DatasetWriteProps& props) {
  auto it = datasets_.find(ds_obj);
  if (it != datasets_.end()) return it->second.os.get();
  FZ_TRY(Dnode dn, mos_->dnode(ds_obj));
  if (dn.type != kOtDslDataset) return make_error(EINVAL, "object {} is not a dataset", ds_obj);
  FZ_TRY(DslDatasetPhys ds, DslDatasetPhys::decode(dn.bonus, true));
  if (ds.bp.is_hole()) return make_error(EIO, "dataset {} has no objset", ds_obj);
  FZ_TRY(auto os, WritableObjset::open(spa_->reader(), ds.bp));
  OpenDataset od{std::move(os), props};
  return datasets_.emplace(ds_obj, std::move(od)).first->second.os.get();
}

void WritablePool::set_dataset_props(uint64_t ds_obj, const DatasetWriteProps& props) {
  if (auto it = datasets_.find(ds_obj); it != datasets_.end()) it->second.props = props;
}

// ZFS's deferred frees: the MOS directory's "sync_bplist" lists blocks an earlier txg
// stopped referencing (a destroyed dataset's, or another implementation's leftovers).
// Each sync frees them and empties the list.
Status WritablePool::free_deferred() {
  FZ_TRY(auto dir, mos_->object_data(1));
  FZ_TRY(ZapReader zap, ZapReader::open(*dir));
  auto obj = zap.lookup_u64("sync_bplist");
  if (!obj.ok()) return Status::Ok();
  FZ_TRY(Dnode dn, mos_->dnode(*obj));
  if (dn.bonus.size() < 16) return Status::Ok();
  const uint64_t n = load<uint64_t>(dn.bonus.data());
  if (n == 0) return Status::Ok();
  if (n > (uint64_t{1} << 32)) return make_error(EIO, "sync_bplist {} claims {} entries", *obj, n);
  std::vector<uint8_t> raw(n * kBlkptrSize);
  FZ_CHECK(mos_->read(*obj, 0, raw));
  for (uint64_t i = 0; i < n; i++) {
    Blkptr bp = Blkptr::decode(raw.data() + i * kBlkptrSize, dn.little);
    if (!bp.is_hole()) writer_->free(bp, txg_);
  }
  FZ_CHECK(mos_->free_range(*obj, 0, UINT64_MAX));
  std::vector<uint8_t> bonus = dn.bonus;
  for (size_t off = 0; off + 8 <= std::min<size_t>(bonus.size(), 32); off += 8) store<uint64_t>(bonus.data() + off, 0);
  return mos_->set_bonus(*obj, bonus);
}

Status WritablePool::sync_datasets() {
  for (auto& [ds_obj, od] : datasets_) {
    if (!od.os->dirty()) continue;
    FZ_TRY(HeadDatasetSync hs, HeadDatasetSync::begin(*mos_, ds_obj));
    SyncContext c = context(false, od.props, 1);
    Status deferred;  // a dead-list insert that failed (the sync then fails)
    c.born = [&](const Blkptr& bp) { hs.born({dsize(bp), bp.psize(), bp.lsize()}); };
    c.kill = [&](const Blkptr& bp) {
      auto freed = hs.kill(bp, {dsize(bp), bp.psize(), bp.lsize()});
      if (!freed.ok()) {
        if (deferred.ok()) deferred = std::move(freed).error();
        return;
      }
      if (*freed) writer_->free(bp, txg_);
    };
    auto root = od.os->sync(c);
    if (!root.ok()) return std::move(root).error().context("dataset object {}", ds_obj);
    FZ_CHECK(deferred);
    FZ_CHECK(hs.finish(*root));
  }
  return Status::Ok();
}

Status WritablePool::apply_mos_space() {
  if (mos_dir_ == 0 || (mos_used_ == 0 && mos_comp_ == 0 && mos_uncomp_ == 0)) return Status::Ok();
  DirDelta d;
  d.used = mos_used_, d.compressed = mos_comp_, d.uncompressed = mos_uncomp_;
  d.breakdown[kDdUsedHead] = mos_used_;
  mos_used_ = mos_comp_ = mos_uncomp_ = 0;
  return apply_dir_delta(*mos_, mos_dir_, d);
}

Status WritablePool::append_space_maps(int pass, bool* appended) {
  *appended = false;
  for (MetaslabChanges& ch : alloc_->take_changes(txg_)) {
    if (ch.batch.ranges.empty()) continue;
    uint64_t obj = ch.object;
    if (obj == 0) {
      NewObject shape{kOtSpaceMap, kSpaceMapBlockSize, kOtSpaceMapHeader, static_cast<uint16_t>(kSpaceMapBonusV0), 14};
      FZ_TRY(obj, mos_->allocate(shape));
      FZ_CHECK(alloc_->set_space_map_object(ch.vdev, ch.metaslab, obj));
      if (ch.vdev >= ms_array_.size() || ms_array_[ch.vdev] == 0)
        return make_error(EIO, "vdev {} has no metaslab array", ch.vdev);
      uint8_t id[8];
      store<uint64_t>(id, obj);
      FZ_CHECK(mos_->write(ms_array_[ch.vdev], ch.metaslab * 8, id));
    }
    auto dnr = mos_->dnode(obj);
    if (!dnr.ok()) return std::move(dnr).error().context("vdev {} metaslab {}: space map", ch.vdev, ch.metaslab);
    Dnode dn = std::move(*dnr);
    if (dn.bonus.size() < kSpaceMapBonusV0) return make_error(EIO, "space map {}: bonus too short", obj);
    std::vector<uint8_t> bonus = dn.bonus;
    const uint64_t length = load<uint64_t>(bonus.data() + 8);
    const SpaceMapLayout layout{dn.data_block_size(), false};
    // A log grown much longer than the metaslab's allocated ranges is rewritten as just
    // those ranges (ZFS's condensing, first pass only). The condensed map already holds
    // this batch, which the allocator has taken.
    if (pass == 1 && length > 4 * dn.data_block_size()) {
      FZ_TRY(auto condensed, alloc_->condense(ch.vdev, ch.metaslab, layout, txg_, pass));
      if (should_condense_space_map(length, condensed.words.size() * 8, dn.data_block_size(), ch.region.shift)) {
        std::vector<uint8_t> bytes(condensed.words.size() * 8);
        for (size_t i = 0; i < condensed.words.size(); i++) store<uint64_t>(bytes.data() + 8 * i, condensed.words[i]);
        FZ_CHECK(mos_->free_range(obj, 0, UINT64_MAX));
        if (!bytes.empty()) FZ_CHECK(mos_->write(obj, 0, bytes));
        store<uint64_t>(bonus.data() + 0, obj);
        store<uint64_t>(bonus.data() + 8, bytes.size());
        store<uint64_t>(bonus.data() + 16, condensed.alloc);
        FZ_CHECK(mos_->set_bonus(obj, bonus));
        *appended = true;
        continue;
      }
    }
    SpaceMapWriter w(ch.region, layout, length);
    FZ_CHECK(w.append(ch.batch.ranges, txg_, pass));
    std::vector<uint8_t> bytes(w.words().size() * 8);
    for (size_t i = 0; i < w.words().size(); i++) store<uint64_t>(bytes.data() + 8 * i, w.words()[i]);
    FZ_CHECK(mos_->write(obj, length, bytes));
    store<uint64_t>(bonus.data() + 0, obj);
    store<uint64_t>(bonus.data() + 8, w.length());
    store<uint64_t>(bonus.data() + 16, load<uint64_t>(bonus.data() + 16) + w.alloc_delta());
    FZ_CHECK(mos_->set_bonus(obj, bonus));
    *appended = true;
  }
  return Status::Ok();
}

Status WritablePool::sync_mos() {
  for (int pass = 1; pass <= kMaxSyncPasses; pass++) {
    // As ZFS does, charge $MOS with what the previous pass (or txg) changed before the
    // MOS is synced again, so the txg leaves no MOS space uncharged behind it.
    FZ_CHECK(apply_mos_space());
    if (mos_->dirty()) {
      SyncContext c = context(true, DatasetWriteProps{}, pass);
      c.born = [&](const Blkptr& bp) {
        mos_used_ += dsize(bp), mos_comp_ += bp.psize(), mos_uncomp_ += bp.lsize();
      };
      c.kill = [&](const Blkptr& bp) {
        mos_used_ -= dsize(bp), mos_comp_ -= bp.psize(), mos_uncomp_ -= bp.lsize();
        writer_->free(bp, txg_);
      };
      auto root = mos_->sync(c);
      if (!root.ok()) return std::move(root).error().context("MOS sync pass {}", pass);
    }
    bool appended = false;
    FZ_CHECK(append_space_maps(pass, &appended));
    const bool uncharged = mos_used_ != 0 || mos_comp_ != 0 || mos_uncomp_ != 0;
    if (!appended && !mos_->dirty() && (!uncharged || mos_dir_ == 0)) return Status::Ok();
  }
  return make_error(EIO, "txg {}: the MOS did not converge in {} sync passes", txg_, kMaxSyncPasses);
}

Status WritablePool::sync(std::optional<uint64_t> label_state) {
  if (!dirty() && !label_state) return Status::Ok();
  FZ_CHECK(free_deferred());
  FZ_CHECK(sync_datasets());
  FZ_CHECK(sync_mos());

  Uberblock ub = ub_.next(txg_, ub_.guid_sum, static_cast<uint64_t>(std::time(nullptr)), kSpaVersionFeatures);
  ub.rootbp = mos_->root();
  LabelConfigFn configs;
  if (label_state) {
    const uint64_t txg = txg_, state = *label_state;
    configs = [this, txg, state](uint64_t guid) -> Result<NvList> {
      auto it = opts_.leaf_labels.find(guid);
      if (it == opts_.leaf_labels.end()) return make_error(ENOENT, "no label config for leaf {}", guid);
      NvList cfg = it->second;
      cfg.add_u64("txg", txg);
      cfg.add_u64("state", state);
      return cfg;
    };
  }
  auto report = sync_labels(*spa_->root(), ub, configs);
  if (!report.ok()) return std::move(report).error().context("txg {}", txg_);
  ub_ = ub;
  alloc_->sync_done(txg_);
  txg_++;
  return Status::Ok();
}

}  // namespace fzfs
