// The allocation check (fzdb -b) over the conformance corpus: in every pool written by
// another implementation, the blocks reachable from the active uberblock plus the blocks
// awaiting their free claim exactly the space the space maps record as allocated, and
// replaying the maps yields the allocated total their own headers (smp_alloc) state.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "engine/dmu/u64_array.h"
#include "engine/pool/block_check.h"
#include "tests/corpus.h"
#include "tests/damage.h"
#include "tests/pool_fixture.h"

namespace fzfs::test {
namespace {

class BlockCheck : public ::testing::TestWithParam<PoolCase> {};

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

TEST_P(BlockCheck, SpaceMapsAccountForEveryBlock) {
  const PoolCase& c = GetParam();
  PoolWorkspace ws;
  for (const auto& s : c.sources) ws.unpack(s);
  ImportOptions opts;
  opts.search_dirs = {ws.devices()};
  opts.pool = c.pool;
  auto pool = PoolImpl::import(opts);
  ASSERT_TRUE(pool.ok()) << pool.error().message();

  auto r = check_block_allocation(**pool);
  ASSERT_TRUE(r.ok()) << r.error().message();
  std::printf("  %s: %llu blocks, %llu allocated bytes (%llu pending free in %llu blocks), %llu objsets, "
              "space maps %llu bytes; leaked %llu, unallocated %llu, double %llu\n",
              c.pool.c_str(), (unsigned long long)r->total.blocks, (unsigned long long)r->total.asize,
              (unsigned long long)r->pending_free.asize, (unsigned long long)r->pending_free.blocks,
              (unsigned long long)r->objsets, (unsigned long long)r->space_map_replayed,
              (unsigned long long)r->leaked_bytes, (unsigned long long)r->unallocated_bytes,
              (unsigned long long)r->double_bytes);
  EXPECT_GT(r->total.blocks, 0u);
  EXPECT_GT(r->objsets, 1u);  // the MOS and at least the root dataset
  EXPECT_EQ(r->space_map_replayed, r->space_map_alloc);
  EXPECT_EQ(r->claimed_bytes, r->space_map_replayed);
  EXPECT_EQ(r->leaked_bytes, 0u) << join(r->problems);
  EXPECT_EQ(r->unallocated_bytes, 0u) << join(r->problems);
  EXPECT_EQ(r->double_bytes, 0u) << join(r->problems);
  EXPECT_TRUE(r->problems.empty()) << join(r->problems);
}

INSTANTIATE_TEST_SUITE_P(Corpus, BlockCheck, ::testing::ValuesIn(all_pools()), pool_case_name);

Result<BlockCheckReport> check_pool(const PoolWorkspace& ws, const std::string& name, bool verify = true) {
  ImportOptions opts;
  opts.search_dirs = {ws.devices()};
  opts.pool = name;
  opts.verify_checksums = verify;
  auto pool = PoolImpl::import(opts);
  if (!pool.ok()) return std::move(pool).error();
  return check_block_allocation(**pool);
}

// testpool_zstd (OpenZFS, feature log_spacemap) keeps its latest changes in a log space
// map: only with the log applied on top of the metaslabs' maps do blocks and space agree.
TEST(BlockCheckLogSpaceMap, UnflushedChangesAreReplayed) {
  PoolWorkspace ws;
  ws.unpack_tar_member(conformance_dir() + "/openzfs/compression/testpool_zstd.tar.gz", "testpool_zstd");
  auto r = check_pool(ws, "testpool_zstd");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_GT(r->log_space_maps, 0u);
  EXPECT_GT(r->log_entries, 0u);
  EXPECT_EQ(r->claimed_bytes, r->space_map_replayed);
  EXPECT_TRUE(r->clean()) << join(r->problems);
  EXPECT_TRUE(r->problems.empty()) << join(r->problems);
}

TEST(BlockCheckLogSpaceMap, UncleanExportIsConsistent) {
  PoolWorkspace ws;
  ws.unpack(conformance_dir() + "/openzfs/cli_root/zpool_import/blockfiles/unclean_export.dat.bz2");
  auto r = check_pool(ws, "unclean_export");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->claimed_bytes, r->space_map_replayed);
  EXPECT_TRUE(r->clean()) << join(r->problems);
}

// Garbage in a metaslab's space map (read without checksums, so it reaches the parser or
// the decompressor) fails the check with an error naming the vdev, metaslab and object.
TEST(BlockCheckHostile, DamagedSpaceMapFailsWithContext) {
  PoolWorkspace ws;
  std::string dev = ws.unpack(conformance_dir() + "/zfs-fuse/zf-stripe/A.zst");
  uint64_t sm_obj = 0, psize = 0;
  std::vector<uint64_t> offsets;
  {
    ImportOptions opts;
    opts.search_dirs = {ws.devices()};
    opts.pool = "zf-stripe";
    auto pool = PoolImpl::import(opts);
    ASSERT_TRUE(pool.ok()) << pool.error().message();
    const DslPool& dp = (*pool)->dsl();
    const NvList* vt = dp.mos_config().get_nvlist("vdev_tree");
    ASSERT_NE(vt, nullptr);
    const auto* tops = vt->get_nvlist_array("children");
    ASSERT_TRUE(tops != nullptr && !tops->empty());
    auto arr = dp.mos().dnode((*tops)[0].get_u64("metaslab_array").value_or(0));
    ASSERT_TRUE(arr.ok());
    auto ids = read_u64_array(dp.mos(), *arr, arr->data_block_size() / 8);
    ASSERT_TRUE(ids.ok());
    for (uint64_t id : *ids)
      if (id != 0 && sm_obj == 0) sm_obj = id;
    ASSERT_NE(sm_obj, 0u);
    auto dn = dp.mos().dnode(sm_obj);
    ASSERT_TRUE(dn.ok());
    auto bp = dp.mos().level0_bp(*dn, 0);
    ASSERT_TRUE(bp.ok() && !bp->is_hole() && !bp->embedded());
    for (const Dva& d : bp->dva)  // MOS blocks keep ditto copies: garble every one
      if (d.asize() != 0) offsets.push_back(d.offset());
    psize = bp->psize();
  }
  // A stripe's DVA offsets start after the 4 MiB of front labels and boot area.
  std::mt19937_64 rng(7);
  std::vector<char> junk(psize);
  for (auto& c : junk) c = static_cast<char>(rng());
  {
    std::fstream f(dev, std::ios::in | std::ios::out | std::ios::binary);
    for (uint64_t offset : offsets) {
      f.seekp(static_cast<std::streamoff>((4u << 20) + offset));
      f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
  }
  for (bool verify : {true, false}) {
    auto r = check_pool(ws, "zf-stripe", verify);
    ASSERT_FALSE(r.ok()) << "a garbled space map went unnoticed (verify " << verify << ")";
    const std::string& m = r.error().message();
    EXPECT_NE(m.find("vdev 0"), std::string::npos) << m;
    EXPECT_NE(m.find("space map object " + std::to_string(sm_obj)), std::string::npos) << m;
  }
}

// Random damage to a pool read without checksums: the check may fail, but only with an
// error (no crash, no hang), whatever the garbage reaches: space maps, bpobjs, dnodes,
// indirect blocks.
TEST(BlockCheckHostile, GarbledPoolsFailCleanly) {
  int failed = 0;
  for (uint64_t seed = 1; seed <= 12; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    PoolWorkspace ws;
    std::string dev = ws.unpack(conformance_dir() + "/zfs-fuse/zf-stripe/A.zst");
    garble_data_blocks(dev, 0.05, seed);
    auto r = check_pool(ws, "zf-stripe", /*verify=*/false);
    if (!r.ok()) {
      failed++;
      EXPECT_FALSE(r.error().message().empty());
    }
  }
  EXPECT_GT(failed, 0);  // 5% of the blocks garbled must be noticed somewhere
}

}  // namespace
}  // namespace fzfs::test
