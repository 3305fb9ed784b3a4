// The storage pool allocator, read side: find a pool's devices, assemble its vdev tree
// from their labels, and choose the uberblock to open it at.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/spa/uberblock.h"
#include "engine/util/nvlist.h"
#include "engine/vdev/vdev.h"
#include "engine/zio/block_reader.h"

namespace fzfs {

// Supported pool versions: the legacy ones and the feature-flags version.
inline constexpr uint64_t kSpaVersionMaxLegacy = 28;
inline constexpr uint64_t kSpaVersionFeatures = 5000;
bool spa_version_supported(uint64_t v);

// Pool states as stored in labels ("state").
enum class PoolState : uint64_t { kActive = 0, kExported = 1, kDestroyed = 2, kSpare = 3, kL2cache = 4 };

// One device that carries a label of some pool.
struct FoundDevice {
  std::string path;
  uint64_t pool_guid = 0;
  uint64_t guid = 0;       // this leaf's guid
  uint64_t top_guid = 0;
  uint64_t txg = 0;        // txg of the label config
  NvList config;           // the newest valid label config on the device
  std::vector<Uberblock> uberblocks;  // every valid uberblock in its labels
};

// A pool assembled from the devices found for it.
struct PoolCandidate {
  std::string name;
  uint64_t guid = 0;
  uint64_t version = 0;
  uint64_t state = 0;
  uint64_t txg = 0;
  NvList config;                     // newest label config
  std::vector<FoundDevice> devices;
  // The vdev_tree of each top-level vdev id (empty NvList where no device of it was found).
  std::vector<NvList> top_trees;
  uint64_t top_count = 0;
};

// Reads the labels of every regular file and block device in `paths` (directories are
// scanned one level deep; files are taken as given). Unreadable files are skipped.
std::vector<FoundDevice> scan_devices(const std::vector<std::string>& paths);
// Groups found devices by pool guid.
std::vector<PoolCandidate> group_pools(std::vector<FoundDevice> devices);

// The root of the vdev tree is not stored in labels: it is built from the top-level
// trees the devices carry (a "missing" placeholder where none was found).
NvList root_vdev_config(const PoolCandidate& cand);

// An open pool's physical side: devices, vdev tree, block reader, uberblocks.
class Spa {
 public:
  // Opens every device of the candidate (exclusively) and builds the vdev tree.
  static Result<std::unique_ptr<Spa>> open(const PoolCandidate& cand, bool writable);

  const std::string& name() const { return name_; }
  uint64_t guid() const { return guid_; }
  uint64_t version() const { return version_; }
  const NvList& config() const { return config_; }
  Vdev* root() const { return root_.get(); }
  BlockReader* reader() { return reader_.get(); }
  // Valid uberblocks, best first. The pool opens at the first whose MOS reads.
  const std::vector<Uberblock>& uberblocks() const { return uberblocks_; }
  // Devices found but left out of the vdev tree, by leaf guid: "PATH is N bytes, ...".
  const std::map<uint64_t, std::string>& device_problems() const { return device_problems_; }

 private:
  std::string name_;
  uint64_t guid_ = 0;
  uint64_t version_ = 0;
  NvList config_;
  std::vector<LeafDevice> leaves_;
  std::unique_ptr<Vdev> root_;
  std::unique_ptr<BlockReader> reader_;
  std::vector<Uberblock> uberblocks_;
  std::map<uint64_t, std::string> device_problems_;
};

}  // namespace fzfs
