// Damaged and hostile pools through the engine, without FUSE. The promise under test:
// bad input never crashes or hangs the engine, every failure is an Error whose message
// says what failed and where, and redundancy turns garbage on one device into correct
// files plus checksum-error counts on that device.
//
//   truncation, ruined labels/uberblocks   -> import refuses, naming pool or device
//   newest uberblock ruined                -> import opens an older txg
//   seeded corruption of metadata blocks   -> every call succeeds or returns an Error
//     (checksums off, so the bytes reach the parsers)
//   hand-made absurd dnodes, gang/indirect loops, ZAP loops, lying nvlists -> Errors
//   garbage on one device of a mirror/raidz, devices deleted (up to the parity level)
//                                          -> files equal the manifest, cksum counted
//
// Runs in the ASan build too. For a longer soak, FZFS_DAMAGE_SEEDS=N sets the number of
// random seeds per pool; FZFS_DAMAGE_VERBOSE=1 prints every error the walks met.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "engine/checksum/checksum.h"
#include "engine/dmu/objset.h"
#include "engine/io/memory_device.h"
#include "engine/pool/pool.h"
#include "engine/pool/pool_impl.h"
#include "engine/util/byteorder.h"
#include "engine/util/nvlist.h"
#include "engine/vdev/vdev_leaf.h"
#include "engine/zap/zap.h"
#include "engine/zio/block_reader.h"
#include "tests/damage.h"
#include "tests/manifest.h"
#include "tests/pool_fixture.h"
#include "tests/pool_walk.h"
#include "tests/tree.h"

#if defined(__SANITIZE_ADDRESS__)
#define FZFS_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZFS_TEST_ASAN 1
#endif
#endif

#ifdef FZFS_TEST_ASAN
// A corrupt length must never turn into a giant allocation: ASan reports any single
// allocation above 1 GiB as an error instead of trying it.
extern "C" const char* __asan_default_options() { return "max_allocation_size_mb=1024"; }
#endif

namespace fzfs::test {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kKiB = 1024, kMiB = 1024 * 1024;
constexpr uint64_t kLabelSize = 256 * kKiB;
constexpr uint64_t kDataOffset = 4 * kMiB;  // DVA offset 0 is here on a leaf device

std::string zfs_fuse_device(const std::string& pool, const std::string& dev) {
  return conformance_dir() + "/zfs-fuse/" + pool + "/" + dev + ".zst";
}
std::string zfs_fuse_manifest(const std::string& pool) {
  return conformance_dir() + "/zfs-fuse/" + pool + "/manifest.json.zst";
}
std::string blockfile(const std::string& name) {
  return conformance_dir() + "/openzfs/cli_root/zpool_upgrade/blockfiles/" + name;
}

bool corpus_present() { return fs::exists(zfs_fuse_device("zf-stripe", "A")); }

#define REQUIRE_CORPUS() \
  if (!corpus_present()) GTEST_SKIP() << "conformance corpus not found at " << conformance_dir()

int seed_count(int fallback) {
  const char* env = std::getenv("FZFS_DAMAGE_SEEDS");
  return env != nullptr && *env != 0 ? std::max(1, std::atoi(env)) : fallback;
}

ImportOptions options(const PoolWorkspace& ws, const std::string& pool, bool verify = true) {
  ImportOptions o;
  o.search_dirs = {ws.devices()};
  o.pool = pool;
  o.verify_checksums = verify;
  return o;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Aborts the whole test binary, naming the section, if the section outlives its time
// limit: a hang must fail loudly rather than stall the suite until CTest's timeout.
class Watchdog {
 public:
  Watchdog(std::string what, std::chrono::seconds limit)
      : what_(std::move(what)), thread_([this, limit] { watch(limit); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> g(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  void watch(std::chrono::seconds limit) {
    std::unique_lock<std::mutex> l(mu_);
    if (!cv_.wait_for(l, limit, [this] { return done_; })) {
      std::fprintf(stderr, "HANG: %s took more than %lld s\n", what_.c_str(),
                   static_cast<long long>(limit.count()));
      std::abort();
    }
  }

  std::string what_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

const VdevStatusNode* find_node(const VdevStatusNode& n, const std::string& name) {
  if (n.name == name) return &n;
  for (const auto& c : n.children)
    if (const VdevStatusNode* f = find_node(c, name)) return f;
  return nullptr;
}

void collect_leaves(const VdevStatusNode& n, std::vector<const VdevStatusNode*>* out) {
  if (n.children.empty()) out->push_back(&n);
  for (const auto& c : n.children) collect_leaves(c, out);
}

// ---------------------------------------------------------------------------------
// a. Truncated devices.

TEST(EngineDamage, TruncatedDeviceIsRefusedWithAMessage) {
  REQUIRE_CORPUS();
  PoolWorkspace ws;
  const uint64_t full = 96 * kMiB;
  for (uint64_t size : {uint64_t{0}, 100 * kKiB, kMiB, full / 2}) {
    SCOPED_TRACE("truncated to " + std::to_string(size));
    std::string dev = ws.unpack(zfs_fuse_device("zf-stripe", "A"));
    truncate_to(dev, size);
    Watchdog dog("import of a truncated device", std::chrono::seconds(60));
    auto pool = Pool::import(options(ws, "zf-stripe"));
    ASSERT_FALSE(pool.ok()) << "a device cut to " << size << " bytes must not import";
    const std::string& msg = pool.error().message();
    std::printf("truncated to %llu: %s\n", static_cast<unsigned long long>(size), msg.c_str());
    // Without a readable label the pool is simply not there (the tools print
    // "cannot import 'zf-stripe': no such pool available"); past discovery, the
    // message names the pool or the device.
    if (pool.error().code() == ENOENT && msg == "no such pool available") continue;
    EXPECT_TRUE(contains(msg, "zf-stripe") || contains(msg, dev)) << msg;
  }
}

// The corpus's broken mirror: one side is a device cut short. zfs-fuse called it
// UNAVAIL and the pool DEGRADED, and read every file from the other side.
TEST(EngineDamage, ShortSideOfAMirrorIsUnavailable) {
  REQUIRE_CORPUS();
  PoolWorkspace ws;
  std::string short_side = ws.unpack(blockfile("zfs-broken-mirror1.dat.bz2"));
  ws.unpack(blockfile("zfs-broken-mirror2.dat.bz2"));
  PoolManifest m = load_manifest(conformance_dir() + "/openzfs/manifests/zfs-broken-mirror.json.zst");
  Watchdog dog("broken mirror", std::chrono::seconds(120));
  auto pool = Pool::import(options(ws, "zfs-broken-mirror"));
  ASSERT_TRUE(pool.ok()) << pool.error().message();
  EXPECT_EQ((*pool)->health(), "DEGRADED");
  EXPECT_NE(m.status.find("state: DEGRADED"), std::string::npos) << m.status;
  std::vector<const VdevStatusNode*> leaves;
  VdevStatusNode st = (*pool)->status();
  collect_leaves(st, &leaves);
  size_t unavailable = 0;
  for (const VdevStatusNode* leaf : leaves) unavailable += leaf->state == "UNAVAIL";
  EXPECT_EQ(unavailable, 1u);
  WalkReport r = walk_pool(**pool);
  EXPECT_TRUE(r.errors.empty()) << join_lines(r.errors);
  auto diff = manifest_differences(m, r);
  EXPECT_TRUE(diff.empty()) << join_lines(diff);
}

// ---------------------------------------------------------------------------------
// b. Labels and uberblocks.

TEST(EngineDamage, RuinedLabelsAndUberblocksAreRefused) {
  REQUIRE_CORPUS();
  struct Damage {
    const char* what;
    LabelPart part;
    Fill fill;
  };
  const Damage cases[] = {
      {"labels zeroed", LabelPart::kWhole, Fill::kZeros},
      {"label nvlists garbled", LabelPart::kNvlist, Fill::kRandom},
      {"uberblocks zeroed", LabelPart::kUberblocks, Fill::kZeros},
      {"uberblocks garbled", LabelPart::kUberblocks, Fill::kRandom},
  };
  PoolWorkspace ws;
  for (const Damage& d : cases) {
    SCOPED_TRACE(d.what);
    std::string dev = ws.unpack(zfs_fuse_device("zf-stripe", "A"));
    overwrite_labels(dev, d.part, d.fill, 7);
    Watchdog dog(d.what, std::chrono::seconds(60));
    auto pool = Pool::import(options(ws, "zf-stripe"));
    ASSERT_FALSE(pool.ok()) << d.what << " must not import";
    const std::string& msg = pool.error().message();
    std::printf("%s: %s\n", d.what, msg.c_str());
    EXPECT_FALSE(msg.empty());
    if (d.part == LabelPart::kUberblocks) {
      // The labels still name the pool, so the failure is the pool's.
      EXPECT_TRUE(contains(msg, "zf-stripe")) << msg;
    } else {
      EXPECT_EQ(pool.error().code(), ENOENT) << msg;
    }
    auto found = Pool::discover({ws.devices()});
    ASSERT_TRUE(found.ok()) << found.error().message();
  }
}

// Overwrites uberblock slot SLOT (of SLOT_SIZE bytes) in all four labels of a device.
void garble_uberblock_slot(const std::string& path, uint64_t slot, uint64_t slot_size) {
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path;
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  uint64_t size = static_cast<uint64_t>(st.st_size) / kLabelSize * kLabelSize;
  std::vector<uint8_t> junk(slot_size);
  std::mt19937_64 rng(slot);
  for (auto& b : junk) b = static_cast<uint8_t>(rng());
  for (uint64_t label : {uint64_t{0}, kLabelSize, size - 2 * kLabelSize, size - kLabelSize}) {
    uint64_t off = label + 128 * kKiB + slot * slot_size;
    ASSERT_EQ(pwrite(fd, junk.data(), junk.size(), static_cast<off_t>(off)), static_cast<ssize_t>(junk.size()));
  }
  close(fd);
}

TEST(EngineDamage, RuinedNewestUberblockFallsBackToAnOlderTxg) {
  REQUIRE_CORPUS();
  PoolWorkspace ws;
  std::string dev = ws.unpack(zfs_fuse_device("zf-stripe", "A"));
  uint64_t newest_txg = 0, slot = 0, ashift = 9;
  {
    auto pool = PoolImpl::import(options(ws, "zf-stripe"));
    ASSERT_TRUE(pool.ok()) << pool.error().message();
    const Uberblock& ub = (*pool)->dsl().uberblock();
    newest_txg = ub.txg;
    slot = static_cast<uint64_t>(ub.slot);
    if (const NvList* vt = (*pool)->spa().config().get_nvlist("vdev_tree"))
      ashift = vt->get_u64("ashift").value_or(9);
  }
  garble_uberblock_slot(dev, slot, uberblock_slot_size(ashift));
  Watchdog dog("import at an older txg", std::chrono::seconds(120));
  auto pool = PoolImpl::import(options(ws, "zf-stripe"));
  ASSERT_TRUE(pool.ok()) << pool.error().message();
  EXPECT_LT((*pool)->dsl().uberblock().txg, newest_txg);
  auto ds = (*pool)->datasets();
  ASSERT_TRUE(ds.ok()) << ds.error().message();
  EXPECT_FALSE(ds->empty());
  auto fsys = (*pool)->open_filesystem("zf-stripe/data");
  ASSERT_TRUE(fsys.ok()) << fsys.error().message();
  WalkReport r;
  walk_filesystem(**fsys, r, r.trees["zf-stripe/data"]);
  EXPECT_TRUE(r.errors.empty()) << join_lines(r.errors);
}

// ---------------------------------------------------------------------------------
// c. Seeded corruption of metadata, read without checksums.

struct Extent {
  uint64_t offset, size;  // on the device file
  bool operator<(const Extent& o) const { return offset != o.offset ? offset < o.offset : size < o.size; }
};

// Where the metadata of a single-device pool lives: the MOS and every dataset's objset
// block, their dnode blocks, and the blocks of the first objects of each (object
// directory, DSL dirs and datasets, ZPL master node, root directory, ...).
class MetadataMap {
 public:
  explicit MetadataMap(PoolImpl& pool) : pool_(pool) {}

  std::vector<Extent> collect() {
    add_bp(pool_.dsl().uberblock().rootbp);
    add_objset(pool_.dsl().mos());
    auto nodes = pool_.dsl().walk();
    if (nodes.ok()) {
      for (const DslNode& n : *nodes) {
        if (n.os_type != ObjsetType::kZfs) continue;
        add_bp(n.ds.bp);
        auto os = Objset::open(pool_.spa().reader(), n.ds.bp);
        if (os.ok()) add_objset(**os);
      }
    }
    return {extents_.begin(), extents_.end()};
  }

 private:
  void add_bp(const Blkptr& bp) {
    if (bp.embedded() || bp.is_hole()) return;
    // Only the first copy: without checksums the reader never needs the others.
    const Dva& d = bp.dva[0];
    if (d.empty() || d.vdev() != 0 || d.gang()) return;
    extents_.insert(Extent{kDataOffset + d.offset(), bp.psize()});
  }
  void add_object(const Objset& os, const Dnode& dn) {
    for (const Blkptr& bp : dn.blkptr) add_bp(bp);  // top of the tree (maybe indirect)
    for (uint64_t b = 0; b <= std::min<uint64_t>(dn.maxblkid, 15); b++) {
      auto bp = os.level0_bp(dn, b);
      if (bp.ok()) add_bp(*bp);
    }
  }
  void add_objset(const Objset& os) {
    add_object(os, os.meta_dnode());
    for (uint64_t obj = 1; obj < std::min<uint64_t>(os.max_object(), 48); obj++) {
      auto dn = os.dnode(obj);
      if (dn.ok()) add_object(os, *dn);
    }
  }

  PoolImpl& pool_;
  std::set<Extent> extents_;
};

// Overwrites a few random bytes (or a whole random sector) inside a few of the extents
// and puts the original bytes back when it goes away.
class Corruption {
 public:
  Corruption(const std::string& path, const std::vector<Extent>& extents, uint64_t seed) {
    fd_ = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("open " + path);
    std::mt19937_64 rng(seed);
    // Mostly a few hits (one bad structure at a time), sometimes many at once.
    int hits = rng() % 8 == 0 ? 16 : 1 + static_cast<int>(rng() % 3);
    for (int h = 0; h < hits; h++) {
      const Extent& e = extents[rng() % extents.size()];
      if (rng() % 4 == 0) {
        uint64_t sector = e.offset + (rng() % std::max<uint64_t>(1, e.size / 512)) * 512;
        std::vector<uint8_t> junk(512);
        for (auto& b : junk) b = static_cast<uint8_t>(rng());
        patch(sector, junk);
      } else {
        for (int i = 0, n = 1 + static_cast<int>(rng() % 8); i < n; i++) {
          uint8_t b = static_cast<uint8_t>(rng() % 3 == 0 ? 0xff : rng());
          patch(e.offset + rng() % e.size, {b});
        }
      }
    }
  }
  ~Corruption() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it)
      (void)!pwrite(fd_, it->second.data(), it->second.size(), static_cast<off_t>(it->first));
    close(fd_);
  }

 private:
  void patch(uint64_t off, const std::vector<uint8_t>& bytes) {
    std::vector<uint8_t> old(bytes.size());
    if (pread(fd_, old.data(), old.size(), static_cast<off_t>(off)) != static_cast<ssize_t>(old.size())) return;
    saved_.emplace_back(off, std::move(old));
    (void)!pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(off));
  }

  int fd_ = -1;
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> saved_;
};

uint64_t peak_rss_bytes() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;
}

struct CorruptionCase {
  std::string pool;
  std::string source;  // one device
  int seeds;
};

void PrintTo(const CorruptionCase& c, std::ostream* os) { *os << c.pool; }

class EngineCorruption : public ::testing::TestWithParam<CorruptionCase> {};

TEST_P(EngineCorruption, EveryCallSucceedsOrFailsCleanly) {
  REQUIRE_CORPUS();
  const CorruptionCase& c = GetParam();
  PoolWorkspace ws;
  std::string dev = ws.unpack(c.source);
  std::vector<Extent> extents;
  {
    auto pool = PoolImpl::import(options(ws, c.pool));
    ASSERT_TRUE(pool.ok()) << pool.error().message();
    extents = MetadataMap(**pool).collect();
  }
  ASSERT_GT(extents.size(), 5u) << "found too few metadata blocks to corrupt";

  const uint64_t rss_before = peak_rss_bytes();
  int imported = 0, failed_calls = 0, seeds = seed_count(c.seeds);
  for (int seed = 1; seed <= seeds; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Corruption damage(dev, extents, static_cast<uint64_t>(seed));
    Watchdog dog(c.pool + " seed " + std::to_string(seed), std::chrono::seconds(60));
    try {
      auto pool = Pool::import(options(ws, c.pool, /*verify=*/false));
      if (!pool.ok()) {
        EXPECT_FALSE(pool.error().message().empty());
        if (std::getenv("FZFS_DAMAGE_VERBOSE") != nullptr)
          std::printf("  seed %d: import: %s\n", seed, pool.error().message().c_str());
        continue;
      }
      imported++;
      WalkReport r = walk_pool(**pool);
      EXPECT_EQ(r.empty_messages, 0u) << join_lines(r.errors);
      failed_calls += static_cast<int>(r.errors.size());
      if (std::getenv("FZFS_DAMAGE_VERBOSE") != nullptr) {
        for (const auto& e : r.errors) std::printf("  seed %d: %s\n", seed, e.c_str());
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "seed " << seed << ": the engine threw " << e.what();
    }
  }
  // A corrupt length may make a parser allocate once, but never absurdly (ASan caps
  // single allocations at 1 GiB; this catches many large ones in the normal build).
  EXPECT_LT(peak_rss_bytes() - rss_before, uint64_t{1} << 30);
  std::printf("%s: %d seeds, %d imported, %d failed calls\n", c.pool.c_str(), seeds, imported, failed_calls);
}

std::vector<CorruptionCase> corruption_cases() {
  return {
      {"v1-pool", blockfile("zfs-pool-v1.dat.bz2"), 40},
      {"v15-pool", blockfile("zfs-pool-v15.dat.bz2"), 40},
      {"zf-stripe", zfs_fuse_device("zf-stripe", "A"), 3},
      // v5000: system attributes, feature ZAPs.
      {"unclean_export", conformance_dir() + "/openzfs/cli_root/zpool_import/blockfiles/unclean_export.dat.bz2", 40},
  };
}

INSTANTIATE_TEST_SUITE_P(Corpus, EngineCorruption, ::testing::ValuesIn(corruption_cases()),
                         [](const auto& info) {
                           std::string n = info.param.pool;
                           for (char& ch : n) if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

// ---------------------------------------------------------------------------------
// c. Hand-made structures at the parsers' boundaries.

// A root vdev with one in-memory leaf: DVA offset X is byte kDataOffset + X of `mem`.
class MemoryPool {
 public:
  MemoryPool() : mem_(std::make_shared<MemoryDevice>("mem0", 8 * kMiB)) {
    root_.children.push_back(std::make_unique<LeafVdev>("file", "mem0", mem_));
    reader_ = std::make_unique<BlockReader>(&root_, 4 * kMiB);
    reader_->set_checksum_verification(false);
  }
  BlockReader* reader() { return reader_.get(); }
  uint8_t* at(uint64_t dva_offset) { return mem_->bytes().data() + kDataOffset + dva_offset; }

  // An uncompressed, little-endian block pointer to SIZE bytes at DVA offset OFF.
  static Blkptr bp(uint64_t off, uint64_t size, uint8_t type, uint8_t level, bool gang = false) {
    Blkptr b;
    b.dva[0].word[0] = size >> 9;
    b.dva[0].word[1] = (off >> 9) | (gang ? uint64_t{1} << 63 : 0);
    b.prop = ((size >> 9) - 1) | (((size >> 9) - 1) << 16) | (uint64_t{2} << 32) /* compress off */ |
             (uint64_t{2} << 40) /* checksum off */ | (uint64_t{type} << 48) | (uint64_t{level} << 56) |
             (uint64_t{1} << 63);
    b.birth = 1;
    b.fill = 1;
    return b;
  }
  void put_bp(uint64_t dva_offset, const Blkptr& b) {
    uint8_t tmp[kBlkptrSize];
    b.encode(tmp);
    if (!Blkptr::kHostLittleEndian()) return;  // the layout below is little-endian
    std::memcpy(at(dva_offset), tmp, kBlkptrSize);
  }

 private:
  class Root final : public Vdev {
   public:
    const char* type() const override { return "root"; }
    std::string name() const override { return "mem"; }
    VdevState state() const override { return VdevState::kOnline; }
    Status read(uint64_t, std::span<uint8_t>, const BlockVerifier&) override { return make_error(EIO, "root"); }
    Status write(uint64_t, std::span<const uint8_t>) override { return make_error(EIO, "root"); }
    Status flush() override { return Status::Ok(); }
    uint64_t asize(uint64_t p) const override { return p; }
  };
  std::shared_ptr<MemoryDevice> mem_;
  Root root_;
  std::unique_ptr<BlockReader> reader_;
};

struct DnodeFields {
  uint8_t type = 19, indblkshift = 14, nlevels = 1, nblkptr = 1;
  uint16_t datablkszsec = 1, bonuslen = 0;
  uint8_t extra_slots = 0;
  uint64_t maxblkid = 0;
};

void put_dnode(uint8_t* p, const DnodeFields& f) {
  std::memset(p, 0, kDnodeSize);
  p[0] = f.type;
  p[1] = f.indblkshift;
  p[2] = f.nlevels;
  p[3] = f.nblkptr;
  store<uint16_t>(p + 8, f.datablkszsec);
  store<uint16_t>(p + 10, f.bonuslen);
  p[12] = f.extra_slots;
  store<uint64_t>(p + 16, f.maxblkid);
}

// Every call on an object must end, and every failure must carry a message.
void exercise_object(const Objset& os, uint64_t obj) {
  auto dn = os.dnode(obj);
  if (!dn.ok()) {
    EXPECT_FALSE(dn.error().message().empty());
    return;
  }
  for (uint64_t blkid : {uint64_t{0}, uint64_t{1}, dn->maxblkid, ~uint64_t{0}}) {
    auto bp = os.level0_bp(*dn, blkid);
    if (!bp.ok()) { EXPECT_FALSE(bp.error().message().empty()); }
  }
  std::vector<uint8_t> buf(4096);
  for (uint64_t off : {uint64_t{0}, uint64_t{1} << 40, ~uint64_t{0} - 8192}) {
    Status s = os.read(*dn, off, buf);
    if (!s.ok()) { EXPECT_FALSE(s.error().message().empty()); }
  }
  auto zap = ZapReader::open(*os.object_data(*dn));
  if (zap.ok()) {
    Status s = zap->list([](const ZapEntry&) { return true; });
    if (!s.ok()) { EXPECT_FALSE(s.error().message().empty()); }
  }
}

// An objset whose meta-dnode points at one 16 KiB dnode block; object 1 is `obj`.
// Layout in DVA space: 0 objset_phys (2 KiB), 64K dnode block, 128K.. free for blocks.
std::shared_ptr<Objset> build_objset(MemoryPool& mp, const DnodeFields& obj,
                                     const std::vector<Blkptr>& obj_bps) {
  DnodeFields meta;
  meta.type = 10;  // DMU_OT_DNODE
  meta.datablkszsec = 32;
  put_dnode(mp.at(0), meta);
  mp.put_bp(64, MemoryPool::bp(64 * kKiB, 16 * kKiB, 10, 0));
  store<uint64_t>(mp.at(704), 2);  // a ZPL objset
  std::memset(mp.at(64 * kKiB), 0, 16 * kKiB);
  put_dnode(mp.at(64 * kKiB + kDnodeSize), obj);
  for (size_t i = 0; i < obj_bps.size() && i < 3; i++) mp.put_bp(64 * kKiB + kDnodeSize + 64 + i * kBlkptrSize, obj_bps[i]);
  auto os = Objset::open(mp.reader(), MemoryPool::bp(0, 2 * kKiB, 11, 0));
  EXPECT_TRUE(os.ok()) << os.error().message();
  return os.ok() ? *os : nullptr;
}

TEST(EngineDamage, AbsurdDnodesFailCleanly) {
  const DnodeFields absurd[] = {
      {19, 17, 10, 1, 32, 0, 0, ~uint64_t{0}},  // deepest tree allowed, every level a hole
      {19, 17, 255, 1, 32, 0, 0, 0},            // more levels than 2^64 bytes need
      {19, 0, 3, 1, 32, 0, 0, 100},             // indirect blocks of 1 byte
      {19, 63, 3, 1, 32, 0, 0, 100},            // indirect blocks of 2^63 bytes
      {19, 14, 1, 1, 0, 0, 0, 0},               // data blocks of 0 bytes
      {19, 14, 1, 1, 0xffff, 0, 0, 1000},       // data blocks of 32 MiB
      {19, 14, 1, 3, 1, 0xffff, 0, 0},          // bonus far past the dnode
      {19, 14, 1, 0, 1, 0, 0, 0},               // no block pointers at all
      {19, 14, 1, 200, 1, 0, 0, 0},             // 200 block pointers in 512 bytes
      {19, 14, 1, 1, 1, 0, 250, 0},             // slots past the dnode block
  };
  for (const DnodeFields& f : absurd) {
    SCOPED_TRACE(fmt::format("nlevels {} indblkshift {} datablkszsec {} nblkptr {} bonuslen {} slots {}",
                             f.nlevels, f.indblkshift, f.datablkszsec, f.nblkptr, f.bonuslen, f.extra_slots));
    MemoryPool mp;
    // The top block pointer leads to an indirect block at 128K whose pointers all
    // point back at itself.
    Blkptr top = MemoryPool::bp(128 * kKiB, 16 * kKiB, 19, static_cast<uint8_t>(f.nlevels > 1 ? f.nlevels - 1 : 0));
    for (uint64_t i = 0; i < 16 * kKiB / kBlkptrSize; i++) {
      Blkptr self = top;
      self.prop = (self.prop & ~(uint64_t{0x1f} << 56)) | (uint64_t{(f.nlevels > 2 ? f.nlevels - 2 : 0) & 0x1fu} << 56);
      mp.put_bp(128 * kKiB + i * kBlkptrSize, self);
    }
    auto os = build_objset(mp, f, {top});
    ASSERT_NE(os, nullptr);
    Watchdog dog("absurd dnode", std::chrono::seconds(30));
    exercise_object(*os, 1);
    (void)os->max_object();
  }
}

// Writes a gang header's trailer: sha256 over the 512 bytes with the verifier (DVA[0]
// vdev and offset, birth txg) in the checksum field, magic in host order.
void seal_gang_header(uint8_t* hdr, const Blkptr& bp) {
  std::span<uint8_t> block(hdr, 512);
  uint8_t* eck = hdr + 512 - 40;
  store<uint64_t>(eck, kZecMagic);
  const uint64_t verifier[4] = {bp.dva[0].vdev(), bp.dva[0].offset(), bp.physical_birth(), 0};
  std::memcpy(eck + 8, verifier, sizeof verifier);
  Cksum sum;
  ASSERT_TRUE(compute_checksum(ChecksumType::kSha256, block, false, &sum));
  std::memcpy(eck + 8, sum.w, sizeof sum.w);
}

TEST(EngineDamage, AbsurdBlockPointersFailCleanly) {
  MemoryPool mp;
  struct BpCase {
    const char* what;
    Blkptr bp;
  };
  Blkptr past_end = MemoryPool::bp(uint64_t{1} << 40, 16 * kKiB, 19, 0);
  Blkptr no_vdev = MemoryPool::bp(128 * kKiB, 16 * kKiB, 19, 0);
  no_vdev.dva[0].word[0] |= uint64_t{7} << 32;
  Blkptr gang_loop = MemoryPool::bp(256 * kKiB, 16 * kKiB, 19, 0, /*gang=*/true);
  // A gang header (512 bytes) whose three children are the gang block itself, sealed
  // with its embedded checksum (checked even with verification off) so the reader
  // follows the loop.
  for (int i = 0; i < 3; i++) mp.put_bp(256 * kKiB + i * kBlkptrSize, gang_loop);
  seal_gang_header(mp.at(256 * kKiB), gang_loop);
  Blkptr huge = MemoryPool::bp(128 * kKiB, 16 * kKiB, 19, 0);
  huge.prop |= 0xffff;  // lsize 32 MiB from 16 KiB
  Blkptr bad_compress = MemoryPool::bp(128 * kKiB, 16 * kKiB, 19, 0);
  bad_compress.prop = (bad_compress.prop & ~(uint64_t{0x7f} << 32)) | (uint64_t{0x7f} << 32);
  Blkptr embedded_lie;
  embedded_lie.prop = (uint64_t{1} << 39) | 0x1ffffff | (uint64_t{0x7f} << 25) | (uint64_t{3} << 32);
  const BpCase cases[] = {{"DVA past the end of the device", past_end},
                          {"DVA on a vdev that does not exist", no_vdev},
                          {"gang block that contains itself", gang_loop},
                          {"lsize far above psize", huge},
                          {"unknown compression", bad_compress},
                          {"embedded payload that lies about its sizes", embedded_lie}};
  for (const BpCase& c : cases) {
    SCOPED_TRACE(c.what);
    Watchdog dog(c.what, std::chrono::seconds(30));
    auto r = mp.reader()->read(c.bp);
    std::printf("%s: %s\n", c.what, r.ok() ? "read" : r.error().message().c_str());
    if (!r.ok()) { EXPECT_FALSE(r.error().message().empty()); }
    // As an object's only block pointer, through the objset.
    MemoryPool mp2;
    auto os = build_objset(mp2, DnodeFields{19, 14, 1, 1, 32, 0, 0, 0}, {c.bp});
    ASSERT_NE(os, nullptr);
    exercise_object(*os, 1);
  }
  auto r = mp.reader()->read(past_end);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message(), past_end.dva[0].to_string())) << r.error().message();
}

// A fat ZAP in memory: block 0 the header (pointer table embedded), block 1 one leaf
// holding entry "name" -> 42.
class FatZap final : public ObjectData {
 public:
  static constexpr int kShift = 14;
  static constexpr uint64_t kBs = uint64_t{1} << kShift;
  FatZap() : blocks_(3, std::vector<uint8_t>(kBs, 0)) {
    uint8_t* h = blocks_[0].data();
    store<uint64_t>(h + 0, (uint64_t{1} << 63) + 1);
    store<uint64_t>(h + 8, 0x2F52AB2ABULL);
    store<uint64_t>(h + 32, 0);  // pointer table of 2^0 entries, embedded
    store<uint64_t>(h + 64, 1);  // one leaf
    store<uint64_t>(h + 72, 1);  // one entry
    store<uint64_t>(h + 96, 1);  // hash64
    ptrtbl(0) = 1;
    uint8_t* l = blocks_[1].data();
    store<uint64_t>(l + 0, uint64_t{1} << 63);
    store<uint32_t>(l + 24, 0x2AB1EAF);
    store<uint16_t>(l + 30, 1);  // nentries
    const uint64_t hash_entries = uint64_t{1} << (kShift - 5);
    for (uint64_t i = 0; i < hash_entries; i++) store<uint16_t>(l + 48 + 2 * i, 0xffff);
    store<uint16_t>(l + 48, 0);  // bucket 0 -> chunk 0
    uint8_t* c0 = chunk(0);
    c0[0] = 252;
    c0[1] = 8;                       // value int length
    store<uint16_t>(c0 + 2, 0xffff);  // next entry in the bucket
    store<uint16_t>(c0 + 4, 1);       // name chunk
    store<uint16_t>(c0 + 6, 5);       // "name\0"
    store<uint16_t>(c0 + 8, 2);       // value chunk
    store<uint16_t>(c0 + 10, 1);
    uint8_t* c1 = chunk(1);
    c1[0] = 251;
    std::memcpy(c1 + 1, "name", 5);
    store<uint16_t>(c1 + 22, 0xffff);
    uint8_t* c2 = chunk(2);
    c2[0] = 251;
    c2[8] = 42;  // big-endian u64 42
    store<uint16_t>(c2 + 22, 0xffff);
  }
  uint64_t& ptrtbl(uint64_t i) { return *reinterpret_cast<uint64_t*>(blocks_[0].data() + kBs / 2 + 8 * i); }
  uint8_t* chunk(uint64_t i) { return blocks_[1].data() + 48 + (uint64_t{1} << (kShift - 4)) + 24 * i; }
  uint8_t* header() { return blocks_[0].data(); }

  uint64_t object() const override { return 77; }
  uint64_t block_size() const override { return kBs; }
  uint64_t max_blkid() const override { return blocks_.size() - 1; }
  Result<std::vector<uint8_t>> read_block(uint64_t blkid, bool* foreign) const override {
    *foreign = false;
    if (blkid >= blocks_.size()) return std::vector<uint8_t>(kBs, 0);
    return blocks_[blkid];
  }

 private:
  std::vector<std::vector<uint8_t>> blocks_;
};

// Opens, lists and looks up; returns how many entries the listing produced.
size_t exercise_zap(const ObjectData& obj) {
  Watchdog dog("ZAP", std::chrono::seconds(30));
  auto zap = ZapReader::open(obj);
  if (!zap.ok()) {
    EXPECT_FALSE(zap.error().message().empty());
    return 0;
  }
  size_t n = 0;
  Status s = zap->list([&](const ZapEntry&) { return ++n < 1000000; });
  if (!s.ok()) { EXPECT_FALSE(s.error().message().empty()); }
  EXPECT_LT(n, 1000000u) << "a looping chain must not produce endless entries";
  for (const char* name : {"name", "other"}) {
    auto r = zap->lookup(name);
    if (!r.ok()) { EXPECT_FALSE(r.error().message().empty()); }
  }
  return n;
}

TEST(EngineDamage, ZapLoopsAndLiesFailCleanly) {
  {
    FatZap good;
    auto zap = ZapReader::open(good);
    ASSERT_TRUE(zap.ok()) << zap.error().message();
    auto all = zap->list_all();
    ASSERT_TRUE(all.ok()) << all.error().message();
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0].name, "name");
  }
  struct Mutation {
    const char* what;
    std::function<void(FatZap&)> apply;
  };
  const Mutation cases[] = {
      {"pointer table points at the header", [](FatZap& z) { z.ptrtbl(0) = 0; }},
      {"pointer table points past the object", [](FatZap& z) { z.ptrtbl(0) = 1000000; }},
      {"pointer table points at an empty block", [](FatZap& z) { z.ptrtbl(0) = 2; }},
      {"entry chain loops on itself", [](FatZap& z) { store<uint16_t>(z.chunk(0) + 2, 0); }},
      {"name chain loops on itself", [](FatZap& z) { store<uint16_t>(z.chunk(1) + 22, 1); }},
      {"name longer than the leaf", [](FatZap& z) { store<uint16_t>(z.chunk(0) + 6, 0xfff0); }},
      {"value of 65535 ints", [](FatZap& z) { store<uint16_t>(z.chunk(0) + 10, 0xffff); }},
      {"chunk index past the leaf", [](FatZap& z) { store<uint16_t>(z.chunk(0) + 4, 0xfffe); }},
      {"external pointer table past the object",
       [](FatZap& z) {
         store<uint64_t>(z.header() + 16, uint64_t{1} << 40);
         store<uint64_t>(z.header() + 24, uint64_t{1} << 30);
         store<uint64_t>(z.header() + 32, 40);
       }},
      {"pointer table of 2^63 entries", [](FatZap& z) { store<uint64_t>(z.header() + 32, 63); }},
  };
  for (const Mutation& m : cases) {
    SCOPED_TRACE(m.what);
    FatZap z;
    m.apply(z);
    exercise_zap(z);
  }
}

TEST(EngineDamage, LyingNvlistsFailCleanly) {
  NvList inner;
  inner.add_string("path", "/dev/sda");
  inner.add_u64("guid", 1234);
  NvList nvl;
  nvl.add_string("name", "tank");
  nvl.add_u64("version", 5000);
  nvl.add_nvlist("vdev_tree", inner);
  nvl.add_nvlist_array("children", {inner, inner});
  const std::vector<uint8_t> good = nvl.encode_xdr();
  ASSERT_TRUE(NvList::decode(good).ok());
  Watchdog dog("nvlist", std::chrono::seconds(60));
  auto check = [](std::span<const uint8_t> bytes) {
    auto r = NvList::decode(bytes);
    if (!r.ok()) { EXPECT_FALSE(r.error().message().empty()); }
  };
  // Every prefix: lengths then point past the end of the buffer.
  for (size_t n = 0; n < good.size(); n++) check(std::span(good.data(), n));
  // Every 32-bit field set to values that lie about sizes and counts.
  for (size_t off = 0; off + 4 <= good.size(); off += 4) {
    for (uint32_t lie : {0xffffffffu, 0x7fffffffu, 0x10000u, 0u, 1u}) {
      std::vector<uint8_t> bad = good;
      store<uint32_t>(bad.data() + off, lie);
      check(bad);
    }
  }
}

// ---------------------------------------------------------------------------------
// d. Redundancy with checksums on.

struct RedundantCase {
  std::string pool;
  std::vector<std::string> devices;
  std::set<std::string> missing;  // deleted before import
  std::string garbled;            // gets random bytes over 1% of its data blocks
};

void PrintTo(const RedundantCase& c, std::ostream* os) { *os << c.pool << " garbled " << c.garbled; }

// Damage the pool's redundancy can cover: files must equal the manifest, checksum errors
// must be counted on the garbled device and nowhere else.
class EngineRedundancy : public ::testing::TestWithParam<RedundantCase> {};

TEST_P(EngineRedundancy, FilesMatchManifestAndErrorsAreCounted) {
  REQUIRE_CORPUS();
  const RedundantCase& c = GetParam();
  PoolWorkspace ws;
  std::string garbled;
  for (const auto& d : c.devices) {
    if (c.missing.count(d)) continue;
    std::string path = ws.unpack(zfs_fuse_device(c.pool, d));
    if (d == c.garbled) garbled = path;
  }
  if (!garbled.empty()) {
    ASSERT_GT(garble_data_blocks(garbled, 0.01, 11), 0u);
  }
  PoolManifest m = load_manifest(zfs_fuse_manifest(c.pool));

  Watchdog dog(c.pool + " with damage", std::chrono::seconds(300));
  auto pool = Pool::import(options(ws, c.pool));
  ASSERT_TRUE(pool.ok()) << pool.error().message();
  EXPECT_EQ((*pool)->health(), c.missing.empty() ? "ONLINE" : "DEGRADED");
  WalkReport r = walk_pool(**pool);
  EXPECT_TRUE(r.errors.empty()) << join_lines(r.errors);
  auto diff = manifest_differences(m, r);
  EXPECT_TRUE(diff.empty()) << join_lines(diff);

  VdevStatusNode st = (*pool)->status();
  std::vector<const VdevStatusNode*> leaves;
  collect_leaves(st, &leaves);
  ASSERT_EQ(leaves.size(), c.devices.size());
  if (!garbled.empty()) {
    ASSERT_NE(find_node(st, garbled), nullptr) << "the garbled device is not in the status tree";
  }
  for (const VdevStatusNode* leaf : leaves) {
    SCOPED_TRACE(leaf->name);
    if (leaf->name == garbled) EXPECT_GT(leaf->cksum_errors, 0u);
    else EXPECT_EQ(leaf->cksum_errors, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    ZfsFuse, EngineRedundancy,
    ::testing::Values(RedundantCase{"zf-mirror", {"A", "B"}, {}, "A"},
                      RedundantCase{"zf-mirror", {"A", "B"}, {"A"}, ""},
                      RedundantCase{"zf-raidz1", {"A", "B", "C"}, {}, "A"},
                      RedundantCase{"zf-raidz1", {"A", "B", "C"}, {"B"}, ""},
                      RedundantCase{"zf-raidz2", {"A", "B", "C", "D"}, {"A"}, "B"},
                      RedundantCase{"zf-raidz3", {"A", "B", "C", "D", "E"}, {"A", "B"}, "C"}),
    [](const auto& info) {
      std::string n = info.param.pool;
      for (const auto& d : info.param.missing) n += "_missing" + d;
      if (!info.param.garbled.empty()) n += "_garbled" + info.param.garbled;
      for (char& ch : n) if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

}  // namespace
}  // namespace fzfs::test
