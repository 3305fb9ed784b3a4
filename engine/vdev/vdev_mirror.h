// Mirror vdevs: every child holds a full copy of every block. "replacing" (an old device
// being resilvered onto a new one) and "spare" (a device with its hot spare) read the same
// way: any child's copy that verifies is the block.
#pragma once

#include <string>

#include "engine/vdev/vdev.h"

namespace fzfs {

class MirrorVdev final : public Vdev {
 public:
  explicit MirrorVdev(std::string type) : type_(std::move(type)) {}

  const char* type() const override { return type_.c_str(); }
  std::string name() const override { return type_ + "-" + std::to_string(id); }
  VdevState state() const override;
  // Tries healthy children first, in order; the first copy that verifies wins. Children
  // count their own errors; the mirror counts one only when no copy is good.
  Status read(uint64_t offset, std::span<uint8_t> out, const BlockVerifier& verify) override;
  // Writes the block to every child; succeeds when at least one child stored it (the
  // others count their write errors and are repaired later by resilver or scrub).
  Status write(uint64_t offset, std::span<const uint8_t> data) override;
  // Flushes every child; succeeds when at least one child that is present flushed.
  Status flush() override;
  uint64_t asize(uint64_t psize) const override;

 private:
  std::string type_;
};

}  // namespace fzfs
