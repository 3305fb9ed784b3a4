// RAID-Z parity generation and reconstruction on 8 data columns of 128 KiB, through
// RaidzCodec and, for comparison, through ISA-L's ec_encode_data called directly with
// the same coefficient rows (the cost of our wrapper is the difference).
#include <benchmark/benchmark.h>
#include <isa-l/erasure_code.h>

#include <memory>
#include <vector>

#include "engine/io/memory_device.h"
#include "engine/vdev/raidz_codec.h"
#include "engine/vdev/raidz_map.h"
#include "engine/vdev/vdev.h"

namespace fzfs {
namespace {

constexpr int kData = 8;
constexpr size_t kColumn = 128 << 10;

struct Columns {
  std::vector<std::vector<uint8_t>> data, parity;
  std::vector<const uint8_t*> dptr;
  std::vector<uint8_t*> dmut, pptr;
  explicit Columns(int nparity) : data(kData, std::vector<uint8_t>(kColumn)),
                                  parity(nparity, std::vector<uint8_t>(kColumn)) {
    uint32_t x = 12345;
    for (auto& col : data)
      for (auto& b : col) b = static_cast<uint8_t>(x = x * 1103515245 + 12345);
    for (auto& c : data) dptr.push_back(c.data()), dmut.push_back(c.data());
    for (auto& c : parity) pptr.push_back(c.data());
  }
};

void BM_RaidzGenerate(benchmark::State& state) {
  const int np = static_cast<int>(state.range(0));
  Columns cols(np);
  RaidzCodec codec(kData, np);
  for (auto _ : state) {
    codec.generate(kColumn, cols.dptr, cols.pptr);
    benchmark::DoNotOptimize(cols.parity[0].data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * kData * kColumn);
}
BENCHMARK(BM_RaidzGenerate)->Arg(1)->Arg(2)->Arg(3);

// The same rows built here by hand (1; 2^(k-1)..1; 4^(k-1)..1), straight into ISA-L.
void BM_IsalEncodeData(benchmark::State& state) {
  const int np = static_cast<int>(state.range(0));
  Columns cols(np);
  const uint8_t gen[3] = {1, 2, 4};
  std::vector<uint8_t> rows(size_t(np) * kData), tables(size_t(32) * np * kData);
  for (int p = 0; p < np; p++) {
    uint8_t c = 1;
    for (int i = kData - 1; i >= 0; i--, c = gf_mul(c, gen[p])) rows[p * kData + i] = c;
  }
  ec_init_tables(kData, np, rows.data(), tables.data());
  for (auto _ : state) {
    ec_encode_data(int(kColumn), kData, np, tables.data(), cols.dmut.data(), cols.pptr.data());
    benchmark::DoNotOptimize(cols.parity[0].data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * kData * kColumn);
}
BENCHMARK(BM_IsalEncodeData)->Arg(1)->Arg(2)->Arg(3);

// Two data columns lost (columns 2 and 5), rebuilt from the last two parity rows.
void BM_RaidzReconstructTwo(benchmark::State& state) {
  const int np = static_cast<int>(state.range(0));
  Columns cols(np);
  RaidzCodec codec(kData, np);
  codec.generate(kColumn, cols.dptr, cols.pptr);
  const int lost[2] = {2, 5};
  const int use[2] = {np - 2, np - 1};
  std::vector<const uint8_t*> par(cols.pptr.begin(), cols.pptr.end());
  for (auto _ : state) {
    bool ok = codec.reconstruct(kColumn, cols.dmut, par, lost, use);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * kData * kColumn);
}
BENCHMARK(BM_RaidzReconstructTwo)->Arg(2)->Arg(3);

// A whole 1 MiB block read through a RAID-Z vdev of in-memory devices with two children
// missing: column reads, reconstruction of the missing data columns, verification.
void BM_RaidzVdevReadTwoMissing(benchmark::State& state) {
  const int np = static_cast<int>(state.range(0));
  const int n = kData + np;
  NvList top;
  top.add_string("type", "raidz").add_u64("nparity", np).add_u64("ashift", 9).add_u64("guid", 1);
  std::vector<NvList> kids;
  std::vector<LeafDevice> devs;
  for (int i = 0; i < n; i++) {
    NvList k;
    k.add_string("type", "file").add_u64("guid", 100 + i).add_u64("id", i);
    kids.push_back(k);
    // Zero-filled devices hold a valid (all-zero) stripe; children 3 and 6 are missing.
    if (i != 3 && i != 6)
      devs.push_back({uint64_t(100 + i), "m", std::make_shared<MemoryDevice>("m", 8 << 20)});
  }
  top.add_nvlist_array("children", kids);
  auto vdev = build_vdev_tree(top, devs);
  if (!vdev.ok()) {
    state.SkipWithError(vdev.error().message().c_str());
    return;
  }
  std::vector<uint8_t> out(kData * kColumn);
  auto all_zero = [](std::span<const uint8_t> d) { return d.empty() || (d[0] == 0 && d.back() == 0); };
  for (auto _ : state) {
    Status s = (*vdev)->read(0, out, all_zero);
    if (!s.ok()) state.SkipWithError(s.error().message().c_str());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * out.size());
}
BENCHMARK(BM_RaidzVdevReadTwoMissing)->Arg(2)->Arg(3);

}  // namespace
}  // namespace fzfs
