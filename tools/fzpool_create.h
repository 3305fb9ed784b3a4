// `fzpool create`: checks the arguments as zpool create does, has the engine write the
// new pool (Pool::create, which leaves it exported), then imports it read-write through
// a pool daemon and mounts its root file system, as zpool create leaves a pool.
#pragma once

#include <string>
#include <vector>

#include "tools/fzpool_main.h"

namespace fzfs {

struct CreateArgs {
  bool force = false;                    // -f
  bool dry_run = false;                  // -n
  std::vector<std::string> pool_props;   // -o PROP=VAL
  std::vector<std::string> fs_props;     // -O PROP=VAL
  std::string mountpoint;                // -m
  std::string altroot;                   // -R
  std::vector<std::string> operands;     // POOL VDEV...
};

int cmd_create(const CreateArgs& args, const PoolBackend& backend);

}  // namespace fzfs
