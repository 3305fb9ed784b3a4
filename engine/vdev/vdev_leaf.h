// Leaf vdevs: a file or disk (an open BlockDevice, or none when the device is missing),
// and placeholders for top-level slots the config names but that hold no data ("hole"
// for a removed top-level vdev, "missing" for one whose devices were not found).
#pragma once

#include <memory>
#include <string>

#include "engine/vdev/vdev.h"

namespace fzfs {

class LeafVdev final : public Vdev {
 public:
  LeafVdev(std::string type, std::string path, std::shared_ptr<BlockDevice> dev)
      : type_(std::move(type)), path_(std::move(path)), dev_(std::move(dev)) {}

  const char* type() const override { return type_.c_str(); }
  std::string name() const override;
  VdevState state() const override { return dev_ ? VdevState::kOnline : VdevState::kUnavail; }
  // Reads at out.size() bytes at DVA offset `offset` (physical offset + 4 MiB). Counts
  // read_errors on an I/O error and cksum_errors when verify() refuses the bytes; a
  // missing device fails with EIO without counting.
  Status read(uint64_t offset, std::span<uint8_t> out, const BlockVerifier& verify) override;
  // Writes at physical offset + 4 MiB, padding the last sector with zeros. Counts
  // write_errors on an I/O error; a missing device fails with EIO without counting.
  Status write(uint64_t offset, std::span<const uint8_t> data) override;
  // fdatasync of the device; nothing to do for a missing one.
  Status flush() override;
  uint64_t asize(uint64_t psize) const override;

  BlockDevice* device() const { return dev_.get(); }
  const std::string& path() const { return path_; }

 private:
  // EIO unless [offset, offset + size) lies inside the device's DVA address space.
  Status check_range(uint64_t offset, uint64_t size) const;

  std::string type_;
  std::string path_;
  std::shared_ptr<BlockDevice> dev_;
};

class PlaceholderVdev final : public Vdev {
 public:
  explicit PlaceholderVdev(std::string type) : type_(std::move(type)) {}
  const char* type() const override { return type_.c_str(); }
  std::string name() const override { return type_ + "-" + std::to_string(id); }
  // A hole holds nothing and harms nothing; a missing top-level vdev makes data on it
  // unreachable.
  VdevState state() const override {
    return type_ == "hole" ? VdevState::kOnline : VdevState::kUnavail;
  }
  Status read(uint64_t offset, std::span<uint8_t> out, const BlockVerifier& verify) override;
  Status write(uint64_t offset, std::span<const uint8_t> data) override;
  // A hole has nothing to flush; a missing top-level vdev cannot be made durable.
  Status flush() override;
  uint64_t asize(uint64_t psize) const override { return psize; }

 private:
  std::string type_;
};

// Rounds a size up to the vdev's allocation unit.
inline uint64_t round_to_ashift(uint64_t size, uint64_t ashift) {
  const uint64_t unit = uint64_t{1} << ashift;
  return (size + unit - 1) & ~(unit - 1);
}

}  // namespace fzfs
