#include "engine/util/nicenum.h"

#include <fmt/format.h>

namespace fzfs {

std::string nicenum(uint64_t n) {
  static constexpr char kUnits[] = "BKMGTPE";
  int u = 0;
  uint64_t div = 1;
  while (u < 6 && n >= div * 1024) {
    div *= 1024;
    u++;
  }
  if (u == 0) return fmt::format("{}", n);
  if (n % div == 0) return fmt::format("{}{}", n / div, kUnits[u]);
  double v = static_cast<double>(n) / static_cast<double>(div);
  // Prefer the most precision that still fits in five characters.
  for (int prec = 2; prec >= 0; prec--) {
    std::string s = fmt::format("{:.{}f}{}", v, prec, kUnits[u]);
    if (s.size() <= 5) return s;
  }
  return fmt::format("{:.0f}{}", v, kUnits[u]);
}

std::string nice_ratio(uint64_t hundredths) {
  return fmt::format("{}.{:02}x", hundredths / 100, hundredths % 100);
}

}  // namespace fzfs
