#include "engine/dsl/dsl_dataset_ops.h"

#include <cctype>

#include "engine/dmu/dmu_types.h"
#include "engine/dsl/dataset_sync.h"
#include "engine/dsl/dsl_records.h"
#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

constexpr uint64_t kVersionBpobjAccount = 3;
constexpr uint64_t kVersionUniqueAccurate = 9;
constexpr uint64_t kVersionOrigin = 11;
constexpr uint64_t kVersionUsedBreakdown = 13;
constexpr uint64_t kVersionDeadlists = 26;
constexpr uint64_t kDeadlistBlock = 128 * 1024;
constexpr uint16_t kDeadlistHdrBonus = 320;
constexpr uint64_t kSnapMapNormflags = 2;  // snapshot names fold to upper case for lookup
constexpr uint64_t kDsFlagUniqueAccurate = 4;
constexpr uint64_t kDsFlagCiDataset = 0x10000;
constexpr uint64_t kFsidGuidMask = (uint64_t{1} << 56) - 1;
constexpr size_t kMaxDatasetName = 256;

std::string hex_name(uint64_t v) { return fmt::format("{:x}", v); }

Result<uint64_t> new_bpobj(WritableObjset& mos, uint64_t version) {
  const uint16_t bonus = version < kVersionBpobjAccount ? 16 : version < kVersionDeadlists ? 32 : 40;
  return mos.allocate(NewObject{kOtBpobj, kDeadlistBlock, kOtBpobjHdr, bonus, 14});
}

// A head's dead list: a bpobj before v26, else a DEADLIST ZAP (a clone starts with key
// 0, the interval below its origin).
Result<uint64_t> new_deadlist(WritableObjset& mos, uint64_t version, bool key0) {
  if (version < kVersionDeadlists) return new_bpobj(mos, version);
  FZ_TRY(uint64_t obj, mos_zap_create(mos, kOtDeadlist, 0, kOtDeadlistHdr, kDeadlistHdrBonus));
  if (key0) {
    FZ_TRY(uint64_t bpobj, new_bpobj(mos, version));
    FZ_CHECK(mos_zap_add(mos, obj, "0", bpobj));
  }
  return obj;
}

// Frees a bpobj and the bpobjs it holds (v26+: bonus "subobjs", an array of bpobjs).
Status free_bpobj(WritableObjset& mos, uint64_t obj, int depth) {
  if (depth > 64) return make_error(EIO, "bpobj {}: sub-bpobjs nest too deep", obj);
  FZ_TRY(Dnode dn, mos.dnode(obj));
  const uint64_t subobjs = dn.bonus.size() >= 48 ? load<uint64_t>(dn.bonus.data() + 32) : 0;
  const uint64_t nsub = dn.bonus.size() >= 48 ? load<uint64_t>(dn.bonus.data() + 40) : 0;
  if (subobjs != 0) {
    if (nsub > (1u << 20)) return make_error(EIO, "bpobj {}: {} sub-bpobjs", obj, nsub);
    std::vector<uint8_t> ids(nsub * 8);
    FZ_CHECK(mos.read(subobjs, 0, ids));
    for (uint64_t i = 0; i < nsub; i++)
      if (uint64_t sub = load<uint64_t>(ids.data() + 8 * i); sub != 0) FZ_CHECK(free_bpobj(mos, sub, depth + 1));
    FZ_CHECK(mos.free_object(subobjs));
  }
  return mos.free_object(obj);
}

Status free_deadlist(WritableObjset& mos, uint64_t version, uint64_t obj) {
  if (obj == 0) return Status::Ok();
  FZ_TRY(Dnode dn, mos.dnode(obj));
  if (dn.type == kOtBpobj) return free_bpobj(mos, obj, 0);
  FZ_TRY(auto entries, mos_zap_list(mos, obj));
  for (const ZapEntry& e : entries)
    if (!e.ints.empty() && e.ints[0] != 0) FZ_CHECK(free_bpobj(mos, e.ints[0], 0));
  return mos.free_object(obj);
}

// Frees a dsl_dataset object and what only it refers to.
Status free_dataset_object(WritableObjset& mos, uint64_t version, uint64_t ds_obj) {
  FZ_TRY(DslDatasetPhys ds, read_dataset(mos, ds_obj));
  FZ_CHECK(free_deadlist(mos, version, ds.deadlist_obj));
  for (uint64_t obj : {ds.snapnames_zapobj, ds.next_clones_obj, ds.props_obj, ds.userrefs_obj})
    if (obj) FZ_CHECK(mos.free_object(obj));
  return mos.free_object(ds_obj);
}

// The pool's $ORIGIN@$ORIGIN snapshot (v11+), 0 when the pool has none.
Result<uint64_t> origin_snapshot(const WritableObjset& mos, uint64_t any_dir) {
  uint64_t root = any_dir;
  for (int depth = 0; depth < 256; depth++) {
    FZ_TRY(DslDirPhys d, read_dir(mos, root));
    if (d.parent_obj == 0) break;
    root = d.parent_obj;
  }
  FZ_TRY(DslDirPhys rd, read_dir(mos, root));
  FZ_TRY(auto e, mos_zap_lookup(mos, rd.child_dir_zapobj, "$ORIGIN"));
  if (!e || e->ints.empty()) return uint64_t{0};
  FZ_TRY(DslDirPhys od, read_dir(mos, e->ints[0]));
  if (od.head_dataset_obj == 0) return uint64_t{0};
  FZ_TRY(DslDatasetPhys head, read_dataset(mos, od.head_dataset_obj));
  return head.prev_snap_obj;
}

// Links a new head `ds_obj` to its origin snapshot the way a clone is linked.
Status link_to_origin(WritableObjset& mos, uint64_t version, uint64_t origin, uint64_t ds_obj, DslDatasetPhys& ds,
                      DslDirPhys& dir) {
  FZ_TRY(DslDatasetPhys o, read_dataset(mos, origin));
  ds.prev_snap_obj = origin;
  ds.prev_snap_txg = o.creation_txg;
  ds.flags |= o.flags & kDsFlagCiDataset;
  o.num_children++;
  if (o.next_clones_obj == 0) {
    FZ_TRY(o.next_clones_obj, mos_zap_create(mos, kOtNextClones));
  }
  FZ_CHECK(mos_zap_add(mos, o.next_clones_obj, hex_name(ds_obj), ds_obj));
  FZ_CHECK(write_dataset(mos, origin, o));
  dir.origin_obj = origin;
  if (version >= kVersionDeadlists) {
    FZ_TRY(DslDirPhys od, read_dir(mos, o.dir_obj));
    if (od.clones == 0) {
      FZ_TRY(od.clones, mos_zap_create(mos, kOtDslClones));
      FZ_CHECK(write_dir(mos, o.dir_obj, od));
    }
    FZ_CHECK(mos_zap_add(mos, od.clones, hex_name(ds_obj), ds_obj));
  }
  return Status::Ok();
}

// The origin's clone lists name the clone's head or, once the clone has snapshots, its
// oldest snapshot: every dataset of the clone is removed from them.
Status unlink_from_origin(WritableObjset& mos, uint64_t version, uint64_t origin,
                          const std::vector<uint64_t>& ds_objs) {
  FZ_TRY(DslDatasetPhys o, read_dataset(mos, origin));
  if (o.num_children > 0) o.num_children--;
  FZ_CHECK(write_dataset(mos, origin, o));
  FZ_TRY(DslDirPhys od, read_dir(mos, o.dir_obj));
  for (uint64_t ds_obj : ds_objs) {
    if (o.next_clones_obj) FZ_CHECK(mos_zap_remove(mos, o.next_clones_obj, hex_name(ds_obj)));
    if (version >= kVersionDeadlists && od.clones) FZ_CHECK(mos_zap_remove(mos, od.clones, hex_name(ds_obj)));
  }
  return Status::Ok();
}

// The space dir_obj's parent charges for it: its use (or reservation, when larger).
DirDelta parent_charge(const DslDirPhys& d, int sign) {
  const uint64_t charged = std::max(d.used_bytes, d.reserved);
  DirDelta delta;
  delta.used = sign * static_cast<int64_t>(charged);
  delta.compressed = sign * static_cast<int64_t>(d.compressed_bytes);
  delta.uncompressed = sign * static_cast<int64_t>(d.uncompressed_bytes);
  delta.breakdown[kDdUsedChild] = sign * static_cast<int64_t>(d.used_bytes);
  delta.breakdown[kDdUsedChildRsrv] = sign * static_cast<int64_t>(charged - d.used_bytes);
  return delta;
}

bool valid_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':' || c == ' ';
}

}  // namespace

Result<NewDataset> create_dataset_records(WritableObjset& mos, const NewDatasetParams& p) {
  if (!p.random) return make_error(EINVAL, "no source of random guids");
  FZ_TRY(DslDirPhys parent, read_dir(mos, p.parent_dir));
  FZ_TRY(auto taken, mos_zap_lookup(mos, parent.child_dir_zapobj, p.name));
  if (taken) return make_error(EEXIST, "dataset already exists");

  NewDataset out;
  FZ_TRY(out.dir_obj, mos.allocate(NewObject{kOtDslDir, 512, kOtDslDir, kDslDirBonusLen, 14}));
  FZ_CHECK(mos_zap_add(mos, parent.child_dir_zapobj, p.name, out.dir_obj));
  DslDirPhys dir;
  dir.creation_time = p.now;
  dir.parent_obj = p.parent_dir;
  FZ_TRY(dir.props_zapobj, mos_zap_create(mos, kOtDslProps));
  FZ_TRY(dir.child_dir_zapobj, mos_zap_create(mos, kOtDslDirChildMap));
  if (p.version >= kVersionUsedBreakdown) dir.flags = kDdFlagUsedBreakdown;

  FZ_TRY(out.ds_obj, mos.allocate(NewObject{kOtDslDataset, 512, kOtDslDataset, kDslDatasetBonusLen, 14}));
  DslDatasetPhys ds;
  ds.dir_obj = out.dir_obj;
  ds.fsid_guid = p.random() & kFsidGuidMask;
  ds.guid = p.random();
  FZ_TRY(ds.snapnames_zapobj, mos_zap_create(mos, kOtDslDsSnapMap, kSnapMapNormflags));
  ds.creation_time = p.now;
  ds.creation_txg = p.txg;
  uint64_t origin = 0;
  if (p.version >= kVersionOrigin) {
    FZ_TRY(origin, origin_snapshot(mos, p.parent_dir));
  }
  FZ_TRY(ds.deadlist_obj, new_deadlist(mos, p.version, origin != 0));
  if (origin != 0) FZ_CHECK(link_to_origin(mos, p.version, origin, out.ds_obj, ds, dir));
  if (p.version >= kVersionUniqueAccurate) ds.flags |= kDsFlagUniqueAccurate;
  dir.head_dataset_obj = out.ds_obj;
  FZ_CHECK(write_dataset(mos, out.ds_obj, ds));
  FZ_CHECK(write_dir(mos, out.dir_obj, dir));
  return out;
}

Status rename_dir(WritableObjset& mos, uint64_t dir_obj, uint64_t new_parent, const std::string& new_name) {
  FZ_TRY(DslDirPhys d, read_dir(mos, dir_obj));
  if (d.parent_obj == 0) return make_error(EINVAL, "the pool's root dataset cannot be renamed");
  FZ_TRY(DslDirPhys np, read_dir(mos, new_parent));
  FZ_TRY(auto taken, mos_zap_lookup(mos, np.child_dir_zapobj, new_name));
  if (taken) return make_error(EEXIST, "dataset already exists");
  // Its entry in the old parent's child map (found by value: the name is the caller's).
  FZ_TRY(DslDirPhys op, read_dir(mos, d.parent_obj));
  FZ_TRY(auto entries, mos_zap_list(mos, op.child_dir_zapobj));
  std::string old_name;
  for (const ZapEntry& e : entries)
    if (!e.ints.empty() && e.ints[0] == dir_obj) old_name = e.name;
  if (old_name.empty()) return make_error(EIO, "dsl_dir {} is missing from its parent's child map", dir_obj);
  FZ_CHECK(mos_zap_remove(mos, op.child_dir_zapobj, old_name));
  FZ_CHECK(mos_zap_add(mos, np.child_dir_zapobj, new_name, dir_obj));
  if (d.parent_obj != new_parent) {
    FZ_CHECK(apply_dir_delta(mos, d.parent_obj, parent_charge(d, -1)));
    FZ_CHECK(apply_dir_delta(mos, new_parent, parent_charge(d, +1)));
    d.parent_obj = new_parent;
    FZ_CHECK(write_dir(mos, dir_obj, d));
  }
  return Status::Ok();
}

Status destroy_dataset_records(WritableObjset& mos, uint64_t version, uint64_t dir_obj) {
  FZ_TRY(DslDirPhys d, read_dir(mos, dir_obj));
  if (d.parent_obj == 0) return make_error(EINVAL, "the pool's root dataset cannot be destroyed");
  FZ_TRY(auto children, child_dirs(mos, dir_obj));
  if (!children.empty()) return make_error(EBUSY, "dsl_dir {} has children", dir_obj);
  if (d.head_dataset_obj) {
    FZ_TRY(DslDatasetPhys head, read_dataset(mos, d.head_dataset_obj));
    // The snapshots, newest to oldest, down to the origin (or the start of the chain).
    std::vector<uint64_t> all = {d.head_dataset_obj};
    uint64_t snap = head.prev_snap_obj;
    for (int n = 0; snap != 0 && snap != d.origin_obj; n++) {
      if (n > 1 << 20) return make_error(EIO, "dataset {}: snapshot chain too long", d.head_dataset_obj);
      FZ_TRY(DslDatasetPhys s, read_dataset(mos, snap));
      if (s.dir_obj != dir_obj) return make_error(EIO, "snapshot {} belongs to another dsl_dir", snap);
      // Another dataset (a clone) still needs this snapshot.
      if (s.num_children > 1) return make_error(EBUSY, "snapshot {} has dependent clones", snap);
      all.push_back(snap);
      snap = s.prev_snap_obj;
    }
    if (d.origin_obj) FZ_CHECK(unlink_from_origin(mos, version, d.origin_obj, all));
    for (uint64_t obj : all) FZ_CHECK(free_dataset_object(mos, version, obj));
  }
  FZ_TRY(DslDirPhys parent, read_dir(mos, d.parent_obj));
  FZ_TRY(auto entries, mos_zap_list(mos, parent.child_dir_zapobj));
  for (const ZapEntry& e : entries)
    if (!e.ints.empty() && e.ints[0] == dir_obj) FZ_CHECK(mos_zap_remove(mos, parent.child_dir_zapobj, e.name));
  FZ_CHECK(apply_dir_delta(mos, d.parent_obj, parent_charge(d, -1)));
  for (uint64_t obj : {d.props_zapobj, d.child_dir_zapobj, d.deleg_zapobj, d.clones})
    if (obj) FZ_CHECK(mos.free_object(obj));
  return mos.free_object(dir_obj);
}

std::string dataset_name_problem(const std::string& name) {
  if (name.size() >= kMaxDatasetName) return "dataset name is too long";
  if (name.empty()) return "empty component in name";
  if (name[0] == '/') return "leading slash in name";
  if (name.back() == '/') return "trailing slash in name";
  if (name.find('@') != std::string::npos) return "snapshot delimiter '@' in filesystem name";
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (end == start) return "empty component in name";
    for (size_t i = start; i < end; i++)
      if (!valid_name_char(name[i])) return fmt::format("invalid character '{}' in name", name[i]);
    start = end + 1;
  }
  return "";
}

}  // namespace fzfs
