// Committing a txg to the labels: what lands where, in which order, what a failing
// device costs, and that a power cut after any single write leaves an openable pool.
#include "engine/spa/label_sync.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "engine/io/fault_device.h"
#include "engine/io/memory_device.h"
#include "engine/util/byteorder.h"
#include "engine/vdev/label.h"

namespace fzfs {
namespace {

// One operation a device saw.
struct Op {
  std::string path;
  bool flush = false;
  uint64_t offset = 0, size = 0;
};

// Records every write and flush into a shared log, and can drop every write after a
// budget runs out (power lost: later writes never reach the medium).
class RecordingDevice final : public BlockDevice {
 public:
  RecordingDevice(std::shared_ptr<BlockDevice> inner, std::vector<Op>* log, int64_t* budget)
      : inner_(std::move(inner)), log_(log), budget_(budget) {}
  Status pread(std::span<uint8_t> b, uint64_t off) override { return inner_->pread(b, off); }
  Status pwrite(std::span<const uint8_t> b, uint64_t off) override {
    log_->push_back(Op{path(), false, off, b.size()});
    if (budget_ && (*budget_)-- <= 0) return Status::Ok();  // lost
    return inner_->pwrite(b, off);
  }
  Status flush() override {
    log_->push_back(Op{path(), true});
    return inner_->flush();
  }
  uint64_t size() const override { return inner_->size(); }
  const std::string& path() const override { return inner_->path(); }

 private:
  std::shared_ptr<BlockDevice> inner_;
  std::vector<Op>* log_;
  int64_t* budget_;
};

constexpr uint64_t kDevSize = 8 << 20;
constexpr uint64_t kOldTxg = 40;

// A pool: mirror-0 (ashift 9) of d0 d1, raidz1-1 (ashift 12) of d2 d3 d4.
struct Pool {
  std::vector<std::shared_ptr<MemoryDevice>> mem;
  std::vector<std::shared_ptr<FaultDevice>> fault;
  std::vector<Op> log;
  int64_t budget = INT64_MAX;
  std::unique_ptr<Vdev> root;
  NvList tree;

  explicit Pool(std::vector<int> missing = {}) {
    std::vector<LeafDevice> devs;
    auto leaf = [&](int i) {
      const std::string path = "/mem/d" + std::to_string(i);
      mem.push_back(std::make_shared<MemoryDevice>(path, kDevSize));
      fault.push_back(std::make_shared<FaultDevice>(mem.back()));
      if (std::find(missing.begin(), missing.end(), i) == missing.end())
        devs.push_back(LeafDevice{guid(i), path,
                                  std::make_shared<RecordingDevice>(fault.back(), &log, &budget)});
      NvList k;
      k.add_string("type", "file").add_u64("id", i < 2 ? i : i - 2).add_u64("guid", guid(i));
      k.add_string("path", path);
      return k;
    };
    NvList m, r;
    m.add_string("type", "mirror").add_u64("id", 0).add_u64("guid", 100).add_u64("ashift", 9);
    m.add_nvlist_array("children", {leaf(0), leaf(1)});
    r.add_string("type", "raidz").add_u64("id", 1).add_u64("guid", 101).add_u64("ashift", 12);
    r.add_u64("nparity", 1).add_nvlist_array("children", {leaf(2), leaf(3), leaf(4)});
    tree.add_string("type", "root").add_u64("id", 0).add_u64("guid", 7);
    tree.add_nvlist_array("children", {m, r});
    auto built = build_vdev_tree(tree, devs);
    if (built.ok()) root = std::move(*built);
  }

  static uint64_t guid(int i) { return 1000 + i; }
  static int top_of(int i) { return i < 2 ? 0 : 1; }
  static uint64_t ashift_of(int i) { return i < 2 ? 9 : 12; }

  NvList config(int i, uint64_t txg) const {
    NvList c;
    c.add_u64("version", 23).add_string("name", "tank").add_u64("state", 0).add_u64("txg", txg);
    c.add_u64("pool_guid", 7).add_u64("guid", guid(i)).add_u64("top_guid", 100 + top_of(i));
    c.add_nvlist("vdev_tree", (*tree.get_nvlist_array("children"))[top_of(i)]);
    return c;
  }
  LabelConfigFn configs(uint64_t txg) const {
    return [this, txg](uint64_t g) -> Result<NvList> { return config(int(g - 1000), txg); };
  }
  Uberblock uberblock(uint64_t txg) const {
    Uberblock ub;
    ub.version = 23;
    ub.txg = txg;
    ub.guid_sum = 12345;
    ub.timestamp = 1700000000 + txg;
    ub.rootbp.dva[0].word[0] = 1;
    ub.rootbp.birth = txg;
    return ub.next(txg, 12345, 1700000000 + txg, 23);
  }
  // What an importer sees on device i: the four label configs' txgs (0 = invalid) and
  // the best uberblock txg.
  std::array<uint64_t, 4> label_txgs(int i) const {
    std::array<uint64_t, 4> t{};
    auto labels = read_vdev_labels(*mem[i]);
    for (int l = 0; l < 4; l++)
      if (labels[l].valid) t[l] = labels[l].config->get_u64("txg").value_or(0);
    return t;
  }
  uint64_t best_txg(int i) const {
    uint64_t best = 0;
    for (const auto& l : read_vdev_labels(*mem[i]))
      for (const auto& ub : uberblocks_in_ring(l.ring, l.ring_offset, ashift_of(i), "", l.index))
        best = std::max(best, ub.txg);
    return best;
  }
};

// Writes an initial state at kOldTxg directly, without logging.
void format(Pool& p) {
  for (int i = 0; i < 5; i++) {
    for (int l = 0; l < 4; l++) ASSERT_TRUE(write_vdev_phys(*p.mem[i], l, p.config(i, kOldTxg)).ok());
    const uint64_t ss = uberblock_slot_size(Pool::ashift_of(i));
    for (int l = 0; l < 4; l++)
      ASSERT_TRUE(write_uberblock_slot(*p.mem[i], l, ss, uberblock_slot_for_txg(kOldTxg, Pool::ashift_of(i)),
                                       p.uberblock(kOldTxg).encode_body())
                      .ok());
  }
}

// Which step of the sync an operation belongs to.
enum Kind { kFlush, kEvenLabel, kOddLabel, kUber };
Kind kind_of(const Op& op) {
  if (op.flush) return kFlush;
  const uint64_t in_label = op.offset < 2 * kVdevLabelSize ? op.offset % kVdevLabelSize
                                                          : (op.offset - (kDevSize - 2 * kVdevLabelSize)) % kVdevLabelSize;
  const int l = op.offset < 2 * kVdevLabelSize ? int(op.offset / kVdevLabelSize)
                                               : 2 + int((op.offset - (kDevSize - 2 * kVdevLabelSize)) / kVdevLabelSize);
  if (in_label >= kUberblockRingOffset) return kUber;
  return l % 2 == 0 ? kEvenLabel : kOddLabel;
}

TEST(label_sync, WritesInZfsOrder) {
  Pool p;
  ASSERT_TRUE(p.root);
  format(p);
  auto r = sync_labels(*p.root, p.uberblock(kOldTxg + 1), p.configs(kOldTxg + 1));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->failures.empty());
  EXPECT_EQ(r->uberblocks_written, 20u);
  EXPECT_EQ(r->labels_written, 20u);

  // flush x5 | even labels x10 | flush x5 | uberblocks x20 | flush x5 | odd labels x10 | flush x5
  const std::vector<std::pair<Kind, size_t>> want = {{kFlush, 5},  {kEvenLabel, 10}, {kFlush, 5}, {kUber, 20},
                                                     {kFlush, 5},  {kOddLabel, 10},  {kFlush, 5}};
  std::vector<std::pair<Kind, size_t>> got;
  for (const Op& op : p.log) {
    Kind k = kind_of(op);
    if (!got.empty() && got.back().first == k) got.back().second++;
    else got.push_back({k, 1});
  }
  EXPECT_EQ(got, want);
  // Each leaf is flushed once per step, every leaf in every step.
  for (const Op& op : p.log)
    if (op.flush) EXPECT_EQ(std::count_if(p.log.begin(), p.log.end(), [&](const Op& o) { return o.flush && o.path == op.path; }), 4);
}

TEST(label_sync, EveryLeafCarriesTheNewTxg) {
  Pool p;
  format(p);
  const uint64_t txg = kOldTxg + 1;
  ASSERT_TRUE(sync_labels(*p.root, p.uberblock(txg), p.configs(txg)).ok());
  for (int i = 0; i < 5; i++) {
    auto labels = read_vdev_labels(*p.mem[i]);
    for (const auto& l : labels) {
      ASSERT_TRUE(l.valid) << l.error;
      EXPECT_EQ(l.config->get_u64("txg"), txg);
      EXPECT_EQ(l.config->get_u64("guid"), Pool::guid(i));
      auto ubs = uberblocks_in_ring(l.ring, l.ring_offset, Pool::ashift_of(i), "", l.index);
      ASSERT_EQ(ubs.size(), 2u);  // the old one and the new one
      const auto& newest = ubs[0].txg > ubs[1].txg ? ubs[0] : ubs[1];
      EXPECT_EQ(newest.txg, txg);
      EXPECT_EQ(uint64_t(newest.slot), uberblock_slot_for_txg(txg, Pool::ashift_of(i)));
      EXPECT_EQ(newest.mmp_magic, kMmpMagic);
    }
  }
  // raidz leaves use 4 KiB slots (ashift 12): the new uberblock sits at 41 % 32 = 9.
  auto labels = read_vdev_labels(*p.mem[3]);
  EXPECT_EQ(load_le<uint64_t>(&labels[2].ring[9 * 4096]), kUberblockMagic);
}

TEST(label_sync, WithoutConfigOnlyUberblocksAreWritten) {
  Pool p;
  format(p);
  ASSERT_TRUE(sync_labels(*p.root, p.uberblock(kOldTxg + 1)).ok());
  for (const Op& op : p.log) EXPECT_TRUE(op.flush || kind_of(op) == kUber);
  for (int i = 0; i < 5; i++) {
    EXPECT_EQ(p.label_txgs(i), (std::array<uint64_t, 4>{kOldTxg, kOldTxg, kOldTxg, kOldTxg}));
    EXPECT_EQ(p.best_txg(i), kOldTxg + 1);
  }
}

TEST(label_sync, FailingLeafIsToleratedAndNamed) {
  Pool p;
  format(p);
  p.fault[1]->fail_writes(0, UINT64_MAX / 2);
  auto r = sync_labels(*p.root, p.uberblock(kOldTxg + 1), p.configs(kOldTxg + 1));
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->failures.size(), 3u);  // even labels, uberblocks, odd labels
  EXPECT_NE(r->failures[0].find("/mem/d1"), std::string::npos) << r->failures[0];
  EXPECT_NE(r->failures[0].find("label 0"), std::string::npos) << r->failures[0];
  EXPECT_EQ(p.root->children[0]->children[1]->counters.write_errors, 3u);
  EXPECT_EQ(p.best_txg(0), kOldTxg + 1);
  EXPECT_EQ(p.best_txg(1), kOldTxg);
}

TEST(label_sync, TopLevelWithoutAnyLabelFails) {
  Pool p;
  format(p);
  p.fault[0]->fail_writes(0, UINT64_MAX / 2);
  p.fault[1]->fail_writes(0, UINT64_MAX / 2);
  auto r = sync_labels(*p.root, p.uberblock(kOldTxg + 1), p.configs(kOldTxg + 1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("mirror-0"), std::string::npos) << r.error().message();
  // Stopped before the commit point: no uberblock of the new txg anywhere.
  for (int i = 0; i < 5; i++) EXPECT_EQ(p.best_txg(i), kOldTxg) << i;
}

TEST(label_sync, NoUberblockAnywhereFails) {
  Pool p;
  format(p);
  for (auto& f : p.fault) f->fail_writes(0, UINT64_MAX / 2);
  auto r = sync_labels(*p.root, p.uberblock(kOldTxg + 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EIO);
  EXPECT_NE(r.error().message().find("no uberblock"), std::string::npos) << r.error().message();
}

TEST(label_sync, MissingLeafIsSkippedButBlocksMustBeDurable) {
  Pool p({3});  // raidz1 keeps going without one child
  format(p);
  ASSERT_TRUE(p.root);
  auto r = sync_labels(*p.root, p.uberblock(kOldTxg + 1), p.configs(kOldTxg + 1));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(p.best_txg(3), kOldTxg);
  EXPECT_EQ(p.best_txg(4), kOldTxg + 1);
  // Two raidz1 children gone: its blocks cannot be durable, nothing is committed.
  Pool q({3, 4});
  format(q);
  auto r2 = sync_labels(*q.root, q.uberblock(kOldTxg + 1), q.configs(kOldTxg + 1));
  ASSERT_FALSE(r2.ok());
  for (int i = 0; i < 5; i++) EXPECT_EQ(q.best_txg(i), kOldTxg);
}

// Power lost after each possible number of writes: the newest uberblock an importer
// finds always has labels that agree with it (the even ones for the new txg, the odd
// ones for the old).
TEST(label_sync, PowerCutAnywhereLeavesConsistentLabels) {
  Pool probe;
  format(probe);
  ASSERT_TRUE(sync_labels(*probe.root, probe.uberblock(kOldTxg + 1), probe.configs(kOldTxg + 1)).ok());
  const int64_t writes = std::count_if(probe.log.begin(), probe.log.end(), [](const Op& o) { return !o.flush; });
  for (int64_t k = 0; k <= writes; k++) {
    Pool p;
    format(p);
    p.budget = k;
    ASSERT_TRUE(sync_labels(*p.root, p.uberblock(kOldTxg + 1), p.configs(kOldTxg + 1)).ok());
    uint64_t best = 0;
    for (int i = 0; i < 5; i++) best = std::max(best, p.best_txg(i));
    ASSERT_TRUE(best == kOldTxg || best == kOldTxg + 1) << k;
    for (int i = 0; i < 5; i++) {
      auto t = p.label_txgs(i);
      if (best == kOldTxg + 1) {
        EXPECT_EQ(t[0], kOldTxg + 1) << "cut after " << k << " writes, device " << i;
        EXPECT_EQ(t[2], kOldTxg + 1) << "cut after " << k << " writes, device " << i;
      } else {
        EXPECT_EQ(t[1], kOldTxg) << "cut after " << k << " writes, device " << i;
        EXPECT_EQ(t[3], kOldTxg) << "cut after " << k << " writes, device " << i;
      }
    }
  }
}

}  // namespace
}  // namespace fzfs
