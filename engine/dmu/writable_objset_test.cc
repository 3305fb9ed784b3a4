// The copy-on-write objset against a memory pool: what is written reads back after
// sync and reopen, and the blocks the objset references are exactly the ones born and
// not killed (no leak, no double free), txg after txg.
#include "engine/dmu/writable_objset.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>

#include "engine/dmu/dmu_types.h"
#include "engine/util/byteorder.h"
#include "engine/util/range_set.h"

namespace fzfs {
namespace {

// One top-level "vdev" in memory.
class MemVdev final : public Vdev {
 public:
  explicit MemVdev(uint64_t size) : bytes_(size, 0) { asize_total = size; }
  const char* type() const override { return "file"; }
  std::string name() const override { return "mem"; }
  VdevState state() const override { return VdevState::kOnline; }
  Status read(uint64_t off, std::span<uint8_t> out, const BlockVerifier& verify) override {
    if (off + out.size() > bytes_.size()) return make_error(EIO, "past end");
    std::memcpy(out.data(), bytes_.data() + off, out.size());
    return verify(out) ? Status::Ok() : Status(make_error(kECKSUM, "checksum"));
  }
  Status write(uint64_t off, std::span<const uint8_t> data) override {
    if (off + data.size() > bytes_.size()) return make_error(EIO, "past end");
    std::memcpy(bytes_.data() + off, data.data(), data.size());
    return Status::Ok();
  }
  Status flush() override { return Status::Ok(); }
  uint64_t asize(uint64_t psize) const override { return (psize + 511) & ~511ULL; }

 private:
  std::vector<uint8_t> bytes_;
};

class RootVdev final : public Vdev {
 public:
  const char* type() const override { return "root"; }
  std::string name() const override { return "root"; }
  VdevState state() const override { return VdevState::kOnline; }
  Status read(uint64_t, std::span<uint8_t>, const BlockVerifier&) override { return make_error(EIO, "root"); }
  Status write(uint64_t, std::span<const uint8_t>) override { return make_error(EIO, "root"); }
  Status flush() override { return Status::Ok(); }
  uint64_t asize(uint64_t psize) const override { return psize; }
};

// Bump allocation with exact bookkeeping of live space.
class TestAllocator final : public BlockAllocator {
 public:
  explicit TestAllocator(uint64_t size) : size_(size) {}
  Result<Dva> allocate(uint64_t psize, uint64_t, std::span<const Dva>) override {
    uint64_t asize = (psize + 511) & ~511ULL;
    if (asize > largest) return make_error(ENOSPC, "no segment of {} bytes", asize);
    if (next_ + asize > size_) return make_error(ENOSPC, "full");
    Dva d;
    d.word[0] = (asize >> 9) & 0xffffff;
    d.word[1] = next_ >> 9;
    EXPECT_EQ(live.add(next_, asize), 0u) << "double allocation";
    next_ += asize;
    return d;
  }
  void free(const Dva& dva, uint64_t, uint64_t) override {
    EXPECT_EQ(live.remove(dva.offset(), dva.asize()), dva.asize()) << "free of free space " << dva.to_string();
  }
  RangeSet live;
  uint64_t largest = UINT64_MAX;  // pretend fragmentation: nothing bigger fits

 private:
  uint64_t size_;
  uint64_t next_ = 0;
};

struct Pool {
  RootVdev root;
  TestAllocator alloc{256 << 20};
  std::unique_ptr<BlockReader> reader;
  std::unique_ptr<BlockWriter> writer;
  uint64_t txg = 4;
  uint64_t born = 0, killed = 0;
  Pool() {
    root.children.push_back(std::make_unique<MemVdev>(256 << 20));
    reader = std::make_unique<BlockReader>(&root, 64 << 20);
    writer = std::make_unique<BlockWriter>(&root, &alloc, &reader->cache(), 512);
    writer->set_reader(reader.get());
  }
  SyncContext ctx() {
    SyncContext c;
    c.writer = writer.get();
    c.reader = reader.get();
    c.txg = txg;
    c.policy = [](const Dnode& dn, int level) {
      WritePolicy p;
      p.compress = (level > 0 || dn.type != kOtPlainFileContents) ? Compress::kLzjb : Compress::kOff;
      p.copies = (level > 0 || dn.type != kOtPlainFileContents) ? 2 : 1;
      return p;
    };
    c.born = [this](const Blkptr& bp) { born += bp.ndvas(); };
    c.kill = [this](const Blkptr& bp) {
      killed += bp.ndvas();
      writer->free(bp, txg);
    };
    c.dsize = [](const Blkptr& bp) {
      uint64_t s = 0;
      for (const Dva& d : bp.dva) s += d.asize();
      return s;
    };
    return c;
  }
  Result<Blkptr> sync(WritableObjset& os) {
    auto r = os.sync(ctx());
    txg++;
    return r;
  }
};

// Every DVA reachable from an objset root, as a range set.
void collect(BlockReader* reader, const Blkptr& bp, RangeSet* out);
void collect_dnode(BlockReader* reader, const Dnode& dn, RangeSet* out) {
  for (const Blkptr& bp : dn.blkptr) collect(reader, bp, out);
  if (dn.spill) collect(reader, *dn.spill, out);
}
void collect(BlockReader* reader, const Blkptr& bp, RangeSet* out) {
  if (bp.is_hole()) return;
  bool members_seen = false;
  for (const Dva& d : bp.dva) {
    if (d.empty()) continue;
    if (!d.gang()) {
      EXPECT_EQ(out->add(d.offset(), d.asize()), 0u) << "block referenced twice";
      continue;
    }
    EXPECT_EQ(out->add(d.offset(), 512), 0u) << "gang header referenced twice";
    auto members = reader->gang_children(bp, d);
    ASSERT_TRUE(members.ok()) << members.error().message();
    if (!members_seen)
      for (const Blkptr& m : *members)
        for (const Dva& md : m.dva)
          if (!md.empty()) EXPECT_EQ(out->add(md.offset(), md.asize()), 0u) << "gang member referenced twice";
    members_seen = true;
  }
  auto data = reader->read(bp);
  ASSERT_TRUE(data.ok()) << data.error().message();
  if (bp.level() > 0) {
    for (size_t i = 0; i < (*data)->size(); i += kBlkptrSize) collect(reader, Blkptr::decode_native((*data)->data() + i), out);
  } else if (bp.type() == kOtDnode) {
    for (size_t i = 0; i < (*data)->size(); i += kDnodeSize) {
      auto dn = Dnode::decode(std::span((*data)->data() + i, kDnodeSize), true, 0);
      if (dn.ok() && dn->allocated()) collect_dnode(reader, *dn, out);
    }
  } else if (bp.type() == kOtObjset) {
    auto meta = Dnode::decode(std::span((*data)->data(), kDnodeSize), true, 0);
    ASSERT_TRUE(meta.ok());
    collect_dnode(reader, *meta, out);
  }
}

void expect_no_leaks(Pool& pool, const Blkptr& root) {
  RangeSet referenced;
  collect(pool.reader.get(), root, &referenced);
  EXPECT_EQ(referenced.bytes(), pool.alloc.live.bytes());
  pool.alloc.live.for_each([&](uint64_t s, uint64_t l) { EXPECT_TRUE(referenced.contains(s, l)) << "leaked " << s; });
}

std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = rng() % 7 == 0 ? 0 : static_cast<uint8_t>(rng());
  return v;
}

TEST(WritableObjset, WriteSyncReopenRead) {
  Pool pool;
  auto os = WritableObjset::create(pool.reader.get(), ObjsetType::kZfs, 1024, 14);
  NewObject file{kOtPlainFileContents, 4096, 0, 0, 12};  // 4 KiB indirects: 32 bps each
  auto obj = os->allocate(file);
  ASSERT_TRUE(obj.ok());
  auto data = pattern(3 << 20, 1);  // 768 blocks: three levels
  ASSERT_TRUE(os->write(*obj, 0, data).ok());
  auto root = pool.sync(*os);
  ASSERT_TRUE(root.ok()) << root.error().message();
  expect_no_leaks(pool, *root);

  auto ro = Objset::open(pool.reader.get(), *root);
  ASSERT_TRUE(ro.ok());
  auto dn = (*ro)->dnode(*obj);
  ASSERT_TRUE(dn.ok());
  EXPECT_EQ(dn->nlevels, 3);
  EXPECT_EQ(dn->maxblkid, 767u);
  std::vector<uint8_t> back(data.size());
  ASSERT_TRUE((*ro)->read(*dn, 0, back).ok());
  EXPECT_EQ(back, data);
}

TEST(WritableObjset, RandomChangesOverManyTxgsMatchModelAndLeakNothing) {
  Pool pool;
  auto os = WritableObjset::create(pool.reader.get(), ObjsetType::kZfs, 1024, 14);
  std::mt19937 rng(7);
  std::map<uint64_t, std::vector<uint8_t>> model;  // object -> contents
  Blkptr root;
  for (int txg = 0; txg < 30; txg++) {
    for (int op = 0; op < 40; op++) {      int what = rng() % 10;
      if (model.empty() || what == 0) {
        NewObject shape{kOtPlainFileContents, 512u << (rng() % 4), 0, uint16_t(rng() % 2 ? 0 : 264), 10};
        auto obj = os->allocate(shape);
        ASSERT_TRUE(obj.ok()) << obj.error().message();
        model[*obj] = {};
        continue;
      }
      auto it = model.begin();
      std::advance(it, rng() % model.size());
      auto& contents = it->second;
      if (what == 1 && model.size() > 3) {
               ASSERT_TRUE(os->free_object(it->first).ok());
        model.erase(it);
      } else if (what <= 6) {
        uint64_t off = rng() % (1 << 20);
        if (rng() % 4 == 0) off += uint64_t(rng() % 64) << 20;  // far out: holes and levels
        auto data = pattern(1 + rng() % 20000, rng());
               ASSERT_TRUE(os->write(it->first, off, data).ok());
        if (contents.size() < off + data.size()) contents.resize(off + data.size(), 0);
        std::memcpy(contents.data() + off, data.data(), data.size());
      } else {
        uint64_t off = contents.empty() ? 0 : rng() % contents.size();
        if (rng() % 2) {
                   ASSERT_TRUE(os->free_range(it->first, off, UINT64_MAX).ok());
          contents.resize(off);
        } else {
          uint64_t len = rng() % 100000;
                   ASSERT_TRUE(os->free_range(it->first, off, len).ok());
          for (uint64_t i = off; i < off + len && i < contents.size(); i++) contents[i] = 0;
        }
      }
    }
    auto r = pool.sync(*os);
    ASSERT_TRUE(r.ok()) << r.error().message();
    root = *r;
    expect_no_leaks(pool, root);
    if (HasFailure()) return;
  }
  auto ro = Objset::open(pool.reader.get(), root);
  ASSERT_TRUE(ro.ok());
  for (const auto& [obj, contents] : model) {
    auto dn = (*ro)->dnode(obj);
    ASSERT_TRUE(dn.ok()) << obj;
    std::vector<uint8_t> back(contents.size());
    ASSERT_TRUE((*ro)->read(*dn, 0, back).ok());
    EXPECT_TRUE(back == contents) << "object " << obj;
  }
}

TEST(WritableObjset, GangBlocksWhenNoSegmentIsLargeEnough) {
  Pool pool;
  auto os = WritableObjset::create(pool.reader.get(), ObjsetType::kZfs, 1024, 14);
  auto obj = os->allocate({kOtPlainFileContents, 128 * 1024, 0, 0, 14});
  ASSERT_TRUE(obj.ok());
  auto data = pattern(1 << 20, 9);
  ASSERT_TRUE(os->write(*obj, 0, data).ok());
  pool.alloc.largest = 48 * 1024;  // 128 KiB blocks must be split in three
  auto root = pool.sync(*os);
  ASSERT_TRUE(root.ok()) << root.error().message();
  expect_no_leaks(pool, *root);
  auto ro = Objset::open(pool.reader.get(), *root);
  auto dn = (*ro)->dnode(*obj);
  ASSERT_TRUE(dn.ok());
  auto bp = (*ro)->level0_bp(*dn, 3);
  ASSERT_TRUE(bp.ok());
  EXPECT_TRUE(bp->dva[0].gang());
  std::vector<uint8_t> back(data.size());
  ASSERT_TRUE((*ro)->read(*dn, 0, back).ok());
  EXPECT_EQ(back, data);
  // Overwriting frees the gang blocks, members and headers alike.
  pool.alloc.largest = UINT64_MAX;
  ASSERT_TRUE(os->write(*obj, 0, pattern(1 << 20, 10)).ok());
  root = pool.sync(*os);
  ASSERT_TRUE(root.ok()) << root.error().message();
  expect_no_leaks(pool, *root);
}

TEST(WritableObjset, BlockSizeChangeAndBonus) {
  Pool pool;
  auto os = WritableObjset::create(pool.reader.get(), ObjsetType::kZfs, 1024, 14);
  auto obj = os->allocate({kOtPlainFileContents, 512, kOtZnode, 264, 14});
  ASSERT_TRUE(obj.ok());
  ASSERT_TRUE(os->write(*obj, 0, pattern(300, 3)).ok());
  ASSERT_TRUE(pool.sync(*os).ok());
  ASSERT_TRUE(os->set_block_size(*obj, 8192).ok());
  auto tail = pattern(5000, 4);
  ASSERT_TRUE(os->write(*obj, 300, tail).ok());
  std::vector<uint8_t> bonus(264, 0xab);
  ASSERT_TRUE(os->set_bonus(*obj, bonus).ok());
  auto root = pool.sync(*os);
  ASSERT_TRUE(root.ok());
  expect_no_leaks(pool, *root);
  auto ro = Objset::open(pool.reader.get(), *root);
  auto dn = (*ro)->dnode(*obj);
  ASSERT_TRUE(dn.ok());
  EXPECT_EQ(dn->data_block_size(), 8192u);
  EXPECT_EQ(dn->bonus, bonus);
  std::vector<uint8_t> back(5300);
  ASSERT_TRUE((*ro)->read(*dn, 0, back).ok());
  auto head = pattern(300, 3);
  EXPECT_TRUE(std::equal(head.begin(), head.end(), back.begin()));
  EXPECT_TRUE(std::equal(tail.begin(), tail.end(), back.begin() + 300));
}

TEST(WritableObjset, SpillBlockWrittenReplacedRemovedAndFreed) {
  Pool pool;
  auto os = WritableObjset::create(pool.reader.get(), ObjsetType::kZfs, 1024, 14);
  auto obj = os->allocate({kOtPlainFileContents, 512, kOtSa, 320, 14});
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(os->set_spill(*obj, pattern(100, 1)).error().code(), EINVAL) << "not a 512-byte multiple";
  EXPECT_EQ(os->set_spill(*obj, pattern(512, 1)).error().code(), EOVERFLOW) << "a 320-byte bonus leaves no room";
  ASSERT_TRUE(os->set_bonus(*obj, std::vector<uint8_t>(192, 0x11)).ok());
  auto first = pattern(512, 2);
  ASSERT_TRUE(os->set_spill(*obj, first).ok());
  EXPECT_EQ(os->set_bonus(*obj, std::vector<uint8_t>(193, 0)).error().code(), EOVERFLOW)
      << "the spill blkptr takes the bonus area's last 128 bytes";
  auto pending = os->read_spill(*os->dnode(*obj));
  ASSERT_TRUE(pending.ok()) << pending.error().message();
  EXPECT_EQ(**pending, first) << "the open txg sees its own spill block";

  auto check = [&](const Blkptr& root, const std::optional<std::vector<uint8_t>>& want) {
    expect_no_leaks(pool, root);
    auto ro = Objset::open(pool.reader.get(), root);
    ASSERT_TRUE(ro.ok());
    auto dn = (*ro)->dnode(*obj);
    ASSERT_TRUE(dn.ok());
    EXPECT_EQ(bool(dn->flags & kDnodeFlagSpillBlkptr), want.has_value());
    EXPECT_EQ(dn->spill.has_value(), want.has_value());
    auto got = (*ro)->read_spill(*dn);
    if (!want) {
      EXPECT_EQ(got.error().code(), ENOENT);
      EXPECT_EQ(dn->used, 0u) << "no blocks left";
      return;
    }
    ASSERT_TRUE(got.ok()) << got.error().message();
    EXPECT_EQ(**got, *want);
    EXPECT_EQ(dn->spill->type(), kOtSa);
    EXPECT_EQ(dn->spill->lsize(), want->size());
    EXPECT_EQ(dn->used, pool.ctx().dsize(*dn->spill)) << "the spill block counts in the dnode's used bytes";
  };
  auto root = pool.sync(*os);
  ASSERT_TRUE(root.ok()) << root.error().message();
  check(*root, first);

  auto bigger = pattern(1536, 3);  // replaced: the old block is freed
  ASSERT_TRUE(os->set_spill(*obj, bigger).ok());
  root = pool.sync(*os);
  ASSERT_TRUE(root.ok()) << root.error().message();
  check(*root, bigger);

  ASSERT_TRUE(os->remove_spill(*obj).ok());
  ASSERT_TRUE(os->set_bonus(*obj, std::vector<uint8_t>(320, 0x22)).ok()) << "the whole bonus area again";
  root = pool.sync(*os);
  ASSERT_TRUE(root.ok()) << root.error().message();
  check(*root, std::nullopt);

  ASSERT_TRUE(os->set_bonus(*obj, std::vector<uint8_t>(192, 0x33)).ok());
  ASSERT_TRUE(os->set_spill(*obj, first).ok());
  root = pool.sync(*os);
  ASSERT_TRUE(root.ok());
  ASSERT_TRUE(os->free_object(*obj).ok());  // the spill block goes with the object
  root = pool.sync(*os);
  ASSERT_TRUE(root.ok());
  expect_no_leaks(pool, *root);
}

TEST(WritableObjset, UserAccountingChargesOwnersAndMovesCharges) {
  Pool pool;
  auto os = WritableObjset::create(pool.reader.get(), ObjsetType::kZfs, 2048, 14);
  // A stand-in for the ZPL: SA-typed objects carry (uid, gid) as the bonus's first words.
  std::map<uint64_t, int64_t> users, groups;  // running totals of the deltas handed over
  auto with_accounting = [&] {
    SyncContext c = pool.ctx();
    c.owner = [](const Dnode& dn) -> std::optional<FileOwner> {
      if (dn.bonustype != kOtSa || dn.bonus.size() < 16) return std::nullopt;
      return FileOwner{load<uint64_t>(dn.bonus.data()), load<uint64_t>(dn.bonus.data() + 8)};
    };
    c.account = [&](WritableObjset&, const UsageDeltas& d) {
      for (auto [id, v] : d.user) users[id] += v;
      for (auto [id, v] : d.group) groups[id] += v;
      return Status::Ok();
    };
    return c;
  };
  auto owned_by = [](uint64_t uid, uint64_t gid) {
    std::vector<uint8_t> b(320, 0);
    store<uint64_t>(b.data(), uid);
    store<uint64_t>(b.data() + 8, gid);
    return b;
  };
  auto sync = [&] {
    auto root = os->sync(with_accounting());
    pool.txg++;
    EXPECT_TRUE(root.ok()) << root.error().message();
    return root.ok() ? *root : Blkptr{};
  };
  // What the dnodes on disk say each id should hold: 512 + used per counted znode.
  auto expect_totals_match = [&](const Blkptr& root) {
    auto ro = Objset::open(pool.reader.get(), root);
    ASSERT_TRUE(ro.ok());
    std::map<uint64_t, int64_t> want_users, want_groups;
    for (uint64_t obj = 1; obj < 16; obj++) {
      auto dn = (*ro)->dnode(obj);
      if (!dn.ok()) continue;
      EXPECT_TRUE(dn->flags & kDnodeFlagUserusedAccounted) << "object " << obj;
      if (dn->bonustype != kOtSa) continue;
      want_users[load<uint64_t>(dn->bonus.data())] += 512 + dn->used_bytes();
      want_groups[load<uint64_t>(dn->bonus.data() + 8)] += 512 + dn->used_bytes();
    }
    std::erase_if(users, [](const auto& e) { return e.second == 0; });
    std::erase_if(groups, [](const auto& e) { return e.second == 0; });
    EXPECT_EQ(users, want_users);
    EXPECT_EQ(groups, want_groups);
  };

  auto a = os->allocate({kOtPlainFileContents, 4096, kOtSa, 320, 14});
  auto b = os->allocate({kOtPlainFileContents, 4096, kOtSa, 320, 14});
  auto c = os->allocate({kOtPlainFileContents, 4096, kOtSa, 320, 14});
  auto zap = os->allocate({kOtDirectoryContents, 512, 0, 0, 14});  // nobody's
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && zap.ok());
  ASSERT_TRUE(os->set_bonus(*a, owned_by(1000, 100)).ok());
  ASSERT_TRUE(os->set_bonus(*b, owned_by(1000, 200)).ok());
  ASSERT_TRUE(os->set_bonus(*c, owned_by(1001, 100)).ok());
  ASSERT_TRUE(os->write(*a, 0, pattern(20000, 1)).ok());
  ASSERT_TRUE(os->write(*b, 0, pattern(3000, 2)).ok());
  ASSERT_TRUE(os->write(*zap, 0, pattern(512, 3)).ok());
  Blkptr root = sync();
  expect_totals_match(root);
  EXPECT_GT(users[1000], 2 * 512) << "data blocks are charged, not only dnodes";
  auto phys = pool.reader->read(root);
  ASSERT_TRUE(phys.ok());
  EXPECT_EQ(load<uint64_t>((*phys)->data() + 712) & kObjsetFlagUserAccountingComplete, 1u)
      << "a new file system is counted from its first object: complete";

  // A chown moves the whole charge; growth adds; a free takes back.
  ASSERT_TRUE(os->set_bonus(*b, owned_by(1001, 100)).ok());
  ASSERT_TRUE(os->write(*a, 50000, pattern(9000, 4)).ok());
  ASSERT_TRUE(os->free_object(*c).ok());
  root = sync();
  expect_totals_match(root);
  EXPECT_EQ(groups.count(200), 0u) << "gid 200's only object changed hands";

  ASSERT_TRUE(os->free_object(*a).ok());
  ASSERT_TRUE(os->free_object(*b).ok());
  root = sync();
  EXPECT_TRUE(users.empty() || std::all_of(users.begin(), users.end(), [](auto& e) { return e.second == 0; }));
  expect_totals_match(root);
}

}  // namespace
}  // namespace fzfs
