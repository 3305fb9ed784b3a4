// ZAP objects (micro and fat): open, list everything, look up a few names.
#include "engine/zap/zap.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fzfs;
  fuzz::BytesObject obj(data, size);
  auto zap = ZapReader::open(obj);
  if (!zap.ok()) return 0;
  (void)zap->list([](const ZapEntry&) { return true; });
  for (const char* name : {"ROOT", "VERSION", "a", "root_dataset", ""}) (void)zap->lookup(name);
  return 0;
}
