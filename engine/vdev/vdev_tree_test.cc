#include <gtest/gtest.h>

#include "engine/io/memory_device.h"
#include "engine/vdev/vdev.h"
#include "engine/vdev/vdev_raidz.h"

namespace fzfs {
namespace {

NvList leaf(uint64_t guid, const std::string& path, uint64_t id = 0) {
  NvList l;
  l.add_string("type", "file").add_u64("id", id).add_u64("guid", guid).add_string("path", path);
  return l;
}

NvList node(const std::string& type, std::vector<NvList> kids, uint64_t id = 0) {
  NvList l;
  l.add_string("type", type).add_u64("id", id).add_u64("guid", 900 + id);
  l.add_nvlist_array("children", std::move(kids));
  return l;
}

TEST(vdev_tree, BuildsPoolShapedTree) {
  NvList z = node("raidz", {leaf(1, "/a"), leaf(2, "/b"), leaf(3, "/c")}, 1);
  z.add_u64("nparity", 2).add_u64("ashift", 12).add_u64("asize", 123456);
  NvList m = node("mirror", {leaf(4, "/d"), node("replacing", {leaf(5, "/e"), leaf(6, "/f")}, 1)}, 0);
  m.add_u64("ashift", 9);
  NvList root = node("root", {m, z});
  root.add_string("name", "tank");

  std::vector<LeafDevice> devs;
  for (uint64_t g : {1, 2, 3, 4, 5})
    devs.push_back({g, "/dev/" + std::to_string(g), std::make_shared<MemoryDevice>("x", 1 << 20)});
  auto t = build_vdev_tree(root, devs);
  ASSERT_TRUE(t.ok()) << t.error().message();
  Vdev& r = **t;
  EXPECT_STREQ(r.type(), "root");
  EXPECT_EQ(r.name(), "tank");
  ASSERT_EQ(r.children.size(), 2u);
  Vdev& mir = *r.children[0];
  Vdev& rz = *r.children[1];
  EXPECT_STREQ(mir.type(), "mirror");
  EXPECT_STREQ(rz.type(), "raidz");
  EXPECT_EQ(rz.name(), "raidz2-1");
  EXPECT_EQ(static_cast<RaidzVdev&>(rz).nparity(), 2u);
  EXPECT_EQ(rz.ashift, 12u);
  EXPECT_EQ(rz.children[2]->ashift, 12u);  // inherited from the top-level vdev
  EXPECT_EQ(rz.asize_total, 123456u);
  EXPECT_EQ(rz.guid, 901u);
  EXPECT_EQ(rz.children[1]->guid, 2u);
  EXPECT_EQ(rz.children[1]->name(), "/dev/2");  // the opened device's path wins
  // Leaf 6 was not found: the replacing vdev and the mirror above it degrade, the
  // raidz stays online and the pool is degraded.
  Vdev& rep = *mir.children[1];
  EXPECT_STREQ(rep.type(), "replacing");
  EXPECT_EQ(rep.children[1]->state(), VdevState::kUnavail);
  EXPECT_EQ(rep.children[1]->name(), "/f");
  EXPECT_EQ(rep.state(), VdevState::kDegraded);
  EXPECT_EQ(mir.state(), VdevState::kDegraded);  // a child is less than healthy
  EXPECT_EQ(rz.state(), VdevState::kOnline);
  EXPECT_EQ(r.state(), VdevState::kDegraded);
  EXPECT_STREQ(to_string(rep.state()), "DEGRADED");
  std::vector<uint8_t> buf(512);
  EXPECT_EQ(r.read(0, buf, [](auto) { return true; }).error().code(), EINVAL);
}

TEST(vdev_tree, NullDeviceIsMissing) {
  NvList m = node("mirror", {leaf(1, "/a"), leaf(2, "/b")});
  std::vector<LeafDevice> devs = {{1, "/a", nullptr}, {2, "/b", std::make_shared<MemoryDevice>("b", 1 << 20)}};
  auto t = build_vdev_tree(m, devs);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->children[0]->state(), VdevState::kUnavail);
  EXPECT_EQ((*t)->state(), VdevState::kDegraded);
  std::vector<uint8_t> buf(512);
  Status s = (*t)->children[0]->read(0, buf, [](auto) { return true; });
  EXPECT_EQ(s.error().code(), EIO);
}

TEST(vdev_tree, LeafReadsStayInTheDataArea) {
  // 8 MiB device: DVA space is 8M - 4M (front) - 512K (end labels) = 3.5 MiB.
  auto mem = std::make_shared<MemoryDevice>("/mem/a", 8 << 20);
  std::fill(mem->bytes().begin(), mem->bytes().end(), 0x5a);
  auto t = build_vdev_tree(leaf(1, "/a"), {{1, "/mem/a", mem}});
  ASSERT_TRUE(t.ok());
  Vdev& v = **t;
  const uint64_t room = (8 << 20) - kVdevLabelStartSize - kVdevLabelEndSize;
  std::vector<uint8_t> buf(4096);
  auto any = [](auto) { return true; };
  EXPECT_TRUE(v.read(room - 4096, buf, any).ok());
  EXPECT_EQ(buf[0], 0x5a);
  EXPECT_EQ(v.read(room - 512, buf, any).error().code(), EIO);
  EXPECT_EQ(v.read(UINT64_MAX - 100, buf, any).error().code(), EIO);
  EXPECT_EQ(v.counters.read_errors, 0u);  // a bad pointer is not the device's fault
  // A block whose verifier refuses it counts a checksum error on the leaf.
  Status s = v.read(0, buf, [](auto) { return false; });
  EXPECT_EQ(s.error().code(), kECKSUM);
  EXPECT_EQ(v.counters.cksum_errors, 1u);
  EXPECT_EQ(v.asize(100), 512u);
}

TEST(vdev_tree, HolesAndMissingTopLevels) {
  NvList hole, missing;
  hole.add_string("type", "hole").add_u64("id", 1);
  missing.add_string("type", "missing").add_u64("id", 2);
  NvList root = node("root", {leaf(1, "/a"), hole, missing});
  std::vector<LeafDevice> devs = {{1, "/a", std::make_shared<MemoryDevice>("a", 1 << 20)}};
  auto t = build_vdev_tree(root, devs);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ((*t)->children[1]->state(), VdevState::kOnline);
  EXPECT_EQ((*t)->children[2]->state(), VdevState::kUnavail);
  EXPECT_EQ((*t)->state(), VdevState::kUnavail);
  std::vector<uint8_t> buf(512);
  EXPECT_EQ((*t)->children[2]->read(0, buf, [](auto) { return true; }).error().code(), ENXIO);
}

TEST(vdev_tree, RejectsBadTrees) {
  std::vector<LeafDevice> none;
  auto err = [&](const NvList& nv) {
    auto t = build_vdev_tree(nv, none);
    EXPECT_FALSE(t.ok());
    return t.ok() ? std::string() : t.error().message();
  };
  NvList z = node("raidz", {leaf(1, "/a"), leaf(2, "/b")});
  z.add_u64("nparity", 4);
  EXPECT_NE(err(z).find("nparity 4"), std::string::npos);
  z.add_u64("nparity", 2);
  EXPECT_NE(err(z).find("cannot hold 2 parity"), std::string::npos);
  EXPECT_NE(err(node("draid", {leaf(1, "/a")})).find("unsupported vdev type 'draid'"), std::string::npos);
  EXPECT_NE(err(node("mirror", {})).find("no children"), std::string::npos);
  NvList notype;
  notype.add_u64("id", 0);
  EXPECT_NE(err(notype).find("without a type"), std::string::npos);
  NvList bad_ashift = leaf(1, "/a");
  bad_ashift.add_u64("ashift", 40);
  EXPECT_NE(err(bad_ashift).find("ashift 40"), std::string::npos);
  // A hostile config nesting mirrors forever is refused, not recursed into.
  NvList deep = leaf(1, "/a");
  for (int i = 0; i < 50; i++) deep = node("mirror", {deep});
  EXPECT_NE(err(deep).find("deeper"), std::string::npos);
  // The failing child is named in the message.
  NvList m = node("mirror", {leaf(1, "/a"), node("raidz", {leaf(2, "/b")})});
  EXPECT_NE(err(m).find("mirror child 1"), std::string::npos) << err(m);
}

}  // namespace
}  // namespace fzfs
