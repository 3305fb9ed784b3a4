// Committing a txg to disk: the labels and uberblocks of every leaf, written in the
// order that keeps the pool openable if power fails between any two writes.
//
//   1. flush every leaf          the txg's blocks are durable before anything points at them
//   2. labels 0 and 2, flush     (only when the config changed) new configs in the even labels;
//                                a config newer than every uberblock is ignored by importers,
//                                so a crash here leaves the odd labels and old uberblock in charge
//   3. uberblock into slot txg % slots of labels 0..3 of every leaf, flush
//                                the commit point: once one copy is on disk the txg is the pool
//   4. labels 1 and 3, flush     the odd labels catch up; the even ones already match
//
// Leaves whose device is missing are skipped, as ZFS skips unwritable vdevs. A failed
// write to one leaf is tolerated when redundancy covers it: step 2 and 4 fail only when
// some top-level vdev got no copy of its config at all, step 3 only when no uberblock
// copy was written anywhere, step 1 when a top-level vdev could not make its blocks
// durable. Tolerated failures are counted on the leaf (write_errors) and listed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/spa/uberblock.h"
#include "engine/util/nvlist.h"
#include "engine/util/status.h"
#include "engine/vdev/vdev.h"

namespace fzfs {

// The label nvlist to store on the leaf with this guid (its own guid, top_guid,
// vdev_tree and the txg being committed are the caller's business).
using LabelConfigFn = std::function<Result<NvList>(uint64_t leaf_guid)>;

struct LabelSyncReport {
  // One line per tolerated failure: "device PATH: label L ...: why".
  std::vector<std::string> failures;
  uint64_t uberblocks_written = 0;  // slots written (4 per healthy leaf)
  uint64_t labels_written = 0;      // vdev_phys regions written
};

// Commits `ub` (its txg picks the ring slot) to every present leaf under `root`, the
// pool's root vdev; each leaf's slot size follows its top-level vdev's ashift. With
// `configs` set, the labels are rewritten too (steps 2 and 4); without, only the
// uberblocks are (a txg that changed no config).
Result<LabelSyncReport> sync_labels(Vdev& root, const Uberblock& ub,
                                    const LabelConfigFn& configs = nullptr);

}  // namespace fzfs
