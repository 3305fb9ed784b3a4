#include "engine/pool/block_check.h"

#include <unordered_set>

#include "engine/dmu/dmu_types.h"

namespace fzfs {
namespace {

constexpr size_t kMaxProblems = 50;
constexpr uint64_t kGangHeaderSize = 512;

struct BlockKey {
  uint64_t vdev, offset, birth;
  bool operator==(const BlockKey&) const = default;
};
struct BlockKeyHash {
  size_t operator()(const BlockKey& k) const {
    return std::hash<uint64_t>()(k.offset * 0x9e3779b97f4a7c15ULL ^ (k.vdev << 48) ^ k.birth);
  }
};

std::string where_text(const BlockOrigin& w) {
  if (w.role == BlockRole::kPendingFree) return fmt::format("pending free in bpobj {} entry {}", w.object, w.blkid);
  const char* role = w.role == BlockRole::kZil          ? "ZIL block of objset"
                     : w.role == BlockRole::kGangMember ? "gang member in objset"
                                                        : "objset";
  return fmt::format("{} {} object {} level {} blkid {}", role, w.objset,
                     w.object == kMetaObject ? std::string("meta") : std::to_string(w.object), w.level, w.blkid);
}

}  // namespace

struct BlockAccounting::State {
  std::vector<const Vdev*> tops;
  PoolSpace space;
  std::vector<RangeSet> claimed;  // per top-level vdev
  std::unordered_set<BlockKey, BlockKeyHash> seen;
  BlockCheckReport report;

  template <typename... Args>
  void problem(fmt::format_string<Args...> f, Args&&... args) {
    if (report.problems.size() < kMaxProblems) report.problems.push_back(fmt::format(f, std::forward<Args>(args)...));
  }
  uint64_t claim(const Blkptr& bp, const Dva& dva, const BlockOrigin& where);
};

BlockAccounting::BlockAccounting(std::vector<const Vdev*> tops, PoolSpace space) : s_(std::make_unique<State>()) {
  s_->tops = std::move(tops);
  s_->space = std::move(space);
  s_->claimed.resize(s_->tops.size());
}

BlockAccounting::~BlockAccounting() = default;

// Claims one DVA's space; returns its allocated size.
uint64_t BlockAccounting::State::claim(const Blkptr& bp, const Dva& dva, const BlockOrigin& where) {
  const uint64_t v = dva.vdev();
  if (v >= tops.size()) {
    problem("{}: DVA {} names vdev {} of {}", where_text(where), dva.to_string(), v, tops.size());
    report.unallocated_bytes += dva.asize();
    report.unallocated_ranges++;
    return dva.asize();
  }
  uint64_t asize = dva.asize();
  if (dva.gang()) {
    report.gang_headers++;
    asize = tops[v]->asize(kGangHeaderSize);  // the members claim the rest
  } else if (uint64_t want = tops[v]->asize(bp.psize()); want != asize) {
    problem("{}: DVA {} records asize {:#x} but a {:#x}-byte block takes {:#x} on vdev {}", where_text(where),
            dva.to_string(), asize, bp.psize(), want, v);
  }
  if (uint64_t dup = claimed[v].add(dva.offset(), asize); dup != 0) {
    report.double_bytes += dup;
    report.double_blocks++;
    problem("{}: DVA {} (birth {}) overlaps {} bytes already claimed by another block", where_text(where),
            dva.to_string(), bp.physical_birth(), dup);
  }
  return asize;
}

bool BlockAccounting::visit(const Blkptr& bp, const BlockOrigin& where) {
  BlockCheckReport& r = s_->report;
  if (bp.embedded()) {
    r.embedded++;
    r.total.add(bp.lsize(), bp.psize(), 0);
    r.by_type[bp.type()].add(bp.lsize(), bp.psize(), 0);
    return true;
  }
  // Snapshots, clones and dedup share blocks: the first DVA and the physical birth name
  // one allocation, however many block pointers point at it.
  if (!s_->seen.insert(BlockKey{bp.dva[0].vdev(), bp.dva[0].offset(), bp.physical_birth()}).second) return false;
  uint64_t asize = 0;
  for (const Dva& dva : bp.dva)
    if (dva.asize() != 0) asize += s_->claim(bp, dva, where);
  if (where.role == BlockRole::kGangMember) return true;  // its bytes are its parent's
  if (where.role == BlockRole::kPendingFree) {
    r.pending_free.add(bp.lsize(), bp.psize(), asize);
    return true;
  }
  r.total.add(bp.lsize(), bp.psize(), asize);
  r.by_type[bp.type()].add(bp.lsize(), bp.psize(), asize);
  return true;
}

BlockCheckReport BlockAccounting::finish() {
  BlockCheckReport& r = s_->report;
  const PoolSpace& space = s_->space;
  r.space_map_alloc = space.smp_alloc_total;
  r.space_map_replayed = space.replayed_total;
  r.log_space_maps = space.log_space_maps;
  r.log_entries = space.log_entries;
  for (size_t v = 0; v < s_->claimed.size(); v++) {
    static const RangeSet kNone;
    const RangeSet& alloc = v < space.vdevs.size() ? space.vdevs[v].allocated : kNone;
    const RangeSet& claimed = s_->claimed[v];
    r.claimed_bytes += claimed.bytes();
    RangeSet leaked = alloc, unalloc = claimed;
    claimed.for_each([&](uint64_t s, uint64_t l) { leaked.remove(s, l); });
    alloc.for_each([&](uint64_t s, uint64_t l) { unalloc.remove(s, l); });
    r.leaked_bytes += leaked.bytes();
    r.leaked_ranges += leaked.ranges();
    r.unallocated_bytes += unalloc.bytes();
    r.unallocated_ranges += unalloc.ranges();
    leaked.for_each([&](uint64_t s, uint64_t l) { s_->problem("leaked: vdev {} [{:#x}, +{:#x})", v, s, l); });
    unalloc.for_each([&](uint64_t s, uint64_t l) {
      s_->problem("referenced but not allocated: vdev {} [{:#x}, +{:#x})", v, s, l);
    });
  }
  return std::move(r);
}

Result<BlockCheckReport> check_block_allocation(PoolImpl& pool) {
  const DslPool& dp = pool.dsl();
  auto space = load_pool_space(dp);
  if (!space.ok()) return std::move(space).error().context("pool {}: space maps", pool.name());
  std::vector<const Vdev*> tops;
  for (const auto& t : pool.spa().root()->children) tops.push_back(t.get());
  BlockAccounting acct(std::move(tops), std::move(*space));
  auto visit = [&](const Blkptr& bp, const BlockOrigin& w) { return acct.visit(bp, w); };
  if (Status s = traverse_pending_frees(dp, visit); !s.ok()) return std::move(s.error()).context("pool {}", pool.name());
  auto stats = traverse_pool(dp, visit);
  if (!stats.ok()) return std::move(stats).error().context("pool {}: traversal", pool.name());
  BlockCheckReport r = acct.finish();
  r.objsets = stats->objsets;
  r.dnodes = stats->dnodes;
  r.zil_blocks = stats->zil_blocks;
  return r;
}

}  // namespace fzfs
