// Human-readable numbers the way zfs(8) and zpool(8) print them: at most five
// characters, powers of 1024, as few decimals as fit ("512", "29K", "4.56M", "45.7M").
#pragma once

#include <cstdint>
#include <string>

namespace fzfs {

std::string nicenum(uint64_t n);
// A ratio given in hundredths (197 -> "1.97x").
std::string nice_ratio(uint64_t hundredths);

}  // namespace fzfs
