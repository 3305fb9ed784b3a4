// Block pointers and the dnodes that hold them: decode in both byte orders, print, and
// read them through the block reader. The reader's only device is the input itself
// (DVA offset 0 = input byte 0) with checksums off, so a mutated pointer leads the
// reader into real bytes: decompression, gang headers, sizes past the end.
#include <cstring>

#include "engine/dmu/dnode.h"
#include "engine/vdev/vdev.h"
#include "engine/zio/block_reader.h"

namespace {

std::span<const uint8_t> g_input;

class InputLeaf final : public fzfs::Vdev {
 public:
  const char* type() const override { return "file"; }
  std::string name() const override { return "input"; }
  fzfs::VdevState state() const override { return fzfs::VdevState::kOnline; }
  fzfs::Status read(uint64_t offset, std::span<uint8_t> out, const fzfs::BlockVerifier& verify) override {
    if (offset > g_input.size() || g_input.size() - offset < out.size())
      return fzfs::make_error(EIO, "read of {} bytes at {} is past the input", out.size(), offset);
    std::memcpy(out.data(), g_input.data() + offset, out.size());
    return verify(out) ? fzfs::Status::Ok() : fzfs::make_error(fzfs::kECKSUM, "checksum");
  }
  uint64_t asize(uint64_t p) const override { return p; }
  fzfs::Status write(uint64_t, std::span<const uint8_t>) override {
    return fzfs::make_error(EROFS, "the fuzz input is read-only");
  }
  fzfs::Status flush() override { return fzfs::Status::Ok(); }
};

class Root final : public fzfs::Vdev {
 public:
  Root() { children.push_back(std::make_unique<InputLeaf>()); }
  const char* type() const override { return "root"; }
  std::string name() const override { return "fuzz"; }
  fzfs::VdevState state() const override { return fzfs::VdevState::kOnline; }
  fzfs::Status read(uint64_t, std::span<uint8_t>, const fzfs::BlockVerifier&) override {
    return fzfs::make_error(EIO, "root");
  }
  uint64_t asize(uint64_t p) const override { return p; }
  fzfs::Status write(uint64_t, std::span<const uint8_t>) override {
    return fzfs::make_error(EROFS, "the fuzz input is read-only");
  }
  fzfs::Status flush() override { return fzfs::Status::Ok(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fzfs;
  static Root root;
  g_input = std::span(data, size);
  // A fresh reader per input: its cache must not carry blocks between inputs.
  BlockReader reader(&root, 1 << 20);
  reader.set_checksum_verification(false);
  if (size >= kBlkptrSize) {
    for (bool little : {true, false}) {
      Blkptr bp = Blkptr::decode(data, little);
      (void)bp.to_string();
      (void)reader.read(bp);
    }
  }
  for (bool little : {true, false}) {
    auto dn = Dnode::decode(std::span(data, size), little, 7);
    if (!dn.ok()) continue;
    for (const auto& bp : dn->blkptr) {
      (void)bp.to_string();
      (void)reader.read(bp);
    }
    if (dn->spill) (void)reader.read(*dn->spill);
  }
  return 0;
}
