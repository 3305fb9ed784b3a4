// An in-memory BlockDevice: the bytes live in a vector. For tests and benchmarks that
// build pools or RAIDZ columns without touching the file system.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/io/block_device.h"

namespace fzfs {

class MemoryDevice final : public BlockDevice {
 public:
  MemoryDevice(std::string path, uint64_t size) : path_(std::move(path)), bytes_(size, 0) {}

  Status pread(std::span<uint8_t> buf, uint64_t offset) override;
  Status pwrite(std::span<const uint8_t> buf, uint64_t offset) override;
  Status flush() override { return Status::Ok(); }
  uint64_t size() const override { return bytes_.size(); }
  const std::string& path() const override { return path_; }

  // Direct access for tests that lay out or inspect data.
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::string path_;
  std::vector<uint8_t> bytes_;
};

}  // namespace fzfs
