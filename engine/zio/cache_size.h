// How much memory a pool's block cache (our ARC) may hold. OpenZFS sizes its ARC from
// the machine's memory and lets zfs_arc_max override it; so do we, per pool.
#pragma once

#include <cstddef>

namespace fzfs {

// FZFS_ARC_MAX (bytes) when set to a number, else an eighth of the memory this process
// may use (physical memory, or the cgroup's memory.max when lower), between 64 MiB and
// 4 GiB.
size_t default_block_cache_bytes();

}  // namespace fzfs
