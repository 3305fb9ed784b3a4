// Reads real RAIDZ pools written by zfs-fuse through our labels, vdev tree and RAIDZ
// layout: every block of the MOS (found from the newest uberblock's root block pointer
// and followed through indirect blocks and dnodes) must read back with its checksum,
// healthy and with up to nparity devices missing or returning garbage.
#include <gtest/gtest.h>

#include <map>

#include "engine/checksum/checksum.h"
#include "engine/compress/compress.h"
#include "engine/io/fault_device.h"
#include "engine/util/byteorder.h"
#include "engine/vdev/label.h"
#include "engine/vdev/vdev_raidz.h"
#include "engine/vdev/vdev_test_util.h"
#include "engine/zio/blkptr.h"

namespace fzfs {
namespace {

constexpr uint64_t kUberblockMagic = 0x00bab10cULL;
constexpr size_t kUberblockSlot = 1024;  // ashift 9 pools: 1 KiB slots
constexpr size_t kRootbpOffset = 40;
constexpr uint8_t kDnodeType = 10;   // DMU_OT_DNODE
constexpr uint8_t kObjsetType = 11;  // DMU_OT_OBJSET: starts with the meta dnode
constexpr size_t kDnodeSize = 512;
constexpr size_t kDnodeBlkptrOffset = 64;

struct Pool {
  std::string name;
  std::vector<std::shared_ptr<FaultDevice>> devs;
  NvList config;  // label 0 of the first device
  std::vector<LeafDevice> leaves;
  Blkptr rootbp;
  uint64_t txg = 0;
};

// Opens every device of a corpus pool behind a FaultDevice; reads labels and the
// newest uberblock. Returns false if the corpus is absent.
bool open_pool(const std::string& name, const std::vector<std::string>& devices, Pool& pool) {
  pool.name = name;
  for (const auto& d : devices) {
    std::string path = testing::unpack_corpus_device(name, d);
    if (path.empty()) return false;
    auto dev = open_file_device(path, false, false);
    EXPECT_TRUE(dev.ok());
    if (!dev.ok()) return false;
    auto fault = std::make_shared<FaultDevice>(std::shared_ptr<BlockDevice>(std::move(*dev)));
    auto labels = read_vdev_labels(*fault);
    for (const auto& l : labels) {
      EXPECT_TRUE(l.valid) << l.error;
      if (!l.valid) continue;
      if (pool.config.pairs().empty()) pool.config = *l.config;
      for (size_t off = 0; off + kUberblockSlot <= l.ring.size(); off += kUberblockSlot) {
        const uint8_t* ub = &l.ring[off];
        if (load_le<uint64_t>(ub) != kUberblockMagic) continue;
        const uint64_t txg = load_le<uint64_t>(ub + 16);
        if (txg > pool.txg) {
          pool.txg = txg;
          pool.rootbp = Blkptr::decode(ub + kRootbpOffset, true);
        }
      }
    }
    pool.leaves.push_back({labels[0].config->get_u64("guid").value_or(0), path, fault});
    pool.devs.push_back(fault);
  }
  return true;
}

struct Walk {
  Vdev* top = nullptr;
  int blocks = 0;         // DVAs read and verified
  int odd_megabyte = 0;   // of which at an offset with bit 20 set
  int failures = 0;
  std::string first_failure;
  std::map<uint64_t, int> sizes;  // psize -> count

  static bool verify(const Blkptr& bp, std::span<const uint8_t> data) {
    Cksum c;
    return compute_checksum(bp.checksum(), data, false, &c) && c == bp.cksum;
  }

  // Reads one block through every DVA, returns its logical contents.
  std::vector<uint8_t> read(const Blkptr& bp) {
    std::vector<uint8_t> good;
    for (int d = 0; d < 3; d++) {
      const Dva& dva = bp.dva[d];
      if (dva.empty() || dva.gang() || dva.vdev() != 0) continue;
      std::vector<uint8_t> buf(bp.psize());
      Status s = top->read(dva.offset(), buf, [&](std::span<const uint8_t> x) { return verify(bp, x); });
      if (!s.ok()) {
        if (failures++ == 0) first_failure = dva.to_string() + ": " + s.error().message();
        continue;
      }
      blocks++;
      odd_megabyte += (dva.offset() >> 20) & 1;
      sizes[bp.psize()]++;
      if (good.empty()) good = std::move(buf);
    }
    if (good.empty()) return {};
    if (bp.compress() == Compress::kOff || bp.compress() == Compress::kInherit ||
        bp.compress() == Compress::kOn || bp.psize() == bp.lsize()) {
      good.resize(bp.lsize());
      return good;
    }
    std::vector<uint8_t> out(bp.lsize());
    if (!decompress(bp.compress(), good, out).ok()) return {};
    return out;
  }

  // Follows indirect blocks and the block pointers of every dnode in dnode blocks.
  void walk(const Blkptr& bp, int depth) {
    if (bp.is_hole() || bp.embedded() || depth > 12 || blocks > 3000) return;
    std::vector<uint8_t> data = read(bp);
    if (data.empty()) return;
    if (bp.level() > 0) {
      for (size_t off = 0; off + kBlkptrSize <= data.size(); off += kBlkptrSize)
        walk(Blkptr::decode(&data[off], true), depth + 1);
    } else if (bp.type() == kDnodeType || bp.type() == kObjsetType) {
      const size_t end = bp.type() == kObjsetType ? kDnodeSize : data.size();
      for (size_t off = 0; off + kDnodeSize <= end; off += kDnodeSize) {
        const uint8_t* dn = &data[off];
        if (dn[0] == 0) continue;  // free dnode slot
        const int nblkptr = std::min<int>(dn[3], 3);
        for (int i = 0; i < nblkptr; i++)
          walk(Blkptr::decode(dn + kDnodeBlkptrOffset + i * kBlkptrSize, true), depth + 1);
      }
    }
  }
};

class vdev_real_raidz : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(vdev_real_raidz, LabelsTreeAndMosBlocks) {
  const auto [name, nparity] = GetParam();
  std::vector<std::string> names;
  for (int i = 0; i < nparity + 2; i++) names.push_back(std::string(1, char('A' + i)));  // as layout.txt
  Pool pool;
  if (!open_pool(name, names, pool)) GTEST_SKIP() << "corpus absent";

  // Label fields.
  EXPECT_EQ(pool.config.get_string("name"), name);
  EXPECT_EQ(pool.config.get_u64("version"), 23u);
  const NvList* tree = pool.config.get_nvlist("vdev_tree");
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(tree->get_string("type"), "raidz");
  EXPECT_EQ(tree->get_u64("nparity"), uint64_t(nparity));
  EXPECT_EQ(tree->get_nvlist_array("children")->size(), names.size());
  EXPECT_EQ(tree->get_u64("guid"), pool.config.get_u64("top_guid"));

  // The tree from the label, leaves matched by the guids in each device's own label.
  auto top = build_vdev_tree(*tree, pool.leaves);
  ASSERT_TRUE(top.ok()) << top.error().message();
  EXPECT_STREQ((*top)->type(), "raidz");
  EXPECT_EQ((*top)->name(), fmt::format("raidz{}-0", nparity));
  EXPECT_EQ((*top)->state(), VdevState::kOnline);
  EXPECT_EQ((*top)->ashift, tree->get_u64("ashift"));
  EXPECT_EQ((*top)->asize_total, tree->get_u64("asize"));
  for (size_t i = 0; i < names.size(); i++)
    EXPECT_EQ((*top)->children[i]->name(), pool.leaves[i].path) << "children in label order";

  // The MOS root block, read and checksummed through our layout.
  ASSERT_GT(pool.txg, 0u);
  Walk first;
  first.top = top->get();
  std::vector<uint8_t> mos = first.read(pool.rootbp);
  ASSERT_FALSE(mos.empty()) << first.first_failure;
  EXPECT_EQ(mos[0], kDnodeType) << "objset starts with the meta dnode";
  Walk w;
  w.top = top->get();
  w.walk(pool.rootbp, 0);
  EXPECT_EQ(w.failures, 0) << w.first_failure;
  EXPECT_GT(w.blocks, 20);
  EXPECT_GT(w.sizes.size(), 2u) << "blocks of several sizes";
  if (nparity == 1) {
    EXPECT_GT(w.odd_megabyte, 0) << "the raidz1 column swap was exercised";
  }
  const int healthy_blocks = w.blocks;
  RecordProperty("blocks", healthy_blocks);
  std::printf("%s: %d block copies verified (%zu sizes, %d on odd MiBs)\n", name.c_str(), healthy_blocks, w.sizes.size(), w.odd_megabyte);

  // Every choice of nparity devices missing, then returning garbage: same blocks.
  const int n = int(names.size());
  for (bool garble : {false, true}) {
    for (int mask = 0; mask < (1 << n); mask++) {
      if (__builtin_popcount(mask) != nparity) continue;
      for (int i = 0; i < n; i++) {
        pool.devs[i]->clear();
        if (!(mask & (1 << i))) continue;
        if (garble) pool.devs[i]->corrupt_reads(kVdevLabelStartSize, UINT64_MAX / 2);
        else pool.devs[i]->fail_all();
      }
      Walk d;
      d.top = top->get();
      d.walk(pool.rootbp, 0);
      EXPECT_EQ(d.failures, 0) << "mask " << mask << " garble " << garble << ": " << d.first_failure;
      EXPECT_EQ(d.blocks, healthy_blocks) << "mask " << mask << " garble " << garble;
    }
  }
  uint64_t blamed = 0;
  for (auto& c : (*top)->children) blamed += c->counters.cksum_errors;
  EXPECT_GT(blamed, 0u) << "garbled columns were counted";
  EXPECT_EQ((*top)->counters.cksum_errors, 0u);
}

INSTANTIATE_TEST_SUITE_P(ZfsFuse, vdev_real_raidz,
                         ::testing::Values(std::make_tuple("zf-raidz1", 1),
                                           std::make_tuple("zf-raidz2", 2),
                                           std::make_tuple("zf-raidz3", 3)),
                         [](const auto& info) {
                           return "raidz" + std::to_string(std::get<1>(info.param));
                         });

}  // namespace
}  // namespace fzfs

namespace fzfs {
namespace {

// The same walk over the mirror and single-device pools: leaves and mirrors against
// real data, and the mirror with either side gone or returning garbage.
TEST(vdev_real_pool, MirrorAndStripe) {
  struct Shape {
    std::string pool, type;
    std::vector<std::string> devices;
  };
  for (const Shape& shape : {Shape{"zf-mirror", "mirror", {"A", "B"}}, Shape{"zf-stripe", "file", {"A"}}}) {
    Pool pool;
    if (!open_pool(shape.pool, shape.devices, pool)) GTEST_SKIP() << "corpus absent";
    const NvList* tree = pool.config.get_nvlist("vdev_tree");
    ASSERT_NE(tree, nullptr);
    EXPECT_EQ(tree->get_string("type"), shape.type);
    auto top = build_vdev_tree(*tree, pool.leaves);
    ASSERT_TRUE(top.ok()) << top.error().message();
    EXPECT_STREQ((*top)->type(), shape.type.c_str());
    EXPECT_EQ((*top)->state(), VdevState::kOnline);
    Walk w;
    w.top = top->get();
    w.walk(pool.rootbp, 0);
    EXPECT_EQ(w.failures, 0) << shape.pool << ": " << w.first_failure;
    EXPECT_GT(w.blocks, 20) << shape.pool;
    if (shape.devices.size() < 2) continue;

    for (size_t bad = 0; bad < shape.devices.size(); bad++) {
      for (bool garble : {false, true}) {
        for (auto& d : pool.devs) d->clear();
        if (garble) pool.devs[bad]->corrupt_reads(kVdevLabelStartSize, UINT64_MAX / 2);
        else pool.devs[bad]->fail_all();
        Walk d;
        d.top = top->get();
        d.walk(pool.rootbp, 0);
        EXPECT_EQ(d.failures, 0) << "bad " << bad << " garble " << garble << ": " << d.first_failure;
        EXPECT_EQ(d.blocks, w.blocks);
      }
    }
    // Only the first side is read while it is healthy, so only its garbling is seen.
    EXPECT_GT((*top)->children[0]->counters.cksum_errors, 0u);
    EXPECT_EQ((*top)->counters.cksum_errors, 0u);
  }
}

}  // namespace
}  // namespace fzfs
