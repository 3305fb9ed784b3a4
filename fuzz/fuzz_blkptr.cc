// Block pointers and the dnodes that hold them: decode in both byte orders, print, and
// read embedded payloads through decompression.
#include "engine/dmu/dnode.h"
#include "engine/vdev/vdev.h"
#include "engine/zio/block_reader.h"

namespace {
class NoVdev final : public fzfs::Vdev {
 public:
  const char* type() const override { return "root"; }
  std::string name() const override { return "fuzz"; }
  fzfs::VdevState state() const override { return fzfs::VdevState::kOnline; }
  fzfs::Status read(uint64_t, std::span<uint8_t>, const fzfs::BlockVerifier&) override {
    return fzfs::make_error(EIO, "no device");
  }
  uint64_t asize(uint64_t p) const override { return p; }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fzfs;
  static NoVdev root;
  static BlockReader reader(&root, 1 << 20);
  if (size >= kBlkptrSize) {
    for (bool little : {true, false}) {
      Blkptr bp = Blkptr::decode(data, little);
      (void)bp.to_string();
      (void)reader.read(bp);
    }
  }
  for (bool little : {true, false}) {
    auto dn = Dnode::decode(std::span(data, size), little, 7);
    if (dn.ok()) {
      for (const auto& bp : dn->blkptr) (void)bp.to_string();
    }
  }
  return 0;
}
