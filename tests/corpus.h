// The conformance corpus as test parameters: every pool of ../shared/conformance that
// has a manifest, with the device files that make it up. Shared by the engine-level
// and the FUSE-level conformance suites, so both always cover the same pools.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace fzfs::test {

struct PoolCase {
  std::string id;                    // test name suffix: letters, digits, '_'
  std::string pool;                  // name to import
  std::vector<std::string> sources;  // compressed device files, in config order
  std::string manifest;
  bool redundant = false;  // healthy mirror/raidz: survives losing any one device
};

void PrintTo(const PoolCase& c, std::ostream* os);

std::vector<PoolCase> zfs_fuse_pools();  // conformance/zfs-fuse/POOL/
std::vector<PoolCase> openzfs_pools();   // conformance/openzfs/manifests/POOL.json.zst
std::vector<PoolCase> all_pools();       // both, sorted by id
std::vector<PoolCase> redundant_pools(); // the healthy mirror/raidz ones
std::string pool_case_name(const ::testing::TestParamInfo<PoolCase>& info);

}  // namespace fzfs::test
