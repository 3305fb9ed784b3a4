// The DSL records of a MOS open for change: dsl_dir and dsl_dataset bonus buffers and
// the ZAP objects that tie them together, read and written as the open txg sees them.
// Dataset commands (create, rename, destroy, set) are built from these.
//
//   root dsl_dir (object directory "root_dataset")
//     └─ child_dir_zapobj: "a" ─► dsl_dir ─ child_dir_zapobj: "b" ─► dsl_dir   ("pool/a/b")
//
// Bonus sizes are the ones ZFS allocates: 256 bytes for a dsl_dir, 320 for a dsl_dataset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dmu/writable_objset.h"
#include "engine/dsl/dsl_phys.h"
#include "engine/zap/zap.h"
#include "engine/zap/zap_writer.h"

namespace fzfs {

inline constexpr uint16_t kDslDirBonusLen = 256;
inline constexpr uint16_t kDslDatasetBonusLen = 320;
inline constexpr uint64_t kMosObjectDirectory = 1;

Result<DslDirPhys> read_dir(const WritableObjset& mos, uint64_t obj);
Status write_dir(WritableObjset& mos, uint64_t obj, const DslDirPhys& d);
Result<DslDatasetPhys> read_dataset(const WritableObjset& mos, uint64_t obj);
Status write_dataset(WritableObjset& mos, uint64_t obj, const DslDatasetPhys& d);

// ZAP access on the MOS's open view.
Result<std::optional<ZapEntry>> mos_zap_lookup(const WritableObjset& mos, uint64_t zap, std::string_view name);
Result<std::vector<ZapEntry>> mos_zap_list(const WritableObjset& mos, uint64_t zap);
Status mos_zap_update(WritableObjset& mos, uint64_t zap, std::string_view name, const ZapValue& v);
Status mos_zap_add(WritableObjset& mos, uint64_t zap, std::string_view name, uint64_t v);
// Removes name; absent is not an error (returns whether it was there).
Result<bool> mos_zap_remove(WritableObjset& mos, uint64_t zap, std::string_view name);
// A new, empty micro ZAP object of `type` (512-byte blocks).
Result<uint64_t> mos_zap_create(WritableObjset& mos, uint8_t type, uint64_t normflags = 0, uint8_t bonus_type = 0,
                                uint16_t bonus_len = 0);

// The dsl_dir of a dataset name ("pool", "pool/a/b"; no '@'): ENOENT when a component
// is missing. `pool` is the pool's name (the root dir's).
Result<uint64_t> find_dir(const WritableObjset& mos, const std::string& pool, const std::string& name);
// Names of a dir's children (internal "$..." ones included).
Result<std::vector<std::pair<std::string, uint64_t>>> child_dirs(const WritableObjset& mos, uint64_t dir_obj);

}  // namespace fzfs
