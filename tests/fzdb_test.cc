// fzdb against a real pool: what it prints must agree with the pool itself (the
// manifest zfs-fuse wrote, and the engine's own view of the same objects).
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "engine/pool/pool.h"
#include "tests/manifest.h"
#include "tests/pool_fixture.h"

namespace fzfs::test {
namespace {

class FzdbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (tool_path("fzdb").empty()) GTEST_SKIP() << "fzdb is not built";
    for (const char* d : {"A", "B"}) ws_.unpack(conformance_dir() + "/zfs-fuse/zf-mirror/" + d + ".zst");
  }
  CommandResult fzdb(std::vector<std::string> args) {
    args.insert(args.begin(), tool_path("fzdb"));
    CommandOptions o;
    o.timeout = std::chrono::seconds(120);
    return run_command(args, o);
  }
  static size_t count(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) n++;
    return n;
  }
  PoolWorkspace ws_;
};

TEST_F(FzdbTest, LabelsAndNewestUberblockMatchThePoolSummary) {
  CommandResult labels = fzdb({"-l", ws_.devices() + "/A"});
  ASSERT_TRUE(labels.ok()) << labels.describe();
  EXPECT_EQ(count(labels.out, "------\nLABEL "), 4u) << labels.out;
  EXPECT_EQ(count(labels.out, "invalid:"), 0u);
  EXPECT_EQ(count(labels.out, "name: 'zf-mirror'"), 4u);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(labels.out, m, std::regex("newest txg (\\d+)"))) << labels.out;
  const std::string newest = m[1];

  CommandResult summary = fzdb({"-p", ws_.devices(), "zf-mirror"});
  ASSERT_TRUE(summary.ok()) << summary.describe();
  EXPECT_NE(summary.out.find("    txg " + newest + "  "), std::string::npos)
      << "the pool opens at the newest uberblock of its labels, txg " << newest << ":\n" << summary.out;
}

TEST_F(FzdbTest, DatasetTreeListsExactlyTheManifestsDatasets) {
  PoolManifest man = load_manifest(conformance_dir() + "/zfs-fuse/zf-mirror/manifest.json.zst");
  CommandResult summary = fzdb({"-p", ws_.devices(), "zf-mirror"});
  ASSERT_TRUE(summary.ok()) << summary.describe();
  std::vector<std::string> listed;
  std::istringstream in(summary.out.substr(summary.out.find("\nDatasets")));
  std::string line;
  std::getline(in, line);
  std::getline(in, line);  // the section's heading
  while (std::getline(in, line) && line.rfind("    ", 0) == 0) {
    std::istringstream words(line);
    std::string name;
    words >> name;
    listed.push_back(name);
  }
  std::vector<std::string> want;
  for (const auto& d : man.datasets) want.push_back(d.name);
  EXPECT_EQ(listed, want);
}

// The block tree of a 2 MiB file with 128 KiB records: one L1 block pointing to 16 L0
// blocks, agreeing with the object's size as the engine reads it.
TEST_F(FzdbTest, BlockTreeOfAFileHasOneLeafPerRecord) {
  ImportOptions o;
  o.search_dirs = {ws_.devices()};
  o.pool = "zf-mirror";
  uint64_t obj = 0, size = 0;
  {
    auto pool = Pool::import(o);
    ASSERT_TRUE(pool.ok()) << pool.error().message();
    auto fs = (*pool)->open_filesystem("zf-mirror/data");
    ASSERT_TRUE(fs.ok()) << fs.error().message();
    auto ino = (*fs)->lookup((*fs)->root_object(), "text-2m.txt");
    ASSERT_TRUE(ino.ok()) << ino.error().message();
    obj = *ino;
    size = (*fs)->getattr(obj)->size;
  }  // the pool's devices are locked while it is open
  CommandResult tree = fzdb({"-p", ws_.devices(), "-ddd", "zf-mirror/data", std::to_string(obj)});
  ASSERT_TRUE(tree.ok()) << tree.describe();
  EXPECT_NE(tree.out.find("ZPL_SIZE = " + std::to_string(size)), std::string::npos) << tree.out;
  EXPECT_EQ(count(tree.out, " L0 type=19 20000L"), size / (128 * 1024)) << tree.out;
  EXPECT_EQ(count(tree.out, " L1 type=19"), 1u) << tree.out;
}

TEST_F(FzdbTest, BadArgumentsAreErrorsNotCrashes) {
  CommandResult none = fzdb({});
  EXPECT_TRUE(none.exited);
  EXPECT_EQ(none.exit_code, 2) << none.describe();
  CommandResult missing = fzdb({"-l", ws_.devices() + "/does-not-exist"});
  EXPECT_TRUE(missing.exited);
  EXPECT_EQ(missing.exit_code, 1) << missing.describe();
  EXPECT_NE(missing.err.find("cannot open"), std::string::npos) << missing.describe();
  CommandResult nopool = fzdb({"-p", ws_.devices(), "no-such-pool"});
  EXPECT_EQ(nopool.exit_code, 1) << nopool.describe();
}

}  // namespace
}  // namespace fzfs::test
