// The vdev tree: how a pool's devices are combined. Top-level vdevs (children of the root)
// each own a contiguous address space that DVAs point into; a DVA is <vdev id, offset>.
//
//   root
//    ├── mirror-0            (top-level: every child holds a full copy)
//    │     ├── file /d/A
//    │     └── file /d/B
//    └── raidz2-1            (top-level: data striped over children with 2 parity columns)
//          ├── file /d/C ...
//
// Leaves (file, disk) start their DVA address space after the two front labels and the
// boot region: physical = DVA offset + 4 MiB (kVdevLabelStartSize).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/io/block_device.h"
#include "engine/util/nvlist.h"
#include "engine/util/status.h"

namespace fzfs {

inline constexpr uint64_t kVdevLabelSize = 256 * 1024;
inline constexpr uint64_t kVdevLabelStartSize = 2 * kVdevLabelSize + 3584 * 1024;  // 4 MiB
inline constexpr uint64_t kVdevLabelEndSize = 2 * kVdevLabelSize;

enum class VdevState { kOnline, kDegraded, kFaulted, kUnavail, kOffline, kRemoved };
const char* to_string(VdevState s);

// Called with a candidate copy of a block; returns true if the block's checksum matches.
// Mirrors try each child and RAIDZ tries reconstructions until it answers true.
using BlockVerifier = std::function<bool(std::span<const uint8_t>)>;

struct VdevCounters {
  std::atomic<uint64_t> read_errors{0};
  std::atomic<uint64_t> write_errors{0};
  std::atomic<uint64_t> cksum_errors{0};
};

class Vdev {
 public:
  virtual ~Vdev() = default;

  // "file", "disk", "mirror", "raidz", "spare", "replacing", "root", "missing"
  virtual const char* type() const = 0;
  // The name `zpool status` prints: a leaf's path, "mirror-0", "raidz2-1", the pool name.
  virtual std::string name() const = 0;
  virtual VdevState state() const = 0;

  // Reads out.size() bytes of a block at `offset` in this vdev's DVA address space.
  // out.size() is the block's physical size; allocation rounding is the vdev's business.
  // With redundancy, a copy whose verify() fails (or whose device fails) is counted on
  // the child responsible and another copy or reconstruction is tried; EIO or kECKSUM
  // only when none verifies.
  virtual Status read(uint64_t offset, std::span<uint8_t> out, const BlockVerifier& verify) = 0;

  // Writes a block's physical bytes (data.size() is its psize, a multiple of 1 << ashift)
  // at `offset` in this vdev's DVA address space: a leaf at physical offset + 4 MiB, a
  // mirror to every present child, RAIDZ as data columns plus parity columns. A child
  // that fails counts a write error; the write fails (EIO, naming the device and offset)
  // only when the block could not be stored with the redundancy to read it back.
  // A psize that is not a whole number of sectors is zero-padded to one.
  virtual Status write(uint64_t offset, std::span<const uint8_t> data) = 0;
  // Makes every write so far durable on every present leaf (fdatasync). Like write(),
  // it fails only when too few children flushed for the redundancy to hold.
  virtual Status flush() = 0;

  // The allocated size of a block of physical size psize at offset (RAIDZ adds parity
  // and padding; others round up to 1 << ashift).
  virtual uint64_t asize(uint64_t psize) const = 0;

  uint64_t guid = 0;
  uint64_t id = 0;      // index among its parent's children
  uint64_t ashift = 9;
  uint64_t asize_total = 0;  // usable bytes (vdev_tree "asize")
  VdevCounters counters;
  std::vector<std::unique_ptr<Vdev>> children;
};

// A leaf device the import found: its path, the open device (null if missing) and guid.
struct LeafDevice {
  uint64_t guid = 0;
  std::string path;
  std::shared_ptr<BlockDevice> dev;  // null when the device is missing
};

// Builds a vdev (sub)tree from a "vdev_tree" nvlist of a label or of the pool config.
// Leaves are matched to opened devices by guid; a leaf with no device becomes a missing
// child (state kUnavail) and its parent degrades instead of failing.
Result<std::unique_ptr<Vdev>> build_vdev_tree(const NvList& vdev_tree,
                                              const std::vector<LeafDevice>& devices);

}  // namespace fzfs
