// make_seeds: cuts real on-disk structures out of imported pools into seed files for
// the libFuzzer targets, in the input format each target expects:
//
//   nvlist/      packed label config and MOS config nvlists, as written
//   label/       the first label of a device (256 KiB, trailing zeros trimmed)
//   blkptr/      raw dnodes (their block pointers first) and uberblock root bps
//   zap/         [block-size byte][object blocks]: micro and fat ZAP objects
//   sa/          bonus buffers: legacy znodes and SA headers
//   decompress/  [algorithm byte][lsize-1, 24-bit LE][compressed block as on disk]
//
// Usage: make_seeds OUT_DIR DEVICE_DIR POOL [DEVICE_DIR POOL ...]
// fuzz/make_seeds.sh unpacks corpus pools and runs it.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "engine/compress/compress.h"
#include "engine/dmu/objset.h"
#include "engine/pool/pool_impl.h"
#include "engine/util/byteorder.h"
#include "engine/vdev/vdev_leaf.h"
#include "engine/zap/zap.h"

namespace fzfs {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kLabelBytes = 256 * 1024;
constexpr uint64_t kMaxZapBytes = 128 * 1024;  // keeps the seed set small

class SeedWriter {
 public:
  explicit SeedWriter(std::string out) : out_(std::move(out)) {}

  void put(const std::string& target, const std::string& name, std::span<const uint8_t> bytes) {
    fs::create_directories(out_ + "/" + target);
    std::ofstream f(out_ + "/" + target + "/" + name, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    std::printf("%-11s %-40s %7zu bytes\n", target.c_str(), name.c_str(), bytes.size());
  }
  // At most `limit` seeds of one kind per pool.
  bool want(const std::string& kind, int limit) { return counts_[kind]++ < limit; }
  void next_pool() { counts_.clear(); }

 private:
  std::string out_;
  std::map<std::string, int> counts_;
};

std::vector<uint8_t> read_file_range(const std::string& path, uint64_t off, uint64_t len) {
  std::vector<uint8_t> buf(len);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : pread(fd, buf.data(), len, static_cast<off_t>(off));
  if (fd >= 0) close(fd);
  buf.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return buf;
}

std::vector<uint8_t> trim_zeros(std::vector<uint8_t> v) {
  while (!v.empty() && v.back() == 0) v.pop_back();
  return v;
}

// The fuzzer index of an algorithm (fuzz_decompress.cc's table), or -1.
int decompress_index(Compress c) {
  if (c == Compress::kLzjb) return 0;
  if (c >= Compress::kGzip1 && c <= Compress::kGzip9) return 1;
  if (c == Compress::kZle) return 2;
  if (c == Compress::kLz4) return 3;
  if (c == Compress::kZstd) return 4;
  return -1;
}

std::vector<uint8_t> decompress_seed(int algo, uint64_t lsize, std::span<const uint8_t> payload) {
  std::vector<uint8_t> s = {static_cast<uint8_t>(algo), static_cast<uint8_t>((lsize - 1) & 0xff),
                            static_cast<uint8_t>(((lsize - 1) >> 8) & 0xff),
                            static_cast<uint8_t>(((lsize - 1) >> 16) & 0xff)};
  s.insert(s.end(), payload.begin(), payload.end());
  return s;
}

// First byte of a fuzz_zap input: block size 512 << (b % 9), bit 7 = other byte order.
uint8_t zap_prefix(uint64_t block_size, bool foreign) {
  int shift = 0;
  while ((uint64_t{512} << shift) < block_size && shift < 8) shift++;
  for (int b = foreign ? 128 : 0; b < 256; b++)
    if (b % 9 == shift && ((b & 0x80) != 0) == foreign) return static_cast<uint8_t>(b);
  return 0;
}

class PoolSeeds {
 public:
  PoolSeeds(PoolImpl& pool, SeedWriter& out, std::string device)
      : pool_(pool), out_(out), device_(std::move(device)), tag_(pool.name()) {
    const Vdev* root = pool.spa().root();
    single_device_ = root->children.size() == 1 && root->children[0]->children.empty();
  }

  void run() {
    labels();
    mos_config();
    objset("mos", pool_.dsl().mos());
    auto nodes = pool_.dsl().walk();
    if (!nodes.ok()) return;
    for (const DslNode& n : *nodes) {
      if (n.snapshot || n.os_type != ObjsetType::kZfs) continue;
      auto os = Objset::open(pool_.spa().reader(), n.ds.bp);
      if (!os.ok()) continue;
      std::string name = n.name.substr(n.name.find('/') == std::string::npos ? n.name.size() : n.name.find('/') + 1);
      objset(name.empty() ? "root" : name, **os);
    }
  }

 private:
  void labels() {
    auto label = trim_zeros(read_file_range(device_, 0, kLabelBytes));
    out_.put("label", tag_ + "-label0", label);
    // The packed config, cut to its own length (the region is zero-padded).
    auto region = read_file_range(device_, 16 * 1024, 112 * 1024);
    if (auto nvl = NvList::decode(region); nvl.ok()) {
      size_t n = std::min(region.size(), nvl->encode_xdr().size());
      out_.put("nvlist", tag_ + "-label", std::span(region).first(n));
    }
    const Uberblock& ub = pool_.dsl().uberblock();
    uint8_t bp[kBlkptrSize];
    ub.rootbp.encode(bp);
    out_.put("blkptr", tag_ + "-rootbp", bp);
  }

  void mos_config() {
    auto od = pool_.dsl().object_directory();
    if (!od.ok()) return;
    for (const ZapEntry& e : *od) {
      if (e.name != "config" || e.ints.empty()) continue;
      auto dn = pool_.dsl().mos().dnode(e.ints[0]);
      if (!dn.ok() || dn->bonus.size() < 8) return;
      uint64_t size = load_order<uint64_t>(dn->bonus.data(), dn->little);
      if (size == 0 || size > (1 << 20)) return;
      std::vector<uint8_t> packed(size);
      if (pool_.dsl().mos().read(*dn, 0, packed).ok()) out_.put("nvlist", tag_ + "-mos-config", packed);
    }
  }

  void objset(const std::string& name, const Objset& os) {
    std::string prefix = tag_ + "-" + sanitize(name);
    uint64_t last = std::min<uint64_t>(os.max_object(), 96);
    for (uint64_t obj = 0; obj < last; obj++) {
      auto dn = obj == 0 ? Result<Dnode>(os.meta_dnode()) : os.dnode(obj);
      if (!dn.ok()) continue;
      std::string what = prefix + "-obj" + std::to_string(obj);
      raw_dnode(os, *dn, what);
      bonus(*dn, what);
      if (obj != 0) zap(os, *dn, what);
      compressed(os, *dn, what);
    }
  }

  void raw_dnode(const Objset& os, const Dnode& dn, const std::string& what) {
    // The meta-dnode lives in the objset_phys, not in a dnode block.
    if (dn.object == 0 || !out_.want("dnode-type" + std::to_string(dn.type), 1)) return;
    if (!out_.want("dnode" + std::to_string(reinterpret_cast<uintptr_t>(&os)), 4) || !out_.want("dnode", 12)) return;
    const Dnode& meta = os.meta_dnode();
    uint64_t per_block = meta.data_block_size() / kDnodeSize;
    auto blk = os.read_block(meta, dn.object / per_block);
    if (!blk.ok()) return;
    uint64_t off = (dn.object % per_block) * kDnodeSize;
    uint64_t len = dn.slot_count() * kDnodeSize;
    if (off + len > (*blk)->size()) return;
    out_.put("blkptr", what + "-dnode", std::span((*blk)->data() + off, len));
  }

  void bonus(const Dnode& dn, const std::string& what) {
    // Plain files (19) and directories (20) carry a znode or an SA header.
    if ((dn.type != 19 && dn.type != 20) || dn.bonus.empty()) return;
    if (!out_.want("bonus" + std::to_string(dn.type), 2)) return;
    out_.put("sa", what + "-bonus", dn.bonus);
  }

  void zap(const Objset& os, const Dnode& dn, const std::string& what) {
    uint64_t bytes = (dn.maxblkid + 1) * dn.data_block_size();
    if (dn.maxblkid > 64 || bytes > kMaxZapBytes) return;
    auto data = os.object_data(dn);
    auto reader = ZapReader::open(*data);
    if (!reader.ok()) return;
    bool fat = dn.maxblkid > 0;
    if (!out_.want(fat ? "fatzap" : "microzap", fat ? 3 : 3)) return;
    bool foreign = false;
    std::vector<uint8_t> seed = {0};
    for (uint64_t b = 0; b <= dn.maxblkid; b++) {
      auto blk = data->read_block(b, &foreign);
      if (!blk.ok()) return;
      seed.insert(seed.end(), blk->begin(), blk->end());
    }
    seed[0] = zap_prefix(dn.data_block_size(), foreign);
    out_.put("zap", what + (fat ? "-fatzap" : "-microzap"), seed);
  }

  // Level-0 blocks as stored: the physical bytes behind the first DVA.
  void compressed(const Objset& os, const Dnode& dn, const std::string& what) {
    if (!single_device_) return;
    for (uint64_t b = 0; b <= std::min<uint64_t>(dn.maxblkid, 3); b++) {
      auto bp = os.level0_bp(dn, b);
      if (!bp.ok() || bp->is_hole() || bp->embedded() || bp->dva[0].gang()) continue;
      int algo = decompress_index(bp->compress());
      if (algo < 0 || bp->lsize() > (1u << 20)) continue;
      if (!out_.want("compress" + std::to_string(algo), 2)) continue;
      auto raw = read_file_range(device_, 4 * 1024 * 1024 + bp->dva[0].offset(), bp->psize());
      if (raw.size() != bp->psize()) continue;
      std::string algo_name(compress_name(bp->compress()));
      out_.put("decompress", what + "-blk" + std::to_string(b) + "-" + algo_name,
               decompress_seed(algo, bp->lsize(), raw));
    }
  }

  static std::string sanitize(std::string s) {
    for (char& c : s)
      if (!isalnum(static_cast<unsigned char>(c)) && c != '-') c = '_';
    return s;
  }

  PoolImpl& pool_;
  SeedWriter& out_;
  std::string device_;
  std::string tag_;
  bool single_device_ = false;
};

// Algorithms no pool of the corpus uses (zle): made by our compressor from real bytes,
// so the decompressor still starts from a well-formed stream.
void synthesized(SeedWriter& out) {
  std::vector<uint8_t> src(4096, 0);
  const char* text = "fzfs seed: mostly zeros with some text, as zle likes it";
  std::memcpy(src.data() + 100, text, std::strlen(text));
  std::memcpy(src.data() + 3000, text, std::strlen(text));
  for (Compress c : {Compress::kZle, Compress::kLzjb, Compress::kGzip6, Compress::kLz4, Compress::kZstd}) {
    auto packed = compress(c, src, src.size());
    if (packed.empty()) continue;
    out.put("decompress", "synthetic-" + std::string(compress_name(c)),
            decompress_seed(decompress_index(c), src.size(), packed));
  }
}

}  // namespace
}  // namespace fzfs

int main(int argc, char** argv) {
  using namespace fzfs;
  if (argc < 4 || argc % 2 != 0) {
    std::fprintf(stderr, "usage: %s OUT_DIR DEVICE_DIR POOL [DEVICE_DIR POOL ...]\n", argv[0]);
    return 2;
  }
  SeedWriter out(argv[1]);
  int failures = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    ImportOptions opts;
    opts.search_dirs = {argv[i]};
    opts.pool = argv[i + 1];
    auto pool = PoolImpl::import(opts);
    if (!pool.ok()) {
      std::fprintf(stderr, "cannot import '%s': %s\n", argv[i + 1], pool.error().message().c_str());
      failures++;
      continue;
    }
    auto cands = Pool::discover({argv[i]});
    std::string device;
    if (cands.ok())
      for (const auto& c : *cands)
        if (c.name == argv[i + 1] && !c.device_paths.empty()) device = c.device_paths[0];
    out.next_pool();
    PoolSeeds(**pool, out, device).run();
  }
  synthesized(out);
  return failures == 0 ? 0 : 1;
}
