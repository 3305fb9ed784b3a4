// When a read or a directory listing records a new access time, following the ZFS
// properties `atime` and `relatime` (Linux semantics):
//
//   atime=off                 never (explicit utimensat still sets it)
//   atime=on, relatime=off    every access ("strictatime")
//   atime=on, relatime=on     only when the stored atime is not after the mtime or the
//                             ctime, or is at least 24 hours old (OpenZFS's default)
//
// The rule is pure: it looks at the stored times and the current time only, so that the
// read path can decide under a shared lock and take the write lock only when due.
#pragma once

#include <cstdint>

#include "engine/zpl/filesystem.h"

namespace fzfs {

enum class AtimeMode : uint8_t { kOff, kStrict, kRelative };

// The mode the two dataset properties select.
AtimeMode atime_mode(bool atime_on, bool relatime_on);

// How old a stored atime may get before relatime refreshes it anyway.
inline constexpr int64_t kRelatimeMaxAgeSec = 24 * 60 * 60;

// Whether an access at `now` should store a new atime.
bool atime_update_due(AtimeMode mode, const Timespec& atime, const Timespec& mtime, const Timespec& ctime,
                      const Timespec& now);

}  // namespace fzfs
