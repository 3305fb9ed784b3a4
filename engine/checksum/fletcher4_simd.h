// Internal to the checksum layer: the vectorised fletcher4 kernels and the arithmetic
// that folds their per-lane sums back into the scalar result.
//
// A kernel with N lanes gives lane j the words j, j+N, j+2N, ... and runs the ordinary
// four running sums (a, b, c, d) over that subsequence. Because every fletcher4 sum is
// a fixed integer-weighted sum of the input words, the scalar (A, B, C, D) is an
// integer combination of the 4*N lane sums; fletcher4_combine() applies it. All
// arithmetic is modulo 2^64, like the scalar loop, so the results agree bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "engine/checksum/checksum.h"

namespace fzfs::fletcher_internal {

// Running state of the scalar sums; lets a SIMD prefix be continued by a scalar tail.
struct Fletcher4State {
  uint64_t a = 0, b = 0, c = 0, d = 0;
};
void fletcher4_scalar_update(Fletcher4State* s, const uint8_t* p, size_t words, bool byteswap);

// Per-lane sums of an N-lane kernel: sum[k][j] is sum k (0=a .. 3=d) of lane j.
template <int N>
struct LaneSums {
  uint64_t sum[4][N] = {};
};

// A vector kernel: consumes `bytes` (a multiple of 64) and returns the scalar state.
using Fletcher4Kernel = Fletcher4State (*)(const uint8_t* p, size_t bytes, bool byteswap);

struct Fletcher4Impl {
  std::string_view name;
  Fletcher4Kernel kernel;  // nullptr for "scalar"
};

// Every kernel this CPU can run, fastest last; the scalar entry is always first.
std::span<const Fletcher4Impl> fletcher4_impls();
// The implementation fletcher4() uses (chosen once, at first use).
const Fletcher4Impl& fletcher4_best_impl();
// fletcher4 through a given implementation (tests and benchmarks compare them).
Cksum fletcher4_with(const Fletcher4Impl& impl, std::span<const uint8_t> data, bool byteswap);

// Vector kernels consume whole blocks of this many bytes; the tail goes to scalar code.
inline constexpr size_t kSimdBlock = 64;

}  // namespace fzfs::fletcher_internal
