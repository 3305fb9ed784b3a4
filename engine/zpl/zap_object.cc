#include "engine/zpl/zap_object.h"

#include <fmt/format.h>

namespace fzfs {

Result<uint64_t> new_zap_object(WritableObjset& os, const NewZap& z) {
  NewObject shape{z.type, 512, z.bonus_type, z.bonus_len, 14};
  uint64_t obj = 0;
  if (z.claim) {
    FZ_CHECK(os.claim(*z.claim, shape));
    obj = *z.claim;
  } else {
    FZ_TRY(obj, os.allocate(shape));
  }
  FZ_TRY(auto view, os.object(obj));
  ZapCreateOptions opts;
  opts.normflags = z.normflags;
  auto w = ZapWriter::create(*view, opts);
  if (!w.ok()) return std::move(w).error().context("object {}: new ZAP", obj);
  return obj;
}

Status zap_put(WritableObjset& os, uint64_t obj, std::string_view name, const ZapValue& value) {
  FZ_TRY(auto view, os.object(obj));
  FZ_TRY(ZapWriter w, ZapWriter::open(*view));
  if (Status s = w.add(ZapKey::of_name(name), value); !s.ok())
    return std::move(s).error().context("object {}: entry {}", obj, name);
  return Status::Ok();
}

Status zap_put_int(WritableObjset& os, uint64_t obj, uint64_t value) {
  return zap_put(os, obj, fmt::format("{:x}", value), value);
}

}  // namespace fzfs
