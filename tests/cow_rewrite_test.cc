// The copy-on-write write path against a real ZFS, below the ZPL: fzfs opens a copy of
// a zfs-fuse corpus pool read-write, rewrites the bytes of an existing file in place
// (same size) over two transaction groups, and exports it. Then
//   - fzfs reads the new bytes back, every snapshot still matches the manifest (the
//     old blocks went to the dead list, not the free space), and the block check finds
//     no leaked, unallocated or doubly allocated byte;
//   - zfs-fuse imports it, scrubs it with 0 errors and reads the new bytes.
// Labelled "integration"; skips when zfs-fuse or the corpus is absent.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <random>

#include "engine/dsl/dsl_pool.h"
#include "engine/pool/block_check.h"
#include "engine/pool/pool.h"
#include "engine/pool/pool_impl.h"
#include "engine/pool/writable_pool.h"
#include "engine/spa/spa.h"
#include "tests/corpus.h"
#include "tests/manifest.h"
#include "tests/oracle_tree.h"
#include "tests/pool_fixture.h"
#include "tests/zfs_fuse.h"

namespace fzfs::test {
namespace {

Result<PoolCandidate> candidate(const std::string& dir, const std::string& pool) {
  for (auto& c : group_pools(scan_devices({dir})))
    if (c.name == pool) return c;
  return make_error(ENOENT, "pool {} not found in {}", pool, dir);
}

Result<uint64_t> lookup_path(Filesystem& fs, const std::string& path) {
  uint64_t obj = fs.root_object();
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    std::string part = path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (!part.empty()) {
      FZ_TRY(obj, fs.lookup(obj, part));
    }
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  return obj;
}

std::string read_all(Filesystem& fs, uint64_t obj, uint64_t size) {
  std::string out(size, '\0');
  auto n = fs.read(obj, 0, std::span(reinterpret_cast<uint8_t*>(out.data()), size));
  return n.ok() && *n == size ? out : std::string("<read failed>");
}

class CowRewrite : public ::testing::TestWithParam<std::string> {};

TEST_P(CowRewrite, ZfsFuseScrubsCleanAndSnapshotsKeepTheirBytes) {
  const std::string pool = GetParam();
  if (std::string why = ZfsFuse::unavailable(); !why.empty()) GTEST_SKIP() << why;
  const PoolCase* pc = nullptr;
  auto cases = zfs_fuse_pools();
  for (const auto& c : cases)
    if (c.pool == pool) pc = &c;
  if (!pc) GTEST_SKIP() << "corpus pool " << pool << " absent";
  PoolManifest manifest = load_manifest(pc->manifest);
  const std::string dataset = pool + "/data";

  PoolWorkspace ws;
  for (const auto& src : pc->sources) ws.unpack(src);

  // The largest hashed file of POOL/data, and its object number.
  const DatasetManifest* dm = manifest.find(dataset);
  ASSERT_TRUE(dm && dm->files);
  std::string path;
  uint64_t size = 0;
  for (const auto& [p, e] : *dm->files)
    if (e.sha256 && e.size && *e.size > size) path = p, size = *e.size;
  ASSERT_FALSE(path.empty());
  uint64_t obj = 0;
  {
    ImportOptions opts{{ws.devices()}, pool};
    auto ro = Pool::import(opts);
    ASSERT_TRUE(ro.ok()) << ro.error().message();
    auto fs = (*ro)->open_filesystem(dataset);
    ASSERT_TRUE(fs.ok()) << fs.error().message();
    auto o = lookup_path(**fs, path);
    ASSERT_TRUE(o.ok()) << o.error().message();
    obj = *o;
  }

  // --- fzfs rewrites the file's bytes over two txgs, then exports -------------------------
  std::mt19937 rng(42);
  std::string content(size, '\0');
  for (auto& c : content) c = static_cast<char>(rng());
  {
    auto cand = candidate(ws.devices(), pool);
    ASSERT_TRUE(cand.ok()) << cand.error().message();
    auto spa = Spa::open(*cand, /*writable=*/true);
    ASSERT_TRUE(spa.ok()) << spa.error().message();
    auto dp = DslPool::open(spa->get());
    ASSERT_TRUE(dp.ok()) << dp.error().message();
    auto node = (*dp)->find(dataset);
    ASSERT_TRUE(node.ok()) << node.error().message();
    WritablePoolOptions opts;
    for (const auto& d : cand->devices) opts.leaf_labels[d.guid] = d.config;
    auto wp = WritablePool::open(**spa, **dp, opts);
    ASSERT_TRUE(wp.ok()) << wp.error().message();
    auto os = (*wp)->dataset(node->ds_obj, parse_write_props("on", "off", "1", false));
    ASSERT_TRUE(os.ok()) << os.error().message();
    auto bytes = [](const std::string& s) { return std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()); };
    ASSERT_TRUE((*os)->write(obj, 0, bytes(content)).ok());
    Status s = (*wp)->sync(uint64_t{0});  // active
    ASSERT_TRUE(s.ok()) << s.error().message();
    std::string patch(std::min<uint64_t>(size, 100000), '\0');
    for (auto& c : patch) c = static_cast<char>(rng());
    ASSERT_TRUE((*os)->write(obj, size / 3, bytes(patch)).ok());
    content.replace(size / 3, patch.size(), patch);
    s = (*wp)->sync();
    ASSERT_TRUE(s.ok()) << s.error().message();
    s = (*wp)->sync(uint64_t{1});  // exported
    ASSERT_TRUE(s.ok()) << s.error().message();
  }
  const std::string want = sha256_hex(content);

  // --- fzfs reads it back; snapshots intact; no leaked or doubly allocated space ----------
  {
    ImportOptions opts{{ws.devices()}, pool};
    auto ro = Pool::import(opts);
    ASSERT_TRUE(ro.ok()) << ro.error().message();
    auto fs = (*ro)->open_filesystem(dataset);
    ASSERT_TRUE(fs.ok());
    EXPECT_EQ(sha256_hex(read_all(**fs, obj, size)), want);
    for (const auto& d : manifest.datasets) {
      if (!d.is_snapshot() || !d.files) continue;
      auto snap = (*ro)->open_filesystem(d.name);
      ASSERT_TRUE(snap.ok()) << d.name;
      for (const auto& [p, e] : *d.files) {
        if (!e.sha256 || !e.size) continue;
        auto o = lookup_path(**snap, p);
        ASSERT_TRUE(o.ok()) << d.name << "/" << p;
        EXPECT_EQ(sha256_hex(read_all(**snap, *o, *e.size)), *e.sha256) << d.name << "/" << p;
      }
    }
    auto* impl = dynamic_cast<PoolImpl*>(ro->get());
    ASSERT_NE(impl, nullptr);
    auto report = check_block_allocation(*impl);
    ASSERT_TRUE(report.ok()) << report.error().message();
    EXPECT_TRUE(report->clean()) << "leaked " << report->leaked_bytes << " unallocated " << report->unallocated_bytes
                                 << " double " << report->double_bytes << ": "
                                 << (report->problems.empty() ? "" : report->problems[0]);
    EXPECT_EQ(report->space_map_alloc, report->space_map_replayed);
  }

  // --- zfs-fuse imports, scrubs clean, reads the new bytes ----------------------------------
  const std::string scratch = ws.dir() + "/zfs-fuse";
  mkdir(scratch.c_str(), 0755);
  ZfsFuse zf(scratch);
  ASSERT_EQ(zf.start(), "");
  CommandResult imp = zf.zpool({"import", "-d", ws.devices(), "-R", ws.altroot(), pool});
  ASSERT_TRUE(imp.ok()) << imp.describe();
  CommandResult status = zf.scrub_and_wait(pool);
  EXPECT_TRUE(status.ok()) << status.describe();
  CommandResult mp = zf.zfs({"get", "-H", "-o", "value", "mountpoint", dataset});
  ASSERT_TRUE(mp.ok()) << mp.describe();
  const std::string at = mp.out.substr(0, mp.out.find('\n')) + "/" + path;
  try {
    EXPECT_EQ(sha256_file(at), want) << at;
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
  }
  CommandResult exp = zf.zpool({"export", pool});
  EXPECT_TRUE(exp.ok()) << exp.describe();
  if (!exp.ok()) zf.zpool({"export", "-f", pool});
  EXPECT_EQ(zf.stop(), "");
}

INSTANTIATE_TEST_SUITE_P(ZfsFuse, CowRewrite, ::testing::Values("zf-stripe", "zf-mirror", "zf-raidz1", "zf-raidz2"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace fzfs::test
