#include "engine/dsl/dsl_records.h"

#include "engine/dmu/dmu_types.h"

namespace fzfs {

Result<DslDirPhys> read_dir(const WritableObjset& mos, uint64_t obj) {
  FZ_TRY(Dnode dn, mos.dnode(obj));
  if (dn.bonustype != kOtDslDir) return make_error(EIO, "MOS object {} is not a DSL directory", obj);
  return DslDirPhys::decode(dn.bonus, dn.little);
}

Status write_dir(WritableObjset& mos, uint64_t obj, const DslDirPhys& d) {
  FZ_TRY(Dnode dn, mos.dnode(obj));
  std::vector<uint8_t> bonus = dn.bonus;
  if (bonus.size() < kDslDirBonusLen) bonus.resize(kDslDirBonusLen, 0);
  d.encode(bonus);
  return mos.set_bonus(obj, bonus);
}

Result<DslDatasetPhys> read_dataset(const WritableObjset& mos, uint64_t obj) {
  FZ_TRY(Dnode dn, mos.dnode(obj));
  if (dn.bonustype != kOtDslDataset) return make_error(EIO, "MOS object {} is not a DSL dataset", obj);
  return DslDatasetPhys::decode(dn.bonus, dn.little);
}

Status write_dataset(WritableObjset& mos, uint64_t obj, const DslDatasetPhys& d) {
  FZ_TRY(Dnode dn, mos.dnode(obj));
  std::vector<uint8_t> bonus = dn.bonus;
  if (bonus.size() < kDslDatasetBonusLen) bonus.resize(kDslDatasetBonusLen, 0);
  d.encode(bonus);
  return mos.set_bonus(obj, bonus);
}

Result<std::optional<ZapEntry>> mos_zap_lookup(const WritableObjset& mos, uint64_t zap, std::string_view name) {
  FZ_TRY(auto od, mos.object_data(zap));
  FZ_TRY(ZapReader r, ZapReader::open(*od));
  return r.lookup(name);
}

Result<std::vector<ZapEntry>> mos_zap_list(const WritableObjset& mos, uint64_t zap) {
  FZ_TRY(auto od, mos.object_data(zap));
  FZ_TRY(ZapReader r, ZapReader::open(*od));
  return r.list_all();
}

Status mos_zap_update(WritableObjset& mos, uint64_t zap, std::string_view name, const ZapValue& v) {
  FZ_TRY(auto obj, mos.object(zap));
  FZ_TRY(ZapWriter w, ZapWriter::open(*obj));
  return w.update(ZapKey::of_name(name), v);
}

Status mos_zap_add(WritableObjset& mos, uint64_t zap, std::string_view name, uint64_t v) {
  FZ_TRY(auto obj, mos.object(zap));
  FZ_TRY(ZapWriter w, ZapWriter::open(*obj));
  return w.add(name, v);
}

Result<bool> mos_zap_remove(WritableObjset& mos, uint64_t zap, std::string_view name) {
  FZ_TRY(auto present, mos_zap_lookup(mos, zap, name));
  if (!present) return false;
  FZ_TRY(auto obj, mos.object(zap));
  FZ_TRY(ZapWriter w, ZapWriter::open(*obj));
  FZ_CHECK(w.remove(name));
  return true;
}

Result<uint64_t> mos_zap_create(WritableObjset& mos, uint8_t type, uint64_t normflags, uint8_t bonus_type,
                                uint16_t bonus_len) {
  FZ_TRY(uint64_t obj, mos.allocate(NewObject{type, 512, bonus_type, bonus_len, 14}));
  FZ_TRY(auto data, mos.object(obj));
  ZapCreateOptions opts;
  opts.normflags = normflags;
  FZ_CHECK(ZapWriter::create(*data, opts));
  return obj;
}

Result<uint64_t> find_dir(const WritableObjset& mos, const std::string& pool, const std::string& name) {
  if (name.compare(0, pool.size(), pool) != 0 || (name.size() > pool.size() && name[pool.size()] != '/'))
    return make_error(ENOENT, "dataset '{}' is not in pool '{}'", name, pool);
  FZ_TRY(auto od, mos.object_data(kMosObjectDirectory));
  FZ_TRY(ZapReader r, ZapReader::open(*od));
  FZ_TRY(uint64_t dir, r.lookup_u64("root_dataset"));
  size_t pos = pool.size();
  for (int depth = 0; pos < name.size(); depth++) {
    if (depth > 256) return make_error(EINVAL, "dataset name '{}' is too deep", name);
    size_t next = name.find('/', pos + 1);
    std::string part = name.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    FZ_TRY(DslDirPhys d, read_dir(mos, dir));
    FZ_TRY(auto e, mos_zap_lookup(mos, d.child_dir_zapobj, part));
    if (!e || e->ints.empty()) return make_error(ENOENT, "dataset '{}' does not exist", name);
    dir = e->ints[0];
    pos = next == std::string::npos ? name.size() : next;
  }
  return dir;
}

Result<std::vector<std::pair<std::string, uint64_t>>> child_dirs(const WritableObjset& mos, uint64_t dir_obj) {
  FZ_TRY(DslDirPhys d, read_dir(mos, dir_obj));
  std::vector<std::pair<std::string, uint64_t>> out;
  if (d.child_dir_zapobj == 0) return out;
  FZ_TRY(auto all, mos_zap_list(mos, d.child_dir_zapobj));
  for (const ZapEntry& e : all)
    if (!e.ints.empty()) out.emplace_back(e.name, e.ints[0]);
  return out;
}

}  // namespace fzfs
