// The vdev side of `fzpool create`: from the words a user types (`mirror A B raidz2 C D E
// F`), the devices' sizes and what their labels say, decide whether zpool would accept
// the layout, choose guids and sizes, and produce the two nvlists ZFS keeps about the
// tree: the pool config (the MOS "config" object) and each leaf's label config.
//
//   words ──parse_vdev_words──► VdevSpec (tops of leaves, paths only)
//            caller probes each leaf: size, is it a disk, which pool its label names
//   VdevSpec ──check_vdev_spec──► zpool's messages (-f overrides some)
//            ──plan_vdevs──► VdevPlan: guids, ids, asize, ashift, metaslab_shift/count
//   VdevPlan ──pool_config_nvlist / leaf_label_nvlist──► NvList (zfs-fuse field order)
//
// Sizes, as the v1-v28 era ZFS computes them:
//
//   leaf:   psize = device size rounded down to 256 KiB (the label size)
//           asize = psize - 4 MiB (labels 0,1 + boot) - 512 KiB (labels 2,3)
//   mirror: asize = smallest child asize
//   raidz:  asize = smallest child asize * number of children
//   top:    metaslab_shift = max(17, highbit(asize / 200)), metaslabs = asize >> shift
//
// Nvlist shapes (types all uint64 but the strings; order as zfs-fuse writes them):
//
//   pool config: version name state txg pool_guid hostid hostname vdev_children
//                vdev_tree{type='root' id=0 guid=pool_guid create_txg children[...]}
//   leaf label:  version name state txg pool_guid hostid hostname top_guid guid
//                vdev_children vdev_tree{this leaf's top-level vdev only}
//   top vdev:    type id guid [path] [nparity] [whole_disk] metaslab_array
//                metaslab_shift ashift asize is_log create_txg [children[...]]
//   child leaf:  type id guid path [whole_disk] create_txg
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/util/nvlist.h"
#include "engine/util/status.h"

namespace fzfs {

inline constexpr uint64_t kMinDeviceSize = 64ull << 20;  // SPA_MINDEVSIZE
inline constexpr uint64_t kZpoolSizeFuzz = 16ull << 20;   // children differing more: warn
inline constexpr int kMaxRaidzChildren = 255;
inline constexpr uint64_t kCreateTxg = 4;                // TXG_INITIAL: a create's txg

// What a device's existing label says about its pool (zpool's pool_state_t, as seen
// from the device): only these states make a device "in use".
enum class DeviceUse { kActive, kExported, kPotentiallyActive, kSpare };

struct LeafSpec {
  std::string path;
  uint64_t size = 0;       // bytes (a file's st_size, a block device's size)
  bool is_disk = false;    // "disk" vs "file"
  bool whole_disk = false;  // disks only: zpool labelled the whole device
  std::optional<DeviceUse> use;  // set when the device's label names a live pool
  std::string use_pool;          // that pool's name
};

enum class TopType { kLeaf, kMirror, kRaidz };

struct TopSpec {
  TopType type = TopType::kLeaf;
  int nparity = 0;         // raidz only: 1..3
  std::string word;        // as typed ("mirror", "raidz", "raidz2"); "" for a leaf
  std::vector<LeafSpec> leaves;  // one for kLeaf
};

struct VdevSpec {
  std::vector<TopSpec> tops;
};

// Parses zpool create's vdev words: "mirror", "raidz", "raidz1".."raidz3" open a group
// that runs to the next group word; any other word is a leaf path (alone, a top-level
// vdev). Counts are checked here with zpool's messages ("invalid vdev specification:
// mirror requires at least 2 devices"). Sizes are left 0 for the caller to fill.
Result<VdevSpec> parse_vdev_words(std::span<const std::string> words);

// zpool's checks before it asks the kernel to create the pool, in its order:
//   1. devices in use by another pool (an active pool's even with -f),
//   2. without -f, replication levels (mismatched groups, files mixed with disks,
//      children of different sizes),
//   3. the kernel's: a device under 64 MiB; a device named twice.
// The error message is zpool's stderr text, lines joined with '\n', no final newline.
Status check_vdev_spec(std::string_view pool, const VdevSpec& spec, bool force);

struct LeafPlan {
  std::string type;  // "file" or "disk"
  std::string path;
  uint64_t id = 0;    // index among its parent's children (0 for a top-level leaf)
  uint64_t guid = 0;
  uint64_t psize = 0;  // device size rounded down to 256 KiB
  uint64_t asize = 0;  // psize minus the label areas
  bool is_disk = false;
  bool whole_disk = false;
};

struct TopPlan {
  std::string type;  // "file", "disk", "mirror", "raidz"
  uint64_t id = 0;
  uint64_t guid = 0;  // for a top-level leaf, the leaf's own guid
  uint64_t nparity = 0;
  uint64_t ashift = 9;
  uint64_t asize = 0;
  uint64_t metaslab_shift = 0;
  uint64_t metaslab_count = 0;
  std::vector<LeafPlan> leaves;  // a top-level leaf appears here as its only entry
  bool is_leaf() const { return type == "file" || type == "disk"; }
};

struct VdevPlan {
  uint64_t pool_guid = 0;
  std::vector<TopPlan> tops;
  uint64_t guid_sum() const;  // uberblock ub_guid_sum: root (pool) + tops + leaves
};

// Random nonzero 64-bit guids; tests pass a deterministic one.
using GuidSource = std::function<uint64_t()>;
GuidSource random_guid_source();

// Sizes and guids for a spec that check_vdev_spec accepted. `ashift` is the requested
// minimum (9 or 12); devices here all report 512-byte sectors.
Result<VdevPlan> plan_vdevs(const VdevSpec& spec, uint64_t ashift, const GuidSource& guids);

// The fields that change between config writes.
struct ConfigContext {
  std::string pool_name;
  uint64_t version = 28;
  uint64_t state = 0;  // 0 active, 1 exported, 2 destroyed
  uint64_t txg = kCreateTxg;
  uint64_t hostid = 0;  // left out when 0
  std::string hostname;
  uint64_t create_txg = kCreateTxg;
  // MOS object number of each top-level vdev's metaslab array (index = top id); a
  // missing or 0 entry leaves metaslab_array out (the array is made at the first sync).
  std::vector<uint64_t> metaslab_arrays;
};

// The vdev_tree nvlist of one top-level vdev (with its children).
NvList top_vdev_nvlist(const TopPlan& top, const ConfigContext& ctx);
// The whole pool config: what the MOS "config" object and zpool.cache hold.
NvList pool_config_nvlist(const VdevPlan& plan, const ConfigContext& ctx);
// The config written into the labels of leaf `leaf` of top-level vdev `top`.
Result<NvList> leaf_label_nvlist(const VdevPlan& plan, size_t top, size_t leaf,
                                 const ConfigContext& ctx);

// Helpers exposed for tests and for the pool code.
uint64_t leaf_psize(uint64_t device_size);        // rounded down to 256 KiB
uint64_t leaf_asize(uint64_t device_size);        // 0 when too small for labels
// (metaslab_shift: legacy_metaslab_shift() in metaslab.h, the same rule the allocator uses)

// Fills `leaf.size`, `is_disk` and the in-use fields from the device at `leaf.path`, as
// zpool looks before creating: the size (a file's length, a block device's capacity) and
// the pool named by the first valid label. `imported(pool_guid)` tells whether this
// process has that pool imported. Errors are zpool's ("cannot open 'x': ...").
Status probe_leaf(LeafSpec& leaf, const std::function<bool(uint64_t)>& imported);

// What a label's config says about its device, as zpool's in-use check sees it:
// nullopt when the device is free (no pool, or a destroyed one). `imported` tells
// whether a pool of that guid is imported here right now.
std::optional<DeviceUse> device_use_from_label(const NvList& label, bool imported);

}  // namespace fzfs
