// Test helpers: vdev trees over in-memory devices with fault injection, and an
// independent RAIDZ writer (parity by Horner's rule, byte by byte, as OpenZFS's scalar
// code does) so reads are checked against data laid out without our codec.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/io/fault_device.h"
#include "engine/io/memory_device.h"
#include "engine/vdev/raidz_map.h"
#include "engine/vdev/vdev.h"

namespace fzfs::testing {

inline uint8_t gf_mul2(uint8_t x) { return static_cast<uint8_t>((x << 1) ^ ((x & 0x80) ? 0x1d : 0)); }

// Parity columns of `data` columns (each padded with zeros to `len`).
inline std::vector<std::vector<uint8_t>> horner_parity(const std::vector<std::vector<uint8_t>>& data,
                                                       size_t len, int nparity) {
  std::vector<std::vector<uint8_t>> par(nparity, std::vector<uint8_t>(len, 0));
  for (const auto& d : data) {
    for (size_t i = 0; i < len; i++) {
      uint8_t v = i < d.size() ? d[i] : 0;
      par[0][i] ^= v;
      if (nparity > 1) par[1][i] = gf_mul2(par[1][i]) ^ v;
      if (nparity > 2) par[2][i] = gf_mul2(gf_mul2(par[2][i])) ^ v;
    }
  }
  return par;
}

inline std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : v) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    b = static_cast<uint8_t>(x);
  }
  return v;
}

inline BlockVerifier equals(const std::vector<uint8_t>& want) {
  return [want](std::span<const uint8_t> got) {
    return got.size() == want.size() && std::equal(got.begin(), got.end(), want.begin());
  };
}

// A top-level vdev ("mirror" or "raidz") over in-memory leaves, each behind a
// FaultDevice. Leaves listed in `missing` are left out of the device list.
struct Rig {
  std::vector<std::shared_ptr<MemoryDevice>> mem;
  std::vector<std::shared_ptr<FaultDevice>> fault;
  std::unique_ptr<Vdev> vdev;
  int nparity = 0;
  uint64_t ashift = 9;

  Rig(const std::string& type, int nchildren, int nparity_, std::set<int> missing = {},
      uint64_t dev_size = 16 << 20, uint64_t ashift_ = 9)
      : nparity(nparity_), ashift(ashift_) {
    NvList top;
    top.add_string("type", type).add_u64("id", 0).add_u64("guid", 1000).add_u64("ashift", ashift);
    if (type == "raidz") top.add_u64("nparity", nparity);
    std::vector<NvList> kids;
    std::vector<LeafDevice> devs;
    for (int i = 0; i < nchildren; i++) {
      std::string path = "/mem/d" + std::to_string(i);
      NvList k;
      k.add_string("type", "file").add_u64("id", i).add_u64("guid", 2000 + i).add_string("path", path);
      kids.push_back(k);
      mem.push_back(std::make_shared<MemoryDevice>(path, dev_size));
      fault.push_back(std::make_shared<FaultDevice>(mem.back()));
      if (!missing.count(i)) devs.push_back(LeafDevice{uint64_t(2000 + i), path, fault.back()});
    }
    top.add_nvlist_array("children", kids);
    auto v = build_vdev_tree(top, devs);
    if (v.ok()) vdev = std::move(*v);
  }

  Vdev& child(int i) { return *vdev->children[i]; }

  // Lays out a block as RAIDZ stores it, parity by the independent encoder.
  void write_raidz(uint64_t offset, const std::vector<uint8_t>& block) {
    const uint64_t unit = uint64_t{1} << ashift;
    const uint64_t size = (block.size() + unit - 1) / unit * unit;
    RaidzMap map = raidz_map(offset, size, ashift, mem.size(), nparity);
    std::vector<std::vector<uint8_t>> data;
    size_t pos = 0;
    for (size_t c = nparity; c < map.cols.size(); c++) {
      std::vector<uint8_t> col(map.cols[c].size, 0);
      for (size_t i = 0; i < col.size() && pos + i < block.size(); i++) col[i] = block[pos + i];
      pos += col.size();
      data.push_back(std::move(col));
    }
    auto par = horner_parity(data, map.parity_size(), nparity);
    for (size_t c = 0; c < map.cols.size(); c++) {
      const auto& bytes = c < size_t(nparity) ? par[c] : data[c - nparity];
      auto& dev = mem[map.cols[c].child]->bytes();
      std::copy(bytes.begin(), bytes.begin() + map.cols[c].size,
                dev.begin() + kVdevLabelStartSize + map.cols[c].offset);
    }
  }

  void write_mirror(uint64_t offset, const std::vector<uint8_t>& block) {
    for (auto& m : mem)
      std::copy(block.begin(), block.end(), m->bytes().begin() + kVdevLabelStartSize + offset);
  }
};

inline const std::filesystem::path kCorpus = "/work/shared/conformance/zfs-fuse";

// Unpacks a corpus device (zstd keeps it sparse) into /tmp once; "" if the corpus is absent.
inline std::string unpack_corpus_device(const std::string& pool, const std::string& dev) {
  const auto src = kCorpus / pool / (dev + ".zst");
  if (!std::filesystem::exists(src)) return "";
  const auto dir = std::filesystem::path("/tmp/fzfs-corpus") / pool;
  std::filesystem::create_directories(dir);
  const auto out = dir / dev;
  if (!std::filesystem::exists(out)) {
    const std::string tmp = out.string() + ".part" + std::to_string(getpid());
    const std::string cmd = "zstd -q -f -d " + src.string() + " -o " + tmp;
    if (std::system(cmd.c_str()) != 0) return "";
    std::filesystem::rename(tmp, out);
  }
  return out.string();
}

}  // namespace fzfs::testing
