#include "engine/dsl/user_accounting.h"

#include <fmt/format.h>

#include "engine/dmu/dmu_types.h"
#include "engine/zap/zap.h"
#include "engine/zap/zap_writer.h"

namespace fzfs {
namespace {

Status apply_to(WritableObjset& os, uint64_t obj, const std::map<uint64_t, int64_t>& deltas) {
  if (deltas.empty()) return Status::Ok();
  if (auto dn = os.dnode(obj); !dn.ok()) {
    if (dn.error().code() != ENOENT) return std::move(dn).error();
    // As ZFS creates them on first use: an empty micro ZAP in a 512-byte block.
    FZ_CHECK(os.claim(obj, NewObject{kOtUsergroupUsed, 512, 0, 0, os.indblkshift()}));
    FZ_TRY(auto view, os.object(obj));
    FZ_CHECK(ZapWriter::create(*view));
  }
  FZ_TRY(auto view, os.object(obj));
  FZ_TRY(ZapWriter writer, ZapWriter::open(*view));
  for (const auto& [id, delta] : deltas) {
    const std::string key = fmt::format("{:x}", id);
    uint64_t total = 0;
    {
      FZ_TRY(auto data, os.object_data(obj));
      FZ_TRY(ZapReader reader, ZapReader::open(*data));
      FZ_TRY(auto entry, reader.lookup(key));
      if (entry && !entry->ints.empty()) total = entry->ints[0];
    }
    total += static_cast<uint64_t>(delta);  // two's complement: a negative delta subtracts
    if (total == 0) {
      Status s = writer.remove(key);
      if (!s.ok() && s.error().code() != ENOENT) return s;
    } else {
      FZ_CHECK(writer.update(key, total));
    }
  }
  return Status::Ok();
}

}  // namespace

Status apply_usage_deltas(WritableObjset& os, const UsageDeltas& deltas) {
  if (Status s = apply_to(os, kUserUsedObject, deltas.user); !s.ok())
    return std::move(s).error().context("user-used ZAP");
  if (Status s = apply_to(os, kGroupUsedObject, deltas.group); !s.ok())
    return std::move(s).error().context("group-used ZAP");
  return Status::Ok();
}

}  // namespace fzfs
