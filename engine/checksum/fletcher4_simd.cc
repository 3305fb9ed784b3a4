// Vectorised fletcher4. Each kernel keeps N independent lanes of the four sums in
// vector registers (SSE2: 2 lanes, AVX2: 4, AVX-512: 8), then folds them into the
// scalar result with integer weights derived below. The kernels are compiled with
// per-function target attributes so the library still runs on any x86-64 CPU; the
// best one the CPU supports is picked once, at run time.
#include <array>
#include <vector>

#include "engine/checksum/fletcher4_simd.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define FZFS_FLETCHER_X86 1
#endif

namespace fzfs::fletcher_internal {
namespace {

// Generalised binomial coefficient C(p, r) for any integer p (exact: a product of r
// consecutive integers is divisible by r!).
constexpr int64_t binom(int64_t p, int r) {
  int64_t num = 1, den = 1;
  for (int i = 0; i < r; i++) {
    num *= p - i;
    den *= i + 1;
  }
  return num / den;
}

// In the scalar loop over L words, word i contributes to sum r (0=a .. 3=d) with weight
// C(L - i + r - 1, r). In an N-lane kernel, the word at lane j with m lane-steps left
// (counting itself) has L - i = N*m - j, so its weight is a polynomial f(m) of degree r.
// Lane sum k weights the same word by g_k(m) = C(m + k - 1, k), and these g_k form a
// basis in which f(m) = sum_k (backward difference^k of f at 0) * g_k(m). Those
// differences are the integer weights that turn lane sums into the scalar sums.
constexpr int64_t fold_weight(int lanes, int r, int j, int k) {
  int64_t total = 0;
  for (int t = 0; t <= k; t++) {
    int64_t f = binom(int64_t{lanes} * -t - j + r - 1, r);
    total += ((t & 1) ? -1 : 1) * binom(k, t) * f;
  }
  return total;
}

// weights<N>[r][k][j]: how much lane j's sum k adds to scalar sum r.
template <int N>
constexpr auto kFoldWeights = [] {
  std::array<std::array<std::array<int64_t, N>, 4>, 4> w{};
  for (int r = 0; r < 4; r++)
    for (int k = 0; k < 4; k++)
      for (int j = 0; j < N; j++) w[r][k][j] = fold_weight(N, r, j, k);
  return w;
}();

// Wrapping (mod 2^64) arithmetic, as in the scalar loop; negative weights wrap too.
template <int N>
Fletcher4State fold(const LaneSums<N>& l) {
  uint64_t out[4] = {0, 0, 0, 0};
  for (int r = 0; r < 4; r++)
    for (int k = 0; k <= r; k++)
      for (int j = 0; j < N; j++)
        out[r] += static_cast<uint64_t>(kFoldWeights<N>[r][k][j]) * l.sum[k][j];
  return {out[0], out[1], out[2], out[3]};
}

// Spot checks of the weights against the well-known 4-lane fold.
static_assert(fold_weight(4, 1, 3, 0) == -3 && fold_weight(4, 1, 0, 1) == 4);
static_assert(fold_weight(4, 2, 3, 0) == 3 && fold_weight(4, 2, 3, 1) == -18);
static_assert(fold_weight(4, 3, 3, 1) == 34 && fold_weight(4, 3, 2, 2) == -80);
static_assert(fold_weight(4, 3, 0, 3) == 64);

#if FZFS_FLETCHER_X86

// --- SSE2 (baseline x86-64): 2 lanes of 64-bit sums per register.

inline __m128i bswap32_sse2(__m128i x) {
  __m128i halves = _mm_or_si128(_mm_slli_epi32(x, 16), _mm_srli_epi32(x, 16));
  return _mm_or_si128(_mm_slli_epi16(halves, 8), _mm_srli_epi16(halves, 8));
}

template <bool kSwap>
Fletcher4State sse2_kernel(const uint8_t* p, size_t bytes) {
  const __m128i zero = _mm_setzero_si128();
  __m128i a = zero, b = zero, c = zero, d = zero;
  for (size_t i = 0; i < bytes; i += 16) {
    __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    if (kSwap) w = bswap32_sse2(w);
    // Words 0,1 then words 2,3: lane j keeps seeing every second word.
    for (__m128i x : {_mm_unpacklo_epi32(w, zero), _mm_unpackhi_epi32(w, zero)}) {
      a = _mm_add_epi64(a, x);
      b = _mm_add_epi64(b, a);
      c = _mm_add_epi64(c, b);
      d = _mm_add_epi64(d, c);
    }
  }
  LaneSums<2> l;
  __m128i* out[4] = {&a, &b, &c, &d};
  for (int k = 0; k < 4; k++) _mm_storeu_si128(reinterpret_cast<__m128i*>(l.sum[k]), *out[k]);
  return fold(l);
}

Fletcher4State sse2(const uint8_t* p, size_t bytes, bool byteswap) {
  return byteswap ? sse2_kernel<true>(p, bytes) : sse2_kernel<false>(p, bytes);
}

// --- AVX2: 4 lanes; each 16-byte load is widened to four 64-bit lanes.

template <bool kSwap>
__attribute__((target("avx2"))) Fletcher4State avx2_kernel(const uint8_t* p, size_t bytes) {
  const __m128i swap = _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  for (size_t i = 0; i < bytes; i += 16) {
    __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    if (kSwap) w = _mm_shuffle_epi8(w, swap);
    __m256i x = _mm256_cvtepu32_epi64(w);
    a = _mm256_add_epi64(a, x);
    b = _mm256_add_epi64(b, a);
    c = _mm256_add_epi64(c, b);
    d = _mm256_add_epi64(d, c);
  }
  LaneSums<4> l;
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(l.sum[0]), a);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(l.sum[1]), b);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(l.sum[2]), c);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(l.sum[3]), d);
  return fold(l);
}

Fletcher4State avx2(const uint8_t* p, size_t bytes, bool byteswap) {
  return byteswap ? avx2_kernel<true>(p, bytes) : avx2_kernel<false>(p, bytes);
}

// --- AVX-512F: 8 lanes; each 32-byte load is widened to eight 64-bit lanes.

template <bool kSwap>
__attribute__((target("avx512f,avx2"))) Fletcher4State avx512_kernel(const uint8_t* p,
                                                                        size_t bytes) {
  const __m256i swap = _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
                                        3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
  __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
  for (size_t i = 0; i < bytes; i += 32) {
    __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    if (kSwap) w = _mm256_shuffle_epi8(w, swap);
    // The maskz form avoids GCC 12 warning about the intrinsic's own undefined operand.
    __m512i x = _mm512_maskz_cvtepu32_epi64(0xff, w);
    a = _mm512_add_epi64(a, x);
    b = _mm512_add_epi64(b, a);
    c = _mm512_add_epi64(c, b);
    d = _mm512_add_epi64(d, c);
  }
  LaneSums<8> l;
  _mm512_storeu_si512(l.sum[0], a);
  _mm512_storeu_si512(l.sum[1], b);
  _mm512_storeu_si512(l.sum[2], c);
  _mm512_storeu_si512(l.sum[3], d);
  return fold(l);
}

Fletcher4State avx512(const uint8_t* p, size_t bytes, bool byteswap) {
  return byteswap ? avx512_kernel<true>(p, bytes) : avx512_kernel<false>(p, bytes);
}

#endif  // FZFS_FLETCHER_X86

std::vector<Fletcher4Impl> detect() {
  std::vector<Fletcher4Impl> impls{{"scalar", nullptr}};
#if FZFS_FLETCHER_X86
  __builtin_cpu_init();
  impls.push_back({"sse2", &sse2});
  if (__builtin_cpu_supports("avx2")) impls.push_back({"avx2", &avx2});
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2"))
    impls.push_back({"avx512f", &avx512});
#endif
  return impls;
}

}  // namespace

std::span<const Fletcher4Impl> fletcher4_impls() {
  static const std::vector<Fletcher4Impl> impls = detect();
  return impls;
}

const Fletcher4Impl& fletcher4_best_impl() {
  static const Fletcher4Impl& best = fletcher4_impls().back();
  return best;
}

}  // namespace fzfs::fletcher_internal
