// nvlist decoding (labels, MOS config, SA xattrs): decode, re-encode, decode again.
#include "engine/util/nvlist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto nvl = fzfs::NvList::decode(std::span(data, size));
  if (!nvl.ok()) return 0;
  (void)nvl->to_string();
  auto again = fzfs::NvList::decode(nvl->encode_xdr());
  if (!again.ok()) __builtin_trap();  // what we encode we must read back
  return 0;
}
