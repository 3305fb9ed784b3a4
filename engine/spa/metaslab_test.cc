// The metaslab allocator against an independent record of what it handed out: random
// allocate/free sequences over several vdevs and txgs, each sync's changes encoded as
// space map words and replayed with the read path's parser, which must rebuild exactly
// the allocator's sets; plus the rules ZFS keeps (deferred frees, ENOSPC and recovery,
// RAIDZ sizes, copies apart, the rotor's balance).
#include "engine/spa/metaslab_allocator.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <map>
#include <random>

#include "engine/spa/metaslab_free_index.h"
#include "engine/spa/space_map.h"
#include "engine/vdev/vdev_leaf.h"
#include "engine/vdev/vdev_raidz.h"

namespace fzfs {
namespace {

std::unique_ptr<Vdev> leaf(uint64_t ashift) {
  auto v = std::make_unique<LeafVdev>("file", "/nowhere", nullptr);
  v->ashift = ashift;
  return v;
}

std::unique_ptr<Vdev> raidz(int children, int nparity, uint64_t ashift) {
  auto v = std::make_unique<RaidzVdev>(nparity);
  v->ashift = ashift;
  for (int i = 0; i < children; i++) v->children.push_back(leaf(ashift));
  return v;
}

std::vector<std::pair<uint64_t, uint64_t>> ranges_of(const RangeSet& s) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  s.for_each([&](uint64_t a, uint64_t l) { out.emplace_back(a, l); });
  return out;
}

// Plays the txg sync's part: keeps every space map's words and smp_alloc as the MOS
// would, appending each batch of take_changes with SpaceMapWriter.
struct MapStore {
  SpaceMapLayout layout;
  struct Map {
    SpaceMapRegion region;
    std::vector<uint64_t> words;
    int64_t smp_alloc = 0;
  };
  std::map<uint64_t, Map> maps;
  uint64_t next_object = 100;

  void sync(MetaslabAllocator& a, uint64_t txg, uint64_t pass) {
    for (MetaslabChanges& c : a.take_changes(txg)) {
      EXPECT_LE(c.batch.txg, txg);
      uint64_t obj = c.object;
      if (obj == 0) {
        obj = next_object++;
        ASSERT_TRUE(a.set_space_map_object(c.vdev, c.metaslab, obj).ok());
        maps[obj].region = c.region;
      }
      ASSERT_TRUE(maps.count(obj));
      Map& m = maps[obj];
      SpaceMapWriter w(c.region, layout, m.words.size() * 8);
      Status s = w.append(c.batch.ranges, c.batch.txg, pass);
      ASSERT_TRUE(s.ok()) << s.error().message();
      EXPECT_EQ(w.alloc_delta(), c.batch.alloc_delta);
      m.words.insert(m.words.end(), w.words().begin(), w.words().end());
      EXPECT_EQ(w.length(), m.words.size() * 8);
      m.smp_alloc += w.alloc_delta();
    }
  }

  // Rewrites a third of the maps in condensed form, in the middle of a pass (changes
  // not taken yet are appended after).
  void condense_some(MetaslabAllocator& a, uint64_t txg, std::mt19937_64& rng) {
    for (uint64_t v = 0; v < 4; v++) {
      for (uint64_t i = 0; i < a.metaslab_count(v); i++) {
        const uint64_t obj = (*a.metaslab(v, i))->object();
        if (obj == 0 || rng() % 3 != 0) continue;
        auto c = a.condense(v, i, layout, txg, 2);
        ASSERT_TRUE(c.ok()) << c.error().message();
        EXPECT_LE(c->words.size(), maps[obj].words.size() + 1);
        maps[obj].words = c->words;
        maps[obj].smp_alloc = int64_t(c->alloc);
        condensed++;
      }
    }
  }
  uint64_t condensed = 0;

  // Replays a map block by block, as the read path reads it from the MOS.
  Result<RangeSet> replay(const Map& m) const { return replay_words(m.words, m.region); }

  Result<RangeSet> replay_words(const std::vector<uint64_t>& words, const SpaceMapRegion& region) const {
    RangeSet set;
    const uint64_t per_block = layout.block_size / 8;
    auto reader = [&](uint64_t blkid, std::vector<uint8_t>* out, bool* little) -> Status {
      out->assign(layout.block_size, 0);
      for (uint64_t i = 0; i < per_block && blkid * per_block + i < words.size(); i++)
        std::memcpy(out->data() + 8 * i, &words[blkid * per_block + i], 8);
      *little = std::endian::native == std::endian::little;
      return Status::Ok();
    };
    FZ_CHECK(read_space_map(words.size() * 8, layout.block_size, reader,
                            [&](const SpaceMapEntry& e) { return apply_space_map_entry(e, region, &set); }));
    return set;
  }

  // Every metaslab's map replays to the allocator's set and smp_alloc tracks it.
  void verify(const MetaslabAllocator& a, uint64_t nvdevs) const {
    for (uint64_t v = 0; v < nvdevs; v++) {
      for (uint64_t i = 0; i < a.metaslab_count(v); i++) {
        auto ms = a.metaslab(v, i);
        ASSERT_TRUE(ms.ok());
        const Metaslab& m = **ms;
        if (m.object() == 0) {
          EXPECT_TRUE(m.allocated().empty()) << "vdev " << v << " ms " << i;
          continue;
        }
        auto it = maps.find(m.object());
        ASSERT_NE(it, maps.end());
        auto got = replay(it->second);
        ASSERT_TRUE(got.ok()) << got.error().message();
        EXPECT_EQ(ranges_of(*got), ranges_of(m.allocated())) << "vdev " << v << " ms " << i;
        EXPECT_EQ(it->second.smp_alloc, int64_t(m.allocated_bytes()));
      }
    }
  }
};

struct Pool {
  std::vector<std::unique_ptr<Vdev>> vdevs;
  std::unique_ptr<MetaslabAllocator> alloc;

  // One top-level vdev per (vdev, asize, metaslab_shift).
  void add(std::unique_ptr<Vdev> v, uint64_t asize, uint64_t ms_shift) {
    v->id = vdevs.size();
    v->asize_total = asize;
    vdevs.push_back(std::move(v));
    shifts.push_back(ms_shift);
  }
  void open(std::vector<std::vector<TopVdevSpace::MetaslabState>> states = {}) {
    std::vector<TopVdevSpace> tops;
    for (size_t i = 0; i < vdevs.size(); i++) {
      TopVdevSpace t;
      t.id = i;
      t.vdev = vdevs[i].get();
      t.ashift = vdevs[i]->ashift;
      t.asize = vdevs[i]->asize_total;
      t.metaslab_shift = shifts[i];
      if (i < states.size()) t.metaslabs = std::move(states[i]);
      tops.push_back(std::move(t));
    }
    auto a = MetaslabAllocator::create(std::move(tops));
    ASSERT_TRUE(a.ok()) << a.error().message();
    alloc = std::move(*a);
  }
  std::vector<uint64_t> shifts;
};

struct Live {
  Dva dva;
  uint64_t birth;
};

// Independent bookkeeping: live blocks and recently freed ones, per vdev.
struct Ledger {
  std::vector<RangeSet> live;
  std::map<uint64_t, std::vector<Dva>> freed;  // by the txg that freed them

  explicit Ledger(size_t n) : live(n) {}

  void allocated(const Dva& d, uint64_t txg) {
    ASSERT_LT(d.vdev(), live.size());
    EXPECT_EQ(live[d.vdev()].add(d.offset(), d.asize()), 0u) << "overlaps a live block: " << d.to_string();
    for (auto& [t, list] : freed) {
      if (t + 2 < txg) continue;  // released by sync_done(t + 2), before this txg
      for (const Dva& f : list) {
        if (f.vdev() != d.vdev()) continue;
        EXPECT_FALSE(f.offset() < d.offset() + d.asize() && d.offset() < f.offset() + f.asize())
            << d.to_string() << " in txg " << txg << " reuses " << f.to_string() << " freed in txg " << t;
      }
    }
  }
  void deferred(const Dva& d, uint64_t txg) { freed[txg].push_back(d); }
};

TEST(Metaslab, RandomWorkloadReplaysFromItsSpaceMaps) {
  for (bool two_word : {false, true}) {
    Pool p;
    p.add(leaf(9), (64 << 20) + 12345, 23);    // 8 metaslabs of 8 MiB, a tail left over
    p.add(leaf(12), 48 << 20, 22);             // 12 of 4 MiB, 4K sectors
    p.add(raidz(5, 1, 9), 80 << 20, 24);       // 5 of 16 MiB
    p.add(leaf(9), 192 << 20, 26);             // 3 of 64 MiB: room for runs too long for one word
    p.open();
    MapStore store;
    store.layout = {two_word ? 64u : 4096u, two_word};  // tiny blocks: padding happens
    Ledger ledger(4);
    std::vector<Live> live;
    // A burst of large blocks in one pass: long contiguous runs in the first batch.
    for (int i = 0; i < 600; i++) {
      auto d = p.alloc->allocate(128 << 10, 3, {});
      ASSERT_TRUE(d.ok());
      ledger.allocated(*d, 3);
      live.push_back({*d, 3});
    }
    store.sync(*p.alloc, 3, 1);
    p.alloc->sync_done(3);
    // The burst needed entries past the one-word run limit: two-word ones with
    // spacemap_v2, several one-word ones without.
    uint64_t two_word_entries = 0, full_one_word_entries = 0;
    for (const auto& [obj, m] : store.maps) {
      for (uint64_t w : m.words) {
        two_word_entries += (w >> 62) == 3;
        full_one_word_entries += (w >> 63) == 0 && (w & 0x7fff) == 0x7fff;
      }
    }
    if (two_word) {
      EXPECT_GT(two_word_entries, 0u);
    } else {
      EXPECT_EQ(two_word_entries, 0u);
      EXPECT_GT(full_one_word_entries, 0u);
    }
    store.verify(*p.alloc, 4);
    std::mt19937_64 rng(two_word ? 7 : 3);
    const uint64_t sizes[] = {512, 1024, 4096, 7 * 512, 16384, 65536, 131072};
    for (uint64_t txg = 4; txg < 60; txg++) {
      for (int pass = 1; pass <= 3; pass++) {
        for (int op = 0; op < 60; op++) {
          const SpaceTotals space = p.alloc->pool_space();
          const bool crowded = space.allocated + space.deferred > space.size / 2;
          if (live.empty() || (!crowded && rng() % 2 == 0)) {
            const uint64_t psize = sizes[rng() % 7];
            const int copies = 1 + rng() % 3;
            std::vector<Dva> dvas;
            for (int c = 0; c < copies; c++) {
              auto d = p.alloc->allocate(psize, txg, dvas);
              ASSERT_TRUE(d.ok()) << d.error().message();
              EXPECT_EQ(d->asize(), p.vdevs[d->vdev()]->asize(psize));
              ledger.allocated(*d, txg);
              dvas.push_back(*d);
            }
            for (const Dva& d : dvas) live.push_back({d, txg});
          } else {
            const size_t i = rng() % live.size();
            const Live l = live[i];
            live[i] = live.back();
            live.pop_back();
            ledger.live[l.dva.vdev()].remove(l.dva.offset(), l.dva.asize());
            p.alloc->free(l.dva, l.birth, txg);
            if (l.birth != txg) ledger.deferred(l.dva, txg);
          }
        }
        if (pass == 2 && txg % 7 == 0) store.condense_some(*p.alloc, txg, rng);
        store.sync(*p.alloc, txg, pass);
      }
      p.alloc->sync_done(txg);
      if (txg % 10 == 0) store.verify(*p.alloc, 4);
    }
    store.verify(*p.alloc, 4);
    EXPECT_GT(store.condensed, 10u);
    EXPECT_EQ(p.alloc->rejected_frees(), 0u);
    uint64_t live_bytes = 0;
    for (const RangeSet& s : ledger.live) live_bytes += s.bytes();
    EXPECT_EQ(p.alloc->pool_space().allocated, live_bytes);
    for (uint64_t v = 0; v < 4; v++) {
      auto t = p.alloc->vdev_space(v);
      ASSERT_TRUE(t.ok());
      EXPECT_EQ(t->allocated, ledger.live[v].bytes());
      EXPECT_EQ(t->size, (p.vdevs[v]->asize_total >> p.shifts[v]) << p.shifts[v]);
    }
    // Condensing any metaslab's map yields words that replay to the same set.
    for (uint64_t v = 0; v < 4; v++) {
      for (uint64_t i = 0; i < p.alloc->metaslab_count(v); i++) {
        const Metaslab& m = **p.alloc->metaslab(v, i);
        auto words = encode_condensed_space_map(m.allocated(), m.region(), store.layout, 99, 1);
        ASSERT_TRUE(words.ok());
        auto got = store.replay_words(*words, m.region());
        ASSERT_TRUE(got.ok()) << got.error().message();
        EXPECT_EQ(ranges_of(*got), ranges_of(m.allocated()));
        if (m.object() != 0) {
          const auto& map = store.maps.at(m.object());
          EXPECT_LE(words->size(), map.words.size());
        }
      }
    }
  }
}

TEST(Metaslab, DeferredFreesWaitTwoTxgs) {
  Pool p;
  p.add(leaf(9), 1 << 20, 20);  // one metaslab of 1 MiB
  p.open();
  std::vector<Dva> blocks;
  for (;;) {
    auto d = p.alloc->allocate(128 << 10, 10, {});
    if (!d.ok()) {
      EXPECT_EQ(d.error().code(), ENOSPC);
      break;
    }
    blocks.push_back(*d);
  }
  ASSERT_EQ(blocks.size(), 8u);  // 1 MiB holds eight 128K blocks
  p.alloc->sync_done(10);
  // Freed in txg 11 (born in 10): not reusable in 11, 12 or 13, reusable once 13 synced.
  p.alloc->free(blocks[3], 10, 11);
  for (uint64_t txg = 11; txg <= 13; txg++) {
    EXPECT_FALSE(p.alloc->allocate(128 << 10, txg, {}).ok()) << txg;
    EXPECT_EQ(p.alloc->pool_space().deferred, 128u << 10);
    p.alloc->sync_done(txg);
  }
  auto again = p.alloc->allocate(128 << 10, 14, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->offset(), blocks[3].offset());
  // Born and freed in the same txg: reusable at once.
  p.alloc->free(*again, 14, 14);
  auto now = p.alloc->allocate(512, 14, {});
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(p.alloc->rejected_frees(), 0u);
  // A double free is refused, not recorded.
  p.alloc->free(*again, 14, 14);
  EXPECT_EQ(p.alloc->rejected_frees(), 1u);
}

TEST(Metaslab, FullPoolFailsThenRecoversAfterFrees) {
  Pool p;
  p.add(leaf(9), 4 << 20, 20);
  p.add(leaf(9), 2 << 20, 20);
  p.open();
  MapStore store;
  std::vector<Dva> blocks;
  uint64_t txg = 5;
  for (;; txg++) {
    auto d = p.alloc->allocate(64 << 10, txg, {});
    if (!d.ok()) {
      EXPECT_EQ(d.error().code(), ENOSPC);
      break;
    }
    blocks.push_back(*d);
    store.sync(*p.alloc, txg, 1);
    p.alloc->sync_done(txg);
  }
  EXPECT_EQ(blocks.size(), 96u);  // 6 MiB of 64K blocks
  EXPECT_EQ(p.alloc->pool_space().free(), 0u);
  // Small blocks fail too, and so does a block too large for any metaslab.
  EXPECT_FALSE(p.alloc->allocate(512, txg, {}).ok());
  for (size_t i = 0; i < blocks.size(); i += 2) p.alloc->free(blocks[i], 5, txg);
  store.sync(*p.alloc, txg, 1);
  for (uint64_t t = txg; t < txg + 3; t++) p.alloc->sync_done(t);
  for (size_t i = 0; i < blocks.size(); i += 2) ASSERT_TRUE(p.alloc->allocate(64 << 10, txg + 3, {}).ok()) << i;
  EXPECT_FALSE(p.alloc->allocate(512, txg + 3, {}).ok());
  store.sync(*p.alloc, txg + 3, 1);
  store.verify(*p.alloc, 2);
  EXPECT_FALSE(p.alloc->allocate(8 << 20, txg + 4, {}).ok());
}

TEST(Metaslab, RaidzBlocksTakeParityAndPadding) {
  Pool p;
  p.add(raidz(5, 1, 9), 64 << 20, 24);
  p.add(raidz(6, 2, 9), 64 << 20, 24);
  p.open();
  // raidz1 of 5: 7 data sectors need 2 parity sectors, rounded to a multiple of 2.
  auto a = p.alloc->allocate(7 * 512, 1, {});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->vdev(), 0u);
  EXPECT_EQ(a->asize(), 10u * 512);
  // raidz2 of 6: one sector plus two parity is exactly a multiple of 3.
  std::vector<Dva> one{*a};
  auto b = p.alloc->allocate(512, 1, one);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->vdev(), 1u);
  EXPECT_EQ(b->asize(), 3u * 512);
  // 128K on raidz2 of 6: 256 data sectors, 128 parity.
  std::vector<Dva> two{*b};
  auto c = p.alloc->allocate(128 << 10, 1, two);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->vdev(), 0u);  // the vdev after the previous copy's
  EXPECT_EQ(c->asize(), 320u * 512);  // raidz1 of 5: 256 + 64 parity sectors
}

TEST(Metaslab, CopiesGoToDifferentVdevsThenApartOnOne) {
  Pool p;
  p.add(leaf(9), 32 << 20, 21);
  p.add(leaf(9), 32 << 20, 21);
  p.add(leaf(9), 32 << 20, 21);
  p.open();
  for (int i = 0; i < 50; i++) {
    std::vector<Dva> dvas;
    for (int c = 0; c < 3; c++) {
      auto d = p.alloc->allocate(4096, 3, dvas);
      ASSERT_TRUE(d.ok());
      dvas.push_back(*d);
    }
    EXPECT_NE(dvas[0].vdev(), dvas[1].vdev());
    EXPECT_NE(dvas[0].vdev(), dvas[2].vdev());
    EXPECT_NE(dvas[1].vdev(), dvas[2].vdev());
  }
  // One vdev of 16 metaslabs: copies at least an eighth of the vdev apart.
  Pool q;
  q.add(leaf(9), 64 << 20, 22);
  q.open();
  for (int i = 0; i < 50; i++) {
    std::vector<Dva> dvas;
    for (int c = 0; c < 3; c++) {
      auto d = q.alloc->allocate(16384, 3, dvas);
      ASSERT_TRUE(d.ok());
      for (const Dva& o : dvas) {
        const uint64_t gap = d->offset() > o.offset() ? d->offset() - o.offset() : o.offset() - d->offset();
        EXPECT_GE(gap, (64u << 20) / 8 - (4u << 20)) << d->to_string() << " vs " << o.to_string();
        EXPECT_NE(d->offset() >> 22, o.offset() >> 22);
      }
      dvas.push_back(*d);
    }
  }
  // A single metaslab: the copies still fit, side by side.
  Pool r;
  r.add(leaf(9), 1 << 20, 20);
  r.open();
  std::vector<Dva> dvas;
  for (int c = 0; c < 3; c++) {
    auto d = r.alloc->allocate(512, 3, dvas);
    ASSERT_TRUE(d.ok());
    dvas.push_back(*d);
  }
  EXPECT_EQ(r.alloc->pool_space().allocated, 3u * 512);
}

TEST(Metaslab, RotorBalancesByFreeSpace) {
  // Equal vdevs get equal shares.
  Pool p;
  p.add(leaf(9), 256 << 20, 24);
  p.add(leaf(9), 256 << 20, 24);
  p.open();
  for (int i = 0; i < 1024; i++) ASSERT_TRUE(p.alloc->allocate(128 << 10, 1, {}).ok());
  const uint64_t a0 = p.alloc->vdev_space(0)->allocated, a1 = p.alloc->vdev_space(1)->allocated;
  EXPECT_EQ(a0 + a1, 128u << 20);
  EXPECT_NEAR(double(a0) / double(a1), 1.0, 0.05);
  // A vdev already three-quarters full gets a smaller share than an empty one.
  Pool q;
  q.add(leaf(9), 256 << 20, 24);
  q.add(leaf(9), 256 << 20, 24);
  std::vector<TopVdevSpace::MetaslabState> full(16);
  for (int i = 0; i < 12; i++) full[i].allocated.add(uint64_t(i) << 24, 1 << 24), full[i].object = 50 + i;
  q.open({full});
  EXPECT_EQ(q.alloc->vdev_space(0)->allocated, 192u << 20);
  for (int i = 0; i < 512; i++) {
    auto d = q.alloc->allocate(128 << 10, 1, {});
    ASSERT_TRUE(d.ok());
    if (d->vdev() == 0) {
      EXPECT_GE(d->offset(), 192u << 20);  // never inside the imported allocations
    }
  }
  const uint64_t b0 = q.alloc->vdev_space(0)->allocated - (192u << 20), b1 = q.alloc->vdev_space(1)->allocated;
  EXPECT_LT(double(b0), 0.5 * double(b1));
  EXPECT_GT(b0, 0u);
}

TEST(Metaslab, ImportRefusesBadState) {
  auto v = leaf(9);
  TopVdevSpace t;
  t.vdev = v.get();
  t.asize = 8 << 20;
  t.metaslab_shift = 20;
  t.metaslabs.resize(3);  // 8 expected
  EXPECT_FALSE(MetaslabAllocator::create({t}).ok());
  t.metaslabs.clear();
  t.metaslabs.resize(8);
  t.metaslabs[2].allocated.add((3 << 20) - 512, 1024);  // crosses into metaslab 3
  EXPECT_FALSE(MetaslabAllocator::create({t}).ok());
  t.metaslabs[2].allocated.clear();
  t.metaslabs[2].allocated.add((2 << 20) + 100, 512);  // not sector aligned
  EXPECT_FALSE(MetaslabAllocator::create({t}).ok());
  t.metaslabs[2].allocated.clear();
  t.metaslab_shift = 5;  // below ashift
  EXPECT_FALSE(MetaslabAllocator::create({t}).ok());
  t.metaslab_shift = 20;
  EXPECT_TRUE(MetaslabAllocator::create({t}).ok());
  t.vdev = nullptr;
  EXPECT_FALSE(MetaslabAllocator::create({t}).ok());
}

TEST(Metaslab, ChangesOfOneTxgCancelOut) {
  Pool p;
  p.add(leaf(9), 1 << 20, 20);
  p.open();
  auto a = p.alloc->allocate(4096, 7, {});
  ASSERT_TRUE(a.ok());
  p.alloc->free(*a, 7, 7);  // never reached the map: nothing to write
  EXPECT_TRUE(p.alloc->take_changes(7).empty());
  auto b = p.alloc->allocate(4096, 7, {});
  ASSERT_TRUE(b.ok());
  auto pass1 = p.alloc->take_changes(7);
  ASSERT_EQ(pass1.size(), 1u);
  ASSERT_EQ(pass1[0].batch.ranges.size(), 1u);
  EXPECT_EQ(pass1[0].batch.ranges[0].type, SmType::kAlloc);
  EXPECT_EQ(pass1[0].object, 0u);
  // Written in pass 1, freed in pass 2 and reused in pass 3 of the same txg.
  p.alloc->free(*b, 7, 7);
  auto c = p.alloc->allocate(4096, 7, {});
  ASSERT_TRUE(c.ok());
  auto pass3 = p.alloc->take_changes(7);
  if (c->offset() == b->offset()) {
    EXPECT_TRUE(pass3.empty());
  } else {
    ASSERT_EQ(pass3.size(), 1u);
    EXPECT_EQ(pass3[0].batch.alloc_delta, 0);
  }
  // Changes of a later txg (a ZIL block, say) wait for their own sync.
  ASSERT_TRUE(p.alloc->allocate(512, 9, {}).ok());
  EXPECT_TRUE(p.alloc->take_changes(8).empty());
  EXPECT_EQ(p.alloc->take_changes(9).size(), 1u);
}

TEST(Metaslab, LogDevicesAreFreedButNotAllocated) {
  auto normal = leaf(9), log = leaf(9);
  std::vector<TopVdevSpace> tops(2);
  tops[0].id = 0, tops[0].vdev = normal.get(), tops[0].asize = 8 << 20, tops[0].metaslab_shift = 20;
  tops[1].id = 1, tops[1].vdev = log.get(), tops[1].asize = 4 << 20, tops[1].metaslab_shift = 20;
  tops[1].allocatable = false;
  tops[1].metaslabs.resize(4);
  tops[1].metaslabs[0].allocated.add(0, 64 << 10);
  tops[1].metaslabs[0].object = 77;
  auto a = MetaslabAllocator::create(std::move(tops));
  ASSERT_TRUE(a.ok()) << a.error().message();
  for (int i = 0; i < 100; i++) {
    auto d = (*a)->allocate(4096, 5, {});
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->vdev(), 0u);
  }
  Dva on_log;
  on_log.word[0] = (1ULL << 32) | (65536 >> 9);
  on_log.word[1] = 0;
  (*a)->free(on_log, 2, 5);
  EXPECT_EQ((*a)->rejected_frees(), 0u);
  auto changes = (*a)->take_changes(5);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].vdev, 1u);
  EXPECT_EQ(changes[1].object, 77u);
  EXPECT_EQ(changes[1].batch.alloc_delta, -65536);
  EXPECT_EQ((*a)->pool_space().size, 8u << 20);  // the normal class only
  EXPECT_EQ((*a)->vdev_space(1)->allocated, 0u);
}

TEST(Metaslab, LegacyShiftMatchesZfsFuse) {
  // The zfs-fuse stripe pool of the conformance corpus: asize 95944704, metaslab_shift 19.
  EXPECT_EQ(legacy_metaslab_shift(95944704), 19u);
  EXPECT_EQ(legacy_metaslab_shift(287834112), 21u);  // and its raidz1 pool
  EXPECT_EQ(legacy_metaslab_shift(64 << 20), 19u);  // 335544 bytes per 200th
  EXPECT_EQ(legacy_metaslab_shift(1 << 20), 17u);   // never below 128K
  EXPECT_EQ(legacy_metaslab_shift(1ULL << 40), 33u);
}

TEST(FreeIndex, FirstFitFollowsTheCursorAndBestFitWhenCrowded) {
  FreeIndex f(1 << 20);
  f.add(0, 1 << 20);
  auto a = f.take(4096), b = f.take(4096);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*b, *a + 4096);  // consecutive blocks of one size sit together
  auto c = f.take(512);
  ASSERT_TRUE(c);
  f.add(*a, 4096);
  EXPECT_EQ(f.segments(), 2u);
  EXPECT_EQ(f.bytes(), (1u << 20) - 4096 - 512);
  f.remove(0, 1 << 20);
  EXPECT_EQ(f.bytes(), 0u);
  EXPECT_FALSE(f.take(512));
  // Nearly full: the smallest hole that fits is chosen.
  f.add(100 << 10, 8192);
  f.add(300 << 10, 2048);
  f.add(500 << 10, 4096);
  EXPECT_EQ(f.take(2048), std::optional<uint64_t>(300 << 10));
  EXPECT_EQ(f.take(4096), std::optional<uint64_t>(500 << 10));
  EXPECT_EQ(f.largest(), 8192u);
}

}  // namespace
}  // namespace fzfs
