// The physical commit path against a real ZFS: fzfs opens a copy of a zfs-fuse corpus
// pool, commits txg + 1 (same MOS root, new timestamp, label configs rewritten for the
// new txg) through sync_labels, and then
//   - fzfs itself reopens the pool at the new txg and reads its datasets;
//   - zfs-fuse imports it, scrubs it with 0 errors, reads a file whose sha256 the
//     manifest gives, and exports it; the uberblock it started from is ours (its slot
//     still holds our uberblock, which zfs-fuse would have replaced had it rolled back).
// Labelled "integration"; skips when zfs-fuse or the corpus is absent.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>

#include "engine/pool/pool.h"
#include "engine/spa/label_sync.h"
#include "engine/spa/spa.h"
#include "engine/vdev/label.h"
#include "tests/corpus.h"
#include "tests/manifest.h"
#include "tests/pool_fixture.h"
#include "tests/zfs_fuse.h"

namespace fzfs::test {
namespace {

const PoolCase* find_case(const std::vector<PoolCase>& cases, const std::string& pool) {
  for (const auto& c : cases)
    if (c.pool == pool) return &c;
  return nullptr;
}

Result<PoolCandidate> candidate(const std::string& dir, const std::string& pool) {
  for (auto& c : group_pools(scan_devices({dir})))
    if (c.name == pool) return c;
  return make_error(ENOENT, "pool {} not found in {}", pool, dir);
}

// A regular, non-empty file of POOL/data with its manifest hash.
std::pair<std::string, FileEntry> pick_file(const PoolManifest& m, const std::string& dataset) {
  const DatasetManifest* ds = m.find(dataset);
  if (!ds || !ds->files) return {};
  std::pair<std::string, FileEntry> best;
  for (const auto& [path, e] : *ds->files)
    if (e.sha256 && e.size && *e.size > (best.second.size ? *best.second.size : 0)) best = {path, e};
  return best;
}

// The uberblock in slot txg % slots of label 0 of a device (nullopt if none verifies).
std::optional<Uberblock> uberblock_in_slot(const std::string& path, uint64_t txg) {
  auto dev = open_file_device(path, false, false);
  if (!dev.ok()) return std::nullopt;
  auto labels = read_vdev_labels(**dev);
  const uint64_t size = uberblock_slot_size(9);
  const uint64_t slot = uberblock_slot_for_txg(txg, 9);
  if (labels[0].ring.empty()) return std::nullopt;
  return Uberblock::parse(std::span(labels[0].ring).subspan(slot * size, size),
                          labels[0].ring_offset + slot * size);
}

class LabelRewrite : public ::testing::TestWithParam<std::string> {};

TEST_P(LabelRewrite, ZfsFuseImportsAndScrubsClean) {
  const std::string pool = GetParam();
  if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
  auto cases = zfs_fuse_pools();
  const PoolCase* pc = find_case(cases, pool);
  if (!pc) GTEST_SKIP() << "corpus pool " << pool << " absent";

  PoolWorkspace ws;
  std::vector<std::string> devices;
  for (const auto& src : pc->sources) devices.push_back(ws.unpack(src));

  // --- fzfs commits txg + 1 ------------------------------------------------------------------
  uint64_t new_txg = 0;
  Uberblock written;
  {
    auto cand = candidate(ws.devices(), pool);
    ASSERT_TRUE(cand.ok()) << cand.error().message();
    auto spa = Spa::open(*cand, /*writable=*/true);
    ASSERT_TRUE(spa.ok()) << spa.error().message();
    const Uberblock& best = (*spa)->uberblocks().front();
    new_txg = best.txg + 1;
    written = best.next(new_txg, best.guid_sum, uint64_t(std::time(nullptr)), kSpaVersionFeatures);
    std::map<uint64_t, NvList> configs;
    for (const auto& d : cand->devices) {
      NvList c = d.config;
      c.add_u64("txg", new_txg);
      configs[d.guid] = std::move(c);
    }
    LabelConfigFn fn = [&](uint64_t guid) -> Result<NvList> {
      auto it = configs.find(guid);
      if (it == configs.end()) return make_error(ENOENT, "no label config for leaf {}", guid);
      return it->second;
    };
    auto r = sync_labels(*(*spa)->root(), written, fn);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_TRUE(r->failures.empty());
    EXPECT_EQ(r->uberblocks_written, 4 * devices.size());
    EXPECT_EQ(r->labels_written, 4 * devices.size());
  }

  // --- fzfs reopens it at the new txg ---------------------------------------------------------
  {
    auto cand = candidate(ws.devices(), pool);
    ASSERT_TRUE(cand.ok()) << cand.error().message();
    EXPECT_EQ(cand->txg, new_txg);
    auto spa = Spa::open(*cand, /*writable=*/false);
    ASSERT_TRUE(spa.ok()) << spa.error().message();
    const Uberblock& best = (*spa)->uberblocks().front();
    EXPECT_EQ(best.txg, new_txg);
    EXPECT_EQ(best.timestamp, written.timestamp);
    auto mos = (*spa)->reader()->read(best.rootbp);
    EXPECT_TRUE(mos.ok()) << mos.error().message();
  }
  {
    ImportOptions opts;
    opts.search_dirs = {ws.devices()};
    opts.pool = pool;
    auto imported = Pool::import(opts);
    ASSERT_TRUE(imported.ok()) << imported.error().message();
    auto ds = (*imported)->datasets();
    ASSERT_TRUE(ds.ok()) << ds.error().message();
    bool has_data = false;
    for (const auto& d : *ds) has_data |= d.name == pool + "/data";
    EXPECT_TRUE(has_data);
  }

  // --- zfs-fuse imports, scrubs, reads, exports -----------------------------------------------
  PoolManifest manifest = load_manifest(pc->manifest);
  auto [file, entry] = pick_file(manifest, pool + "/data");
  ASSERT_FALSE(file.empty()) << "no hashed file in " << pool << "/data";

  const std::string scratch = ws.dir() + "/zfs-fuse";
  mkdir(scratch.c_str(), 0755);
  ZfsFuse zf(scratch);
  ASSERT_EQ(zf.start(), "");
  CommandResult stale = zf.zpool({"list", "-H", "-o", "name"});
  if (stale.ok() && stale.out.find(pool + "\n") != std::string::npos) zf.zpool({"export", "-f", pool});

  CommandResult imp = zf.zpool({"import", "-d", ws.devices(), "-R", ws.altroot(), pool});
  ASSERT_TRUE(imp.ok()) << imp.describe();
  CommandResult status = zf.scrub_and_wait(pool);
  EXPECT_TRUE(status.ok()) << status.describe();
  EXPECT_EQ(status.out.find("DEGRADED"), std::string::npos) << status.describe();

  // Where zfs-fuse mounted the dataset (its stored mountpoint under the altroot).
  // (No ASSERT until the export: the pool must not stay in zfs-fuse's cache.)
  CommandResult mp = zf.zfs({"get", "-H", "-o", "value", "mountpoint", pool + "/data"});
  EXPECT_TRUE(mp.ok()) << mp.describe();
  const std::string at = mp.out.substr(0, mp.out.find('\n')) + "/" + file;
  std::string sha;
  try {
    sha = sha256_file(at);
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
  }
  EXPECT_EQ(sha, *entry.sha256) << at;

  CommandResult exp = zf.zpool({"export", pool});
  EXPECT_TRUE(exp.ok()) << exp.describe();
  if (!exp.ok()) zf.zpool({"export", "-f", pool});
  EXPECT_EQ(zf.stop(), "");

  // zfs-fuse carried on from our txg: it never rewrote txg new_txg's slot, and its own
  // later txgs are on disk.
  for (const auto& dev : devices) {
    auto ub = uberblock_in_slot(dev, new_txg);
    ASSERT_TRUE(ub) << dev;
    EXPECT_EQ(ub->txg, new_txg) << dev;
    EXPECT_EQ(ub->mmp_magic, kMmpMagic) << dev << ": slot rewritten by zfs-fuse";
  }
  auto after = candidate(ws.devices(), pool);
  ASSERT_TRUE(after.ok()) << after.error().message();
  EXPECT_GT(after->txg, new_txg);
}

INSTANTIATE_TEST_SUITE_P(ZfsFuse, LabelRewrite, ::testing::Values("zf-mirror", "zf-raidz1"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace fzfs::test
