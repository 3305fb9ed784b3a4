// Text of `zpool status` and `zpool import` (listing), as zpool prints them.
#pragma once

#include <string>

#include "engine/pool/pool.h"

namespace fzfs {

// One pool's `zpool status` block (without the blank line between pools).
std::string format_status(const std::string& pool, const std::string& state,
                          const VdevStatusNode& config, const HealthReport& health = {});

// One candidate's `zpool import` block.
std::string format_import_candidate(const ImportCandidate& c);

}  // namespace fzfs
