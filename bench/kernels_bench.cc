// Throughput of the per-block kernels on the read path: checksums and decompression
// of one 128 KiB record (ZFS's default recordsize). Bytes/s counts logical bytes.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/checksum/checksum.h"
#include "engine/checksum/fletcher4_simd.h"
#include "engine/compress/compress.h"

namespace fzfs {
namespace {

constexpr size_t kBlock = 128 * 1024;

// Text over a 2000-word random vocabulary with occasional zero runs: lz4 gets roughly
// 2:1 on it, like ordinary files, rather than the extreme ratios of repeated phrases.
const std::vector<uint8_t>& compressible_block() {
  static const std::vector<uint8_t> block = [] {
    std::mt19937 rng(42);
    std::vector<std::string> words(2000);
    for (auto& w : words) {
      w.resize(2 + rng() % 9);
      for (auto& ch : w) ch = static_cast<char>('a' + rng() % 26);
      w += (rng() % 12 == 0) ? '\n' : ' ';
    }
    std::vector<uint8_t> v;
    while (v.size() < kBlock) {
      if (rng() % 200 == 0) {
        v.insert(v.end(), 64 + rng() % 512, 0);
      } else {
        const std::string& w = words[rng() % words.size()];
        v.insert(v.end(), w.begin(), w.end());
      }
    }
    v.resize(kBlock);
    return v;
  }();
  return block;
}

const std::vector<uint8_t>& random_block() {
  static const std::vector<uint8_t> block = [] {
    std::mt19937_64 rng(7);
    std::vector<uint8_t> v(kBlock);
    for (size_t i = 0; i < kBlock; i += 8) {
      uint64_t r = rng();
      std::memcpy(&v[i], &r, 8);
    }
    return v;
  }();
  return block;
}

void finish(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kBlock));
}

// ---- checksums -----------------------------------------------------------------------

void BM_Fletcher4(benchmark::State& state, std::string_view impl_name, bool byteswap) {
  const fletcher_internal::Fletcher4Impl* impl = nullptr;
  for (const auto& i : fletcher_internal::fletcher4_impls())
    if (i.name == impl_name) impl = &i;
  if (impl == nullptr) {
    state.SkipWithError("not supported on this CPU");
    return;
  }
  const auto& data = random_block();
  for (auto _ : state) benchmark::DoNotOptimize(fletcher_internal::fletcher4_with(*impl, data, byteswap));
  finish(state);
}
BENCHMARK_CAPTURE(BM_Fletcher4, scalar, "scalar", false);
BENCHMARK_CAPTURE(BM_Fletcher4, sse2, "sse2", false);
BENCHMARK_CAPTURE(BM_Fletcher4, avx2, "avx2", false);
BENCHMARK_CAPTURE(BM_Fletcher4, avx512f, "avx512f", false);
BENCHMARK_CAPTURE(BM_Fletcher4, scalar_byteswap, "scalar", true);
BENCHMARK_CAPTURE(BM_Fletcher4, avx2_byteswap, "avx2", true);

void BM_Fletcher4Chosen(benchmark::State& state) {
  const auto& data = random_block();
  for (auto _ : state) benchmark::DoNotOptimize(fletcher4(data, false));
  state.SetLabel(std::string(fletcher4_impl_name()));
  finish(state);
}
BENCHMARK(BM_Fletcher4Chosen);

void BM_Fletcher2(benchmark::State& state) {
  const auto& data = random_block();
  for (auto _ : state) benchmark::DoNotOptimize(fletcher2(data, false));
  finish(state);
}
BENCHMARK(BM_Fletcher2);

void BM_Sha256(benchmark::State& state) {
  const auto& data = random_block();
  for (auto _ : state) benchmark::DoNotOptimize(sha256(data));
  finish(state);
}
BENCHMARK(BM_Sha256);

// ---- decompression -------------------------------------------------------------------

void BM_Decompress(benchmark::State& state, Compress c, int level) {
  const auto& data = compressible_block();
  const std::vector<uint8_t> packed = compress(c, data, kBlock, level);
  if (packed.empty()) {
    state.SkipWithError("block did not compress");
    return;
  }
  std::vector<uint8_t> out(kBlock);
  for (auto _ : state) {
    Status st = decompress(c, packed, out);
    if (!st.ok()) {
      state.SkipWithError(st.error().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["ratio"] = static_cast<double>(kBlock) / static_cast<double>(packed.size());
  finish(state);
}
BENCHMARK_CAPTURE(BM_Decompress, lz4, Compress::kLz4, 0);
BENCHMARK_CAPTURE(BM_Decompress, zstd3, Compress::kZstd, 3);
BENCHMARK_CAPTURE(BM_Decompress, gzip6, Compress::kGzip6, 0);
BENCHMARK_CAPTURE(BM_Decompress, lzjb, Compress::kLzjb, 0);
BENCHMARK_CAPTURE(BM_Decompress, zle, Compress::kZle, 0);

}  // namespace
}  // namespace fzfs
