#include "engine/dmu/dmu_types.h"

namespace fzfs {

std::string_view dmu_type_name(uint8_t t) {
  static constexpr std::string_view kNames[kOtNumTypes] = {
      "unallocated", "object directory", "object array", "packed nvlist", "packed nvlist size",
      "bpobj", "bpobj header", "SPA space map header", "SPA space map", "ZIL intent log",
      "DMU dnode", "DMU objset", "DSL directory", "DSL directory child map",
      "DSL dataset snap map", "DSL props", "DSL dataset", "ZFS znode", "ZFS V0 ACL",
      "ZFS plain file", "ZFS directory", "ZFS master node", "ZFS delete queue", "zvol object",
      "zvol prop", "other uint8[]", "other uint64[]", "other ZAP", "persistent error log",
      "SPA history", "SPA history offsets", "Pool properties", "DSL permissions", "ZFS ACL",
      "ZFS SYSACL", "FUID table", "FUID table size", "DSL dataset next clones", "scan work queue",
      "ZFS user/group used", "ZFS user/group quota", "snapshot refcount tags", "DDT ZAP algorithm",
      "DDT statistics", "System attributes", "SA master node", "SA attr registration",
      "SA attr layouts", "scan translations", "deduplicated block", "DSL deadlist map",
      "DSL deadlist map hdr", "DSL dir clones", "bpobj subobj"};
  if (t < kOtNumTypes) return kNames[t];
  if (t & kOtNewType) return (t & 0x40) ? "new-style metadata" : "new-style data";
  return "unknown";
}

}  // namespace fzfs
