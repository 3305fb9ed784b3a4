#include "engine/pool/mos_create.h"

#include <algorithm>
#include <functional>

#include "engine/dmu/dmu_types.h"
#include "engine/dsl/dsl_phys.h"
#include "engine/util/byteorder.h"
#include "engine/zpl/zap_object.h"

namespace fzfs {
namespace {

// Pool versions that changed what a create makes.
constexpr uint64_t kVersionBpobjAccount = 3;  // bplists count compressed sizes; raidz deflate
constexpr uint64_t kVersionHistory = 4;
constexpr uint64_t kVersionUniqueAccurate = 9;
constexpr uint64_t kVersionOrigin = 11;  // $ORIGIN and next_clones
constexpr uint64_t kVersionUsedBreakdown = 13;
constexpr uint64_t kVersionDeadlists = 26;  // $FREE, free_bpobj, dead-list ZAPs, dd_clones

constexpr uint64_t kCreateDsTxg = 1;  // datasets made in the create txg say txg 1
constexpr uint16_t kDslDirBonus = 256;
constexpr uint16_t kDslDatasetBonus = 320;
constexpr uint16_t kDeadlistHdrBonus = 320;
constexpr uint16_t kHistoryBonus = 40;
constexpr uint64_t kDeadlistBlock = 128 * 1024;
constexpr uint64_t kSyncBplistBlock = 16 * 1024;
constexpr uint64_t kConfigBlock = 16 * 1024;
constexpr uint64_t kHistoryBlock = 128 * 1024;
constexpr uint64_t kHistoryMinMax = 128 * 1024;
constexpr uint64_t kSnapMapNormflags = 2;  // U8_TEXTPREP_TOUPPER: snapshot names fold case
constexpr uint64_t kDsFlagUniqueAccurate = 4;
constexpr uint64_t kDsFlagCiDataset = 0x10000;
constexpr uint64_t kFsidGuidMask = (uint64_t{1} << 56) - 1;

class MosBuilder {
 public:
  MosBuilder(WritableObjset& mos, const MosCreateParams& p) : mos_(mos), p_(p) {}

  Result<MosObjects> build();

 private:
  uint16_t bpobj_bonus() const {
    return p_.version < kVersionBpobjAccount ? 16 : p_.version < kVersionDeadlists ? 32 : 40;
  }
  Result<uint64_t> object(uint8_t type, uint64_t block, uint8_t bonus_type, uint16_t bonus_len) {
    return mos_.allocate(NewObject{type, block, bonus_type, bonus_len, 14});
  }
  Result<uint64_t> bpobj(uint64_t block) { return object(kOtBpobj, block, kOtBpobjHdr, bpobj_bonus()); }
  Result<uint64_t> deadlist(bool with_key0);
  Result<uint64_t> mkdir(uint64_t parent, const std::string& name);
  Result<uint64_t> dataset(uint64_t dir, uint64_t origin);
  Result<uint64_t> snapshot(uint64_t head, const std::string& name);

  Result<DslDirPhys> dir(uint64_t obj);
  Status put_dir(uint64_t obj, const DslDirPhys& d);
  Result<DslDatasetPhys> ds(uint64_t obj);
  Status put_ds(uint64_t obj, const DslDatasetPhys& d);

  WritableObjset& mos_;
  const MosCreateParams& p_;
  static constexpr uint64_t kObjDir = 1;
};

Result<DslDirPhys> MosBuilder::dir(uint64_t obj) {
  FZ_TRY(Dnode dn, mos_.dnode(obj));
  return DslDirPhys::decode(dn.bonus, true);
}

Status MosBuilder::put_dir(uint64_t obj, const DslDirPhys& d) {
  std::vector<uint8_t> bonus(kDslDirBonus, 0);
  d.encode(bonus);
  return mos_.set_bonus(obj, bonus);
}

Result<DslDatasetPhys> MosBuilder::ds(uint64_t obj) {
  FZ_TRY(Dnode dn, mos_.dnode(obj));
  return DslDatasetPhys::decode(dn.bonus, true);
}

Status MosBuilder::put_ds(uint64_t obj, const DslDatasetPhys& d) {
  std::vector<uint8_t> bonus(kDslDatasetBonus, 0);
  d.encode(bonus);
  return mos_.set_bonus(obj, bonus);
}

// A dead list: a bplist before v26; after, a ZAP of "mintxg" -> bpobj, which a clone or
// a head after a snapshot starts with key 0.
Result<uint64_t> MosBuilder::deadlist(bool with_key0) {
  if (p_.version < kVersionDeadlists) return bpobj(kDeadlistBlock);
  FZ_TRY(uint64_t obj, new_zap_object(mos_, NewZap(kOtDeadlist, kOtDeadlistHdr, kDeadlistHdrBonus)));
  if (with_key0) {
    FZ_TRY(uint64_t bp, bpobj(kDeadlistBlock));
    FZ_CHECK(zap_put(mos_, obj, "0", bp));
  }
  return obj;
}

Result<uint64_t> MosBuilder::mkdir(uint64_t parent, const std::string& name) {
  FZ_TRY(uint64_t obj, object(kOtDslDir, 512, kOtDslDir, kDslDirBonus));
  if (parent != 0) {
    FZ_TRY(DslDirPhys pd, dir(parent));
    FZ_CHECK(zap_put(mos_, pd.child_dir_zapobj, name, obj));
  } else {
    FZ_CHECK(zap_put(mos_, kObjDir, "root_dataset", obj));
  }
  DslDirPhys d;
  d.creation_time = p_.now;
  d.parent_obj = parent;
  FZ_TRY(d.props_zapobj, new_zap_object(mos_, NewZap(kOtDslProps)));
  FZ_TRY(d.child_dir_zapobj, new_zap_object(mos_, NewZap(kOtDslDirChildMap)));
  if (p_.version >= kVersionUsedBreakdown) d.flags = kDdFlagUsedBreakdown;
  FZ_CHECK(put_dir(obj, d));
  return obj;
}

// A head dataset in `dir`; with `origin` (a snapshot) it is a clone of it.
Result<uint64_t> MosBuilder::dataset(uint64_t dir_obj, uint64_t origin) {
  FZ_TRY(uint64_t obj, object(kOtDslDataset, 512, kOtDslDataset, kDslDatasetBonus));
  DslDatasetPhys d;
  d.dir_obj = dir_obj;
  d.fsid_guid = p_.random() & kFsidGuidMask;
  d.guid = p_.random();
  FZ_TRY(d.snapnames_zapobj, new_zap_object(mos_, NewZap(kOtDslDsSnapMap).with_normflags(kSnapMapNormflags)));
  d.creation_time = p_.now;
  d.creation_txg = kCreateDsTxg;
  FZ_TRY(DslDirPhys dd, dir(dir_obj));
  if (origin == 0) {
    FZ_TRY(d.deadlist_obj, deadlist(false));
  } else {
    FZ_TRY(DslDatasetPhys o, ds(origin));
    d.prev_snap_obj = origin;
    d.prev_snap_txg = o.creation_txg;
    d.referenced_bytes = o.referenced_bytes;
    d.compressed_bytes = o.compressed_bytes;
    d.uncompressed_bytes = o.uncompressed_bytes;
    d.bp = o.bp;
    d.flags |= o.flags & kDsFlagCiDataset;
    o.num_children++;
    // The clone's dead list copies the keys of its origin's head below prev_snap_txg
    // (1): just key 0.
    FZ_TRY(d.deadlist_obj, deadlist(true));
    if (p_.version >= kVersionOrigin) {
      if (o.next_clones_obj == 0) {
        FZ_TRY(o.next_clones_obj, new_zap_object(mos_, NewZap(kOtNextClones)));
      }
      FZ_CHECK(zap_put_int(mos_, o.next_clones_obj, obj));
    }
    FZ_CHECK(put_ds(origin, o));
    dd.origin_obj = origin;
    if (p_.version >= kVersionDeadlists) {
      FZ_TRY(DslDirPhys od, dir(o.dir_obj));
      if (od.clones == 0) {
        FZ_TRY(od.clones, new_zap_object(mos_, NewZap(kOtDslClones)));
        FZ_CHECK(put_dir(o.dir_obj, od));
      }
      FZ_CHECK(zap_put_int(mos_, od.clones, obj));
    }
  }
  if (p_.version >= kVersionUniqueAccurate) d.flags |= kDsFlagUniqueAccurate;
  FZ_CHECK(put_ds(obj, d));
  dd.head_dataset_obj = obj;
  FZ_CHECK(put_dir(dir_obj, dd));
  return obj;
}

// Snapshots a head dataset: the snapshot takes its dead list and space, the head gets a
// new dead list and points back at the snapshot.
Result<uint64_t> MosBuilder::snapshot(uint64_t head, const std::string& name) {
  FZ_TRY(DslDatasetPhys h, ds(head));
  FZ_TRY(uint64_t obj, object(kOtDslDataset, 512, kOtDslDataset, kDslDatasetBonus));
  DslDatasetPhys s;
  s.dir_obj = h.dir_obj;
  s.prev_snap_obj = h.prev_snap_obj;
  s.prev_snap_txg = h.prev_snap_txg;
  s.next_snap_obj = head;
  s.num_children = 1;
  s.creation_time = p_.now;
  s.creation_txg = kCreateDsTxg;
  s.deadlist_obj = h.deadlist_obj;
  s.referenced_bytes = h.referenced_bytes;
  s.compressed_bytes = h.compressed_bytes;
  s.uncompressed_bytes = h.uncompressed_bytes;
  s.unique_bytes = h.unique_bytes;
  s.fsid_guid = p_.random() & kFsidGuidMask;
  s.guid = p_.random();
  s.flags = h.flags;
  s.bp = h.bp;
  FZ_CHECK(put_ds(obj, s));

  h.prev_snap_obj = obj;
  h.prev_snap_txg = kCreateDsTxg;
  h.unique_bytes = 0;
  FZ_TRY(h.deadlist_obj, deadlist(true));
  FZ_CHECK(put_ds(head, h));
  FZ_CHECK(zap_put(mos_, h.snapnames_zapobj, name, obj));
  return obj;
}

Result<MosObjects> MosBuilder::build() {
  MosObjects out;
  const uint64_t v = p_.version;
  FZ_CHECK(new_zap_object(mos_, NewZap(kOtObjectDirectory).at(kObjDir)));
  FZ_TRY(out.root_dir, mkdir(0, ""));
  FZ_TRY(out.mos_dir, mkdir(out.root_dir, "$MOS"));
  if (v >= kVersionDeadlists) {
    FZ_CHECK(mkdir(out.root_dir, "$FREE"));
    FZ_TRY(uint64_t free_bpobj, bpobj(kDeadlistBlock));
    FZ_CHECK(zap_put(mos_, kObjDir, "free_bpobj", free_bpobj));
  }
  uint64_t origin_snap = 0;
  if (v >= kVersionOrigin) {
    FZ_TRY(uint64_t odir, mkdir(out.root_dir, "$ORIGIN"));
    FZ_TRY(uint64_t ohead, dataset(odir, 0));
    FZ_TRY(origin_snap, snapshot(ohead, "$ORIGIN"));
  }
  FZ_TRY(out.root_dataset, dataset(out.root_dir, origin_snap));
  if (p_.root_case_insensitive) {
    FZ_TRY(DslDatasetPhys d, ds(out.root_dataset));
    d.flags |= kDsFlagCiDataset;
    FZ_CHECK(put_ds(out.root_dataset, d));
  }

  // Modern ZFS makes the history object before the config (v26-28 numbering).
  auto history = [&]() -> Status {
    FZ_TRY(uint64_t obj, object(kOtSpaHistory, kHistoryBlock, kOtSpaHistoryOffsets, kHistoryBonus));
    std::vector<uint8_t> bonus(kHistoryBonus, 0);
    store<uint64_t>(bonus.data() + 8, p_.history_max_off);
    FZ_CHECK(mos_.set_bonus(obj, bonus));
    out.history = obj;
    return zap_put(mos_, kObjDir, "history", obj);
  };
  if (v >= kVersionDeadlists) FZ_CHECK(history());
  FZ_TRY(out.config, object(kOtPackedNvlist, kConfigBlock, kOtPackedNvlistSize, 8));
  FZ_CHECK(zap_put(mos_, kObjDir, "config", out.config));
  if (v >= kVersionBpobjAccount) FZ_CHECK(zap_put(mos_, kObjDir, "deflate", 1));
  FZ_TRY(uint64_t sync_bplist, bpobj(kSyncBplistBlock));
  FZ_CHECK(zap_put(mos_, kObjDir, "sync_bplist", sync_bplist));
  if (v >= kVersionHistory && v < kVersionDeadlists) FZ_CHECK(history());
  if (!p_.pool_props.empty()) {
    FZ_TRY(uint64_t props, new_zap_object(mos_, NewZap(kOtPoolProps)));
    for (const auto& [name, value] : p_.pool_props) FZ_CHECK(zap_put(mos_, props, name, value));
    FZ_CHECK(zap_put(mos_, kObjDir, "pool_props", props));
  }
  for (uint64_t t = 0; t < p_.top_vdevs; t++) {
    FZ_TRY(uint64_t arr, object(kOtObjectArray, 512, kOtNone, 0));
    out.metaslab_arrays.push_back(arr);
  }
  return out;
}

}  // namespace

Result<MosObjects> create_mos(WritableObjset& mos, const MosCreateParams& p) {
  if (p.version < 1 || p.version > 28) return make_error(EINVAL, "pool version {} is not a legacy version", p.version);
  if (!p.random) return make_error(EINVAL, "no source of random guids");
  MosBuilder b(mos, p);
  return b.build();
}

Status write_config_object(WritableObjset& mos, uint64_t obj, const NvList& config) {
  std::vector<uint8_t> packed = config.encode_xdr();
  const uint64_t size = packed.size();
  packed.resize((size + kConfigBlock - 1) / kConfigBlock * kConfigBlock, 0);
  FZ_CHECK(mos.write(obj, 0, packed));
  uint8_t bonus[8];
  store<uint64_t>(bonus, size);
  return mos.set_bonus(obj, bonus);
}

Status write_first_history_record(WritableObjset& mos, uint64_t obj, const NvList& record) {
  FZ_TRY(Dnode dn, mos.dnode(obj));
  if (dn.type != kOtSpaHistory || dn.bonus.size() < kHistoryBonus)
    return make_error(EIO, "object {} is not a pool history", obj);
  const std::vector<uint8_t> packed = record.encode_xdr();
  std::vector<uint8_t> bytes(8 + packed.size());
  store<uint64_t>(bytes.data(), packed.size());
  std::copy(packed.begin(), packed.end(), bytes.begin() + 8);
  std::vector<uint8_t> bonus = dn.bonus;
  if (load<uint64_t>(bonus.data() + 24) != 0) return make_error(EEXIST, "history {} is not empty", obj);
  if (bytes.size() > load<uint64_t>(bonus.data() + 8)) return make_error(EFBIG, "history record of {} bytes", bytes.size());
  FZ_CHECK(mos.write(obj, 0, bytes));
  for (size_t off : {0, 16, 24}) store<uint64_t>(bonus.data() + off, bytes.size());  // create_len, bof, eof
  return mos.set_bonus(obj, bonus);
}

uint64_t history_max_offset(uint64_t dspace) { return std::max(dspace / 100, kHistoryMinMax); }

}  // namespace fzfs
