// System attributes: SA headers with the legacy registry, old znodes, and registries
// built from ZAP-like entries cut from the input.
#include "engine/zpl/sa.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fzfs;
  static const SaRegistry legacy = SaRegistry::legacy();
  std::span<const uint8_t> in(data, size);
  if (auto a = parse_sa(in, legacy); a.ok()) {
    for (const char* n : {"ZPL_MODE", "ZPL_SIZE", "ZPL_MTIME", "ZPL_SYMLINK"}) (void)a->u64_array(n);
  }
  for (bool foreign : {false, true}) (void)parse_legacy_znode(in, foreign, legacy);

  // A registry whose layouts come from the input: layout 2 lists u16 attribute numbers.
  std::vector<ZapEntry> layouts(1);
  layouts[0].name = "2";
  layouts[0].int_size = 2;
  for (size_t i = 0; i + 1 < size && i < 64; i += 2) layouts[0].ints.push_back(data[i] | (data[i + 1] << 8));
  layouts[0].num_ints = layouts[0].ints.size();
  auto reg = SaRegistry::from_entries({}, layouts);
  if (reg.ok()) (void)parse_sa(in, *reg);
  return 0;
}
