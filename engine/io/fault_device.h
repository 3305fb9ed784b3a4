// A BlockDevice that wraps another and injects faults, for tests: reads that return
// garbage in chosen byte ranges (silent corruption, caught only by checksums), reads
// and writes that fail with EIO in chosen ranges (a bad sector), or a device that fails
// every operation (pulled or missing). Counters record what was asked of it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/io/block_device.h"

namespace fzfs {

class FaultDevice final : public BlockDevice {
 public:
  explicit FaultDevice(std::shared_ptr<BlockDevice> inner);

  // Bytes of [offset, offset + length) read back inverted (so they always differ from
  // what is stored); the rest of a read is returned intact.
  void corrupt_reads(uint64_t offset, uint64_t length);
  // A read touching [offset, offset + length) fails with EIO.
  void fail_reads(uint64_t offset, uint64_t length);
  // A write touching [offset, offset + length) fails with EIO (nothing is written).
  void fail_writes(uint64_t offset, uint64_t length);
  // Every operation fails with EIO, as if the device were gone (on = false restores it).
  void fail_all(bool on = true);
  // Removes every injected fault.
  void clear();

  uint64_t reads() const { return reads_; }    // pread calls seen
  uint64_t writes() const { return writes_; }  // pwrite calls seen
  BlockDevice& inner() { return *inner_; }

  Status pread(std::span<uint8_t> buf, uint64_t offset) override;
  Status pwrite(std::span<const uint8_t> buf, uint64_t offset) override;
  Status flush() override;
  uint64_t size() const override { return inner_->size(); }
  const std::string& path() const override { return inner_->path(); }

 private:
  struct Range {
    uint64_t offset, length;
    bool overlaps(uint64_t off, uint64_t len) const {
      return off < offset + length && offset < off + len;
    }
  };
  bool hits(const std::vector<Range>& ranges, uint64_t off, uint64_t len) const;

  std::shared_ptr<BlockDevice> inner_;
  mutable std::mutex mu_;
  std::vector<Range> corrupt_, fail_read_, fail_write_;
  bool fail_all_ = false;
  std::atomic<uint64_t> reads_{0}, writes_{0};
};

}  // namespace fzfs
