#include "engine/zpl/atime_policy.h"

namespace fzfs {
namespace {

bool not_after(const Timespec& a, const Timespec& b) {
  return a.sec < b.sec || (a.sec == b.sec && a.nsec <= b.nsec);
}

}  // namespace

AtimeMode atime_mode(bool atime_on, bool relatime_on) {
  if (!atime_on) return AtimeMode::kOff;
  return relatime_on ? AtimeMode::kRelative : AtimeMode::kStrict;
}

bool atime_update_due(AtimeMode mode, const Timespec& atime, const Timespec& mtime, const Timespec& ctime,
                      const Timespec& now) {
  switch (mode) {
    case AtimeMode::kOff: return false;
    case AtimeMode::kStrict: return true;
    case AtimeMode::kRelative: break;
  }
  // The file changed since it was last read: a reader of atime must see that read.
  if (not_after(atime, mtime) || not_after(atime, ctime)) return true;
  // Seconds only, as Linux does: a day-old atime is refreshed whatever its nanoseconds.
  return now.sec - atime.sec >= kRelatimeMaxAgeSec;
}

}  // namespace fzfs
