// vdev_config against zfs-fuse: the labels of the conformance pools (written by zfs-fuse
// for stripe, mirror and raidz1/2/3 layouts of 96 MiB files) are the reference for field
// names, types, order and sizes; zpool's own messages are the reference for validation.
#include "engine/spa/vdev_config.h"

#include <unistd.h>

#include <gtest/gtest.h>
#include <zstd.h>

#include "engine/io/block_device.h"
#include "engine/vdev/label.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

namespace fzfs {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMiB = 1ull << 20;

std::vector<std::string> words(std::initializer_list<const char*> w) {
  return std::vector<std::string>(w.begin(), w.end());
}

// A spec of files of `size` bytes named by the words.
VdevSpec spec_of(const std::vector<std::string>& w, uint64_t size = 128 * kMiB) {
  auto r = parse_vdev_words(w);
  EXPECT_TRUE(r.ok()) << r.error().message();
  VdevSpec spec = std::move(r).value();
  for (auto& t : spec.tops)
    for (auto& l : t.leaves) l.size = size;
  return spec;
}

GuidSource counting_guids() {
  auto n = std::make_shared<uint64_t>(0);
  return [n]() { return ++*n * 0x1000001ull; };
}

// ---------------------------------------------------------------- parsing & checks

TEST(VdevConfigParse, GroupsRunToTheNextGroupWord) {
  auto r = parse_vdev_words(words({"/d/a", "mirror", "/d/b", "/d/c", "raidz2", "/d/d", "/d/e",
                                   "/d/f", "raidz", "/d/g", "/d/h"}));
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->tops.size(), 4u);
  EXPECT_EQ(r->tops[0].type, TopType::kLeaf);
  EXPECT_EQ(r->tops[1].type, TopType::kMirror);
  EXPECT_EQ(r->tops[1].leaves.size(), 2u);
  EXPECT_EQ(r->tops[2].nparity, 2);
  EXPECT_EQ(r->tops[2].leaves.size(), 3u);
  EXPECT_EQ(r->tops[3].nparity, 1);
}

// zpool's exact texts (zfs-fuse printed the same for these).
TEST(VdevConfigParse, TooFewChildren) {
  auto m = parse_vdev_words(words({"mirror", "/d/a"}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message(), "invalid vdev specification: mirror requires at least 2 devices");
  auto r1 = parse_vdev_words(words({"raidz", "/d/a"}));
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().message(), "invalid vdev specification: raidz requires at least 2 devices");
  auto r2 = parse_vdev_words(words({"raidz2", "/d/a", "/d/b"}));
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().message(), "invalid vdev specification: raidz2 requires at least 3 devices");
  auto r3 = parse_vdev_words(words({"raidz3", "/d/a", "/d/b", "/d/c"}));
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().message(), "invalid vdev specification: raidz3 requires at least 4 devices");
  auto none = parse_vdev_words(words({}));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message(),
            "invalid vdev specification: at least one toplevel vdev must be specified");
}

TEST(VdevConfigCheck, MismatchedReplicationNeedsForce) {
  auto mixed = spec_of(words({"/d/a", "mirror", "/d/b", "/d/c"}));
  Status s = check_vdev_spec("tank", mixed, false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(),
            "invalid vdev specification\n"
            "use '-f' to override the following errors:\n"
            "mismatched replication level: both file and mirror vdevs are present");
  EXPECT_TRUE(check_vdev_spec("tank", mixed, true).ok());

  auto ways = spec_of(words({"mirror", "/d/a", "/d/b", "mirror", "/d/c", "/d/d", "/d/e"}));
  s = check_vdev_spec("tank", ways, false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(),
            "invalid vdev specification\n"
            "use '-f' to override the following errors:\n"
            "mismatched replication level: both 2-way and 3-way mirror vdevs are present");

  auto parity = spec_of(words({"raidz1", "/d/a", "/d/b", "/d/c", "raidz2", "/d/d", "/d/e",
                               "/d/f"}));
  s = check_vdev_spec("tank", parity, false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(),
            "invalid vdev specification\n"
            "use '-f' to override the following errors:\n"
            "mismatched replication level: both 1 and 2 device parity raidz vdevs are present");

  // OpenZFS accepts a raidz and a mirror that survive as many failures...
  EXPECT_TRUE(check_vdev_spec("tank", spec_of(words({"mirror", "/d/a", "/d/b", "raidz", "/d/c",
                                                     "/d/d"})), false).ok());
  // ... and names the difference otherwise.
  s = check_vdev_spec("tank", spec_of(words({"mirror", "/d/a", "/d/b", "/d/x", "raidz", "/d/c",
                                             "/d/d"})), false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(),
            "invalid vdev specification\n"
            "use '-f' to override the following errors:\n"
            "mismatched replication level: raidz and mirror vdevs with different redundancy, "
            "1 vs. 2 (3-way) are present");
}

TEST(VdevConfigCheck, GroupMembersMustMatch) {
  auto sizes = spec_of(words({"mirror", "/d/a", "/d/b"}));
  sizes.tops[0].leaves[1].size = 128 * kMiB + 17 * kMiB;
  Status s = check_vdev_spec("tank", sizes, false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(),
            "invalid vdev specification\n"
            "use '-f' to override the following errors:\n"
            "mirror contains devices of different sizes");
  sizes.tops[0].leaves[1].size = 128 * kMiB + 16 * kMiB;  // within zpool's 16 MiB fuzz
  EXPECT_TRUE(check_vdev_spec("tank", sizes, false).ok());

  auto kinds = spec_of(words({"raidz", "/d/a", "/dev/sdb"}));
  kinds.tops[0].leaves[1].is_disk = true;
  s = check_vdev_spec("tank", kinds, false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(),
            "invalid vdev specification\n"
            "use '-f' to override the following errors:\n"
            "mismatched replication level: raidz contains both files and devices");
}

TEST(VdevConfigCheck, DevicesInUse) {
  auto spec = spec_of(words({"/d/a"}));
  spec.tops[0].leaves[0].use = DeviceUse::kExported;
  spec.tops[0].leaves[0].use_pool = "old";
  Status s = check_vdev_spec("tank", spec, false);
  ASSERT_FALSE(s.ok());
  // What zfs-fuse's zpool printed for a file of an exported pool.
  EXPECT_EQ(s.error().message(),
            "invalid vdev specification\n"
            "use '-f' to override the following errors:\n"
            "/d/a is part of exported pool 'old'");
  EXPECT_TRUE(check_vdev_spec("tank", spec, true).ok());

  spec.tops[0].leaves[0].use = DeviceUse::kActive;
  s = check_vdev_spec("tank", spec, true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(),
            "invalid vdev specification\n"
            "the following errors must be manually repaired:\n"
            "/d/a is part of active pool 'old'");
}

TEST(VdevConfigCheck, DeviceUseFromLabel) {
  NvList label;
  label.add_string("name", "p").add_u64("state", 1);
  EXPECT_EQ(device_use_from_label(label, false), DeviceUse::kExported);
  EXPECT_EQ(device_use_from_label(label, true), DeviceUse::kActive);
  label.add_u64("state", 0);
  EXPECT_EQ(device_use_from_label(label, false), DeviceUse::kPotentiallyActive);
  label.add_u64("state", 2);  // destroyed: zfs-fuse let `zpool create` reuse it
  EXPECT_EQ(device_use_from_label(label, false), std::nullopt);
}

TEST(VdevConfigCheck, KernelChecks) {
  auto small = spec_of(words({"/d/a"}), 64 * kMiB - 1);
  Status s = check_vdev_spec("v23", small, true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), EOVERFLOW);
  // zfs-fuse's zpool, for a 32 MiB file.
  EXPECT_EQ(s.error().message(),
            "cannot create 'v23': one or more devices is less than the minimum size (64M)");
  EXPECT_TRUE(check_vdev_spec("v23", spec_of(words({"/d/a"}), 64 * kMiB), false).ok());

  auto dup = spec_of(words({"/d/a", "/d/a"}));
  s = check_vdev_spec("tank", dup, false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), EBUSY);
}

// A sparse scratch file, removed at the end of the test.
class ScratchFile {
 public:
  explicit ScratchFile(uint64_t size) {
    char tmpl[] = "/tmp/vdev_config_test.XXXXXX";
    int fd = mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(ftruncate(fd, static_cast<off_t>(size)), 0);
    close(fd);
    path_ = tmpl;
  }
  ~ScratchFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(VdevConfigProbe, BlankFileIsFree) {
  ScratchFile f(100 * kMiB + 1234);
  LeafSpec leaf;
  leaf.path = f.path();
  ASSERT_TRUE(probe_leaf(leaf, [](uint64_t) { return false; }).ok());
  EXPECT_EQ(leaf.size, 100 * kMiB + 1234);
  EXPECT_FALSE(leaf.is_disk);
  EXPECT_FALSE(leaf.use);
}

TEST(VdevConfigProbe, OurOwnLabelMarksTheDeviceInUse) {
  ScratchFile f(128 * kMiB);
  VdevSpec spec = spec_of({f.path()});
  auto plan = plan_vdevs(spec, 9, random_guid_source());
  ASSERT_TRUE(plan.ok());
  ConfigContext ctx{.pool_name = "old", .version = 28, .state = 1, .hostname = "h",
                    .metaslab_arrays = {}};
  auto label = leaf_label_nvlist(*plan, 0, 0, ctx);
  ASSERT_TRUE(label.ok());
  {
    auto dev = open_file_device(f.path(), true, false);
    ASSERT_TRUE(dev.ok()) << dev.error().message();
    for (int l = 0; l < kVdevLabels; ++l) ASSERT_TRUE(write_vdev_phys(**dev, l, *label).ok());
  }
  LeafSpec leaf;
  leaf.path = f.path();
  ASSERT_TRUE(probe_leaf(leaf, [](uint64_t) { return false; }).ok());
  ASSERT_EQ(leaf.use, DeviceUse::kExported);
  EXPECT_EQ(leaf.use_pool, "old");
  uint64_t pool_guid = plan->pool_guid;
  ASSERT_TRUE(probe_leaf(leaf, [&](uint64_t g) { return g == pool_guid; }).ok());
  EXPECT_EQ(leaf.use, DeviceUse::kActive);

  spec.tops[0].leaves[0] = leaf;
  Status s = check_vdev_spec("new", spec, false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "invalid vdev specification\n"
                                 "use '-f' to override the following errors:\n" +
                                     f.path() + " is part of active pool 'old'");
}

TEST(VdevConfigProbe, MissingAndRelativePaths) {
  LeafSpec leaf;
  leaf.path = "/nonexistent/fzfs/dev";
  Status s = probe_leaf(leaf, [](uint64_t) { return false; });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "cannot open '/nonexistent/fzfs/dev': No such file or directory");
  leaf.path = "sdz";
  s = probe_leaf(leaf, [](uint64_t) { return false; });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(),
            "cannot open 'sdz': no such device in /dev\nmust be a full path or shorthand device name");
}

// ---------------------------------------------------------------- sizes

// Figures zfs-fuse wrote for 128 MiB files with ashift 12 (zdb -C of fresh pools).
TEST(VdevConfigSizes, MatchZfsFuseOnFreshPools) {
  auto stripe = plan_vdevs(spec_of(words({"/d/a"})), 12, counting_guids());
  ASSERT_TRUE(stripe.ok());
  EXPECT_EQ(stripe->tops[0].asize, 129499136u);
  EXPECT_EQ(stripe->tops[0].metaslab_shift, 20u);
  EXPECT_EQ(stripe->tops[0].metaslab_count, 123u);
  EXPECT_EQ(stripe->tops[0].ashift, 12u);

  auto raidz = plan_vdevs(spec_of(words({"raidz1", "/d/a", "/d/b", "/d/c"})), 12,
                          counting_guids());
  ASSERT_TRUE(raidz.ok());
  EXPECT_EQ(raidz->tops[0].asize, 388497408u);
  EXPECT_EQ(raidz->tops[0].metaslab_shift, 21u);

  auto mirror = spec_of(words({"mirror", "/d/a", "/d/b"}));
  mirror.tops[0].leaves[1].size = 140 * kMiB;
  auto m = plan_vdevs(mirror, 9, counting_guids());
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->tops[0].asize, 129499136u);  // the smaller side
}

TEST(VdevConfigSizes, Rules) {
  EXPECT_EQ(leaf_psize(100 * kMiB + 1000), 100 * kMiB);
  EXPECT_EQ(leaf_asize(100 * kMiB + 300 * 1024), 100 * kMiB + 256 * 1024 - 4608 * 1024);
  // The smallest device: asize 59.5 MiB, /200 = 304.6 KiB -> 2^19 metaslabs (the 2^17
  // floor never binds above the 64 MiB minimum), 119 of them.
  auto tiny = plan_vdevs(spec_of(words({"/d/a"}), 64 * kMiB), 9, counting_guids());
  ASSERT_TRUE(tiny.ok());
  EXPECT_EQ(tiny->tops[0].asize, 64 * kMiB - 4608 * 1024);
  EXPECT_EQ(tiny->tops[0].metaslab_shift, 19u);
  EXPECT_EQ(tiny->tops[0].metaslab_count, 119u);
  auto plan = plan_vdevs(spec_of(words({"/d/a"}), 63 * kMiB), 9, counting_guids());
  EXPECT_FALSE(plan.ok());
}

TEST(VdevConfigGuids, NonzeroAndDistinct) {
  auto seq = std::make_shared<std::vector<uint64_t>>(std::vector<uint64_t>{0, 5, 5, 0, 7, 9, 11});
  auto pos = std::make_shared<size_t>(0);
  GuidSource g = [seq, pos]() { return (*seq)[(*pos)++ % seq->size()]; };
  auto plan = plan_vdevs(spec_of(words({"mirror", "/d/a", "/d/b"})), 9, g);
  ASSERT_TRUE(plan.ok());
  std::set<uint64_t> all{plan->pool_guid, plan->tops[0].guid, plan->tops[0].leaves[0].guid,
                         plan->tops[0].leaves[1].guid};
  EXPECT_EQ(all.size(), 4u);
  EXPECT_EQ(all.count(0), 0u);
  GuidSource r = random_guid_source();
  EXPECT_NE(r(), r());
}

// ---------------------------------------------------------------- nvlist shapes

// "name:type" of every pair, nested lists indented, in stream order.
void shape(const NvList& nv, std::string indent, std::ostringstream& out) {
  for (const auto& p : nv.pairs()) {
    out << indent << p.name << ":" << static_cast<uint32_t>(p.type) << "\n";
    if (p.type == NvType::kNvlist)
      shape(std::get<std::vector<NvList>>(p.value)[0], indent + "  ", out);
    if (p.type == NvType::kNvlistArray)
      for (const auto& c : std::get<std::vector<NvList>>(p.value)) shape(c, indent + "  ", out);
  }
}
std::string shape(const NvList& nv) {
  std::ostringstream out;
  shape(nv, "", out);
  return out.str();
}

// The MOS config zfs-fuse wrote for `zpool create -o version=23 r23 raidz1 A B C` (zdb -C),
// as name:type (8 = uint64, 9 = string, 19 = nvlist, 20 = nvlist array).
constexpr const char* kZfsFuseRaidzMosConfig =
    "version:8\nname:9\nstate:8\ntxg:8\npool_guid:8\nhostid:8\nhostname:9\nvdev_children:8\n"
    "vdev_tree:19\n  type:9\n  id:8\n  guid:8\n  create_txg:8\n  children:20\n"
    "    type:9\n    id:8\n    guid:8\n    nparity:8\n    metaslab_array:8\n"
    "    metaslab_shift:8\n    ashift:8\n    asize:8\n    is_log:8\n    create_txg:8\n"
    "    children:20\n"
    "      type:9\n      id:8\n      guid:8\n      path:9\n      create_txg:8\n"
    "      type:9\n      id:8\n      guid:8\n      path:9\n      create_txg:8\n"
    "      type:9\n      id:8\n      guid:8\n      path:9\n      create_txg:8\n";

TEST(VdevConfigNvlist, MosConfigShapeMatchesZfsFuse) {
  auto plan = plan_vdevs(spec_of(words({"raidz1", "/d/A", "/d/B", "/d/C"})), 12,
                         counting_guids());
  ASSERT_TRUE(plan.ok());
  ConfigContext ctx{.pool_name = "r23", .version = 23, .hostid = 8323328, .hostname = "vm",
                    .metaslab_arrays = {23}};
  NvList cfg = pool_config_nvlist(*plan, ctx);
  EXPECT_EQ(shape(cfg), kZfsFuseRaidzMosConfig);
  EXPECT_EQ(cfg.get_nvlist("vdev_tree")->get_u64("guid"), plan->pool_guid);
  // The packed form decodes to the same list.
  auto back = NvList::decode(cfg.encode_xdr());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(shape(*back), kZfsFuseRaidzMosConfig);
}

// ---------------------------------------------------------------- conformance labels

struct Device {
  uint64_t size = 0;
  std::vector<uint8_t> head;  // the first 256 KiB: label 0
};

// Reads the decompressed size and the first `want` bytes of a .zst device image. The
// size comes from the frame header when zstd recorded it, else from decompressing all.
std::optional<Device> read_zst_head(const fs::path& p, size_t want) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<char> buf(1 << 17);
  std::vector<uint8_t> out(1 << 20);
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  Device dev;
  uint64_t header_size = 0, total = 0;
  bool first = true;
  while (in) {
    in.read(buf.data(), buf.size());
    size_t got = in.gcount();
    if (got == 0) break;
    if (first) {
      unsigned long long n = ZSTD_getFrameContentSize(buf.data(), got);
      if (n != ZSTD_CONTENTSIZE_UNKNOWN && n != ZSTD_CONTENTSIZE_ERROR) header_size = n;
      first = false;
    }
    ZSTD_inBuffer ib{buf.data(), got, 0};
    while (ib.pos < ib.size) {
      ZSTD_outBuffer ob{out.data(), out.size(), 0};
      if (ZSTD_isError(ZSTD_decompressStream(dctx.get(), &ob, &ib))) return std::nullopt;
      size_t take = std::min<size_t>(ob.pos, want - std::min(want, dev.head.size()));
      dev.head.insert(dev.head.end(), out.begin(), out.begin() + take);
      total += ob.pos;
    }
    if (header_size != 0 && dev.head.size() >= want) break;
  }
  dev.size = header_size != 0 ? header_size : total;
  if (dev.head.size() < want) return std::nullopt;
  return dev;
}

uint64_t le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

class ConformanceLabel : public ::testing::TestWithParam<const char*> {};

// For each zfs-fuse layout: build our config for the same words and device sizes and
// compare it with label 0 of device A, pair by pair (names, types, order, values; guids
// and paths aside), and check our guid_sum rule against zfs-fuse's uberblocks.
TEST_P(ConformanceLabel, OurLabelMatchesZfsFuse) {
  fs::path dir = fs::path(FZFS_CONFORMANCE_DIR) / "zfs-fuse" / GetParam();
  std::ifstream layout(dir / "layout.txt");
  if (!layout) GTEST_SKIP() << "no conformance pool at " << dir;
  std::vector<std::string> w;
  for (std::string s; layout >> s;) w.push_back(s);

  auto parsed = parse_vdev_words(w);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  VdevSpec spec = std::move(parsed).value();
  std::optional<Device> dev_a;
  for (auto& t : spec.tops)
    for (auto& l : t.leaves) {
      auto d = read_zst_head(dir / (l.path + ".zst"), 256 * 1024);
      ASSERT_TRUE(d) << "cannot read " << l.path;
      l.size = d->size;
      if (l.path == "A") dev_a = d;
    }
  ASSERT_TRUE(dev_a);
  ASSERT_TRUE(check_vdev_spec("zf", spec, false).ok());

  auto theirs = NvList::decode(std::span(dev_a->head).subspan(16 * 1024, 112 * 1024));
  ASSERT_TRUE(theirs.ok()) << theirs.error().message();
  const NvList* their_tree = theirs->get_nvlist("vdev_tree");
  ASSERT_NE(their_tree, nullptr);

  // Our leaf paths are the ones zfs-fuse recorded (the files lived elsewhere then).
  const auto* their_children = their_tree->get_nvlist_array("children");
  size_t i = 0;
  for (auto& t : spec.tops)
    for (auto& l : t.leaves)
      l.path = their_children ? *(*their_children)[i++].get_string("path")
                              : *their_tree->get_string("path");

  auto plan = plan_vdevs(spec, *their_tree->get_u64("ashift"), random_guid_source());
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  ConfigContext ctx{.pool_name = *theirs->get_string("name"),
                    .version = *theirs->get_u64("version"),
                    .state = *theirs->get_u64("state"),
                    .txg = *theirs->get_u64("txg"),
                    .hostid = *theirs->get_u64("hostid"),
                    .hostname = *theirs->get_string("hostname"),
                    .create_txg = *their_tree->get_u64("create_txg"),
                    .metaslab_arrays = {*their_tree->get_u64("metaslab_array")}};
  auto ours = leaf_label_nvlist(*plan, 0, 0, ctx);
  ASSERT_TRUE(ours.ok());
  EXPECT_EQ(shape(*ours), shape(*theirs));

  // Every value but the guids: the sizes are the point.
  std::function<void(const NvList&, const NvList&, std::string)> same =
      [&](const NvList& a, const NvList& b, std::string where) {
        ASSERT_EQ(a.pairs().size(), b.pairs().size()) << where;
        for (size_t k = 0; k < a.pairs().size(); ++k) {
          const NvPair& pa = a.pairs()[k];
          const NvPair& pb = b.pairs()[k];
          std::string at = where + "/" + pa.name;
          if (pa.type == NvType::kNvlist || pa.type == NvType::kNvlistArray) {
            const auto& la = std::get<std::vector<NvList>>(pa.value);
            const auto& lb = std::get<std::vector<NvList>>(pb.value);
            ASSERT_EQ(la.size(), lb.size()) << at;
            for (size_t c = 0; c < la.size(); ++c) same(la[c], lb[c], at);
          } else if (pa.name.find("guid") != std::string::npos) {
            EXPECT_NE(std::get<uint64_t>(pa.value), 0u) << at;
          } else {
            EXPECT_EQ(pa.type, pb.type) << at;
            if (pa.type == NvType::kString)
              EXPECT_EQ(std::get<std::string>(pa.value), std::get<std::string>(pb.value)) << at;
            else
              EXPECT_EQ(std::get<uint64_t>(pa.value), std::get<uint64_t>(pb.value)) << at;
          }
        }
      };
  same(*ours, *theirs, "");

  // ub_guid_sum of zfs-fuse's uberblocks = our sum over their guids.
  VdevPlan theirs_plan = *plan;
  theirs_plan.pool_guid = *theirs->get_u64("pool_guid");
  TopPlan& top = theirs_plan.tops[0];
  top.guid = *their_tree->get_u64("guid");
  if (their_children) {
    for (size_t c = 0; c < top.leaves.size(); ++c)
      top.leaves[c].guid = *(*their_children)[c].get_u64("guid");
  } else {
    top.leaves[0].guid = top.guid;
  }
  // With zfs-fuse's guids our label packs to zfs-fuse's bytes exactly.
  auto exact = leaf_label_nvlist(theirs_plan, 0, 0, ctx);
  ASSERT_TRUE(exact.ok());
  std::vector<uint8_t> packed = exact->encode_xdr();
  ASSERT_LE(packed.size(), 112u * 1024);
  std::vector<uint8_t> region(dev_a->head.begin() + 16 * 1024,
                              dev_a->head.begin() + 16 * 1024 + packed.size());
  EXPECT_EQ(packed, region);
  EXPECT_TRUE(std::all_of(dev_a->head.begin() + 16 * 1024 + packed.size(),
                          dev_a->head.begin() + 128 * 1024 - 40, [](uint8_t b) { return b == 0; }));

  const uint8_t* ring = dev_a->head.data() + 128 * 1024;
  size_t slot = size_t{1} << std::max<uint64_t>(top.ashift, 10);
  int seen = 0;
  for (size_t off = 0; off + slot <= 128 * 1024; off += slot) {
    if (le64(ring + off) != 0x00bab10cull) continue;
    EXPECT_EQ(le64(ring + off + 0x18), theirs_plan.guid_sum());
    ++seen;
  }
  EXPECT_GT(seen, 0);
}

INSTANTIATE_TEST_SUITE_P(ZfsFuse, ConformanceLabel,
                         ::testing::Values("zf-stripe", "zf-mirror", "zf-raidz1", "zf-raidz2",
                                           "zf-raidz3"));

}  // namespace
}  // namespace fzfs
