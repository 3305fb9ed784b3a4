#include "engine/vdev/label.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "engine/checksum/checksum.h"
#include "engine/io/block_device.h"
#include "engine/io/fault_device.h"
#include "engine/io/memory_device.h"
#include "engine/util/byteorder.h"
#include "engine/vdev/vdev_test_util.h"

namespace fzfs {
namespace {

TEST(label, OffsetsAlignTheEndDown) {
  const uint64_t size = (10 << 20) + 100 * 1024;  // not a multiple of 256 KiB
  EXPECT_EQ(vdev_label_offset(size, 0), 0u);
  EXPECT_EQ(vdev_label_offset(size, 1), 256u << 10);
  EXPECT_EQ(vdev_label_offset(size, 2), (10u << 20) - (512u << 10));
  EXPECT_EQ(vdev_label_offset(size, 3), (10u << 20) - (256u << 10));
}

NvList sample_config() {
  NvList tree;
  tree.add_string("type", "file").add_u64("id", 0).add_u64("guid", 42).add_string("path", "/x");
  NvList c;
  c.add_u64("version", 5000).add_string("name", "tank").add_u64("txg", 9).add_u64("guid", 42);
  c.add_nvlist("vdev_tree", tree);
  return c;
}

// A device with four labels written the way ZFS lays them out, rings filled with a
// per-label byte so each ring can be told apart.
std::shared_ptr<MemoryDevice> labeled_device(uint64_t size) {
  auto dev = std::make_shared<MemoryDevice>("/mem/labeled", size);
  for (int l = 0; l < kVdevLabels; l++) {
    const uint64_t at = vdev_label_offset(size, l);
    auto region = encode_vdev_phys(sample_config(), at + kVdevPhysOffset);
    EXPECT_TRUE(region.ok());
    std::copy(region->begin(), region->end(), dev->bytes().begin() + at + kVdevPhysOffset);
    std::fill_n(dev->bytes().begin() + at + kUberblockRingOffset, kUberblockRingSize, uint8_t(0x10 + l));
  }
  return dev;
}

TEST(label, ReadsFourLabels) {
  const uint64_t size = 8 << 20;
  auto dev = labeled_device(size);
  auto labels = read_vdev_labels(*dev);
  for (int l = 0; l < kVdevLabels; l++) {
    const VdevLabel& v = labels[l];
    EXPECT_EQ(v.index, l);
    EXPECT_EQ(v.offset, vdev_label_offset(size, l));
    ASSERT_TRUE(v.valid) << v.error;
    ASSERT_TRUE(v.config);
    EXPECT_EQ(v.config->get_string("name"), "tank");
    EXPECT_EQ(v.config->get_nvlist("vdev_tree")->get_u64("guid"), 42u);
    EXPECT_EQ(v.ring_offset, v.offset + (128u << 10));
    ASSERT_EQ(v.ring.size(), kUberblockRingSize);
    EXPECT_EQ(v.ring.front(), 0x10 + l);
    EXPECT_EQ(v.ring.back(), 0x10 + l);
  }
}

TEST(label, DamagedLabelIsReportedOthersSurvive) {
  const uint64_t size = 8 << 20;
  auto mem = labeled_device(size);
  FaultDevice dev(mem);
  dev.corrupt_reads(vdev_label_offset(size, 1) + kVdevPhysOffset + 30, 1);
  dev.fail_reads(vdev_label_offset(size, 2) + kVdevPhysOffset, 1);
  auto labels = read_vdev_labels(dev);
  EXPECT_TRUE(labels[0].valid);
  EXPECT_FALSE(labels[1].valid);
  EXPECT_FALSE(labels[1].config);
  EXPECT_NE(labels[1].error.find("checksum mismatch"), std::string::npos) << labels[1].error;
  EXPECT_NE(labels[1].error.find("/mem/labeled"), std::string::npos) << labels[1].error;
  EXPECT_FALSE(labels[2].valid);
  EXPECT_NE(labels[2].error.find("injected read error"), std::string::npos) << labels[2].error;
  EXPECT_EQ(labels[2].ring.size(), kUberblockRingSize);  // the ring is still read
  EXPECT_TRUE(labels[3].valid);
}

TEST(label, CopiedLabelDoesNotVerifyElsewhere) {
  // The checksum's verifier is the region's own offset: label 0 copied over label 1 is
  // rejected even though its bytes are intact.
  const uint64_t size = 8 << 20;
  auto dev = labeled_device(size);
  auto& b = dev->bytes();
  std::copy_n(b.begin() + kVdevPhysOffset, kVdevPhysSize, b.begin() + kVdevLabelSize + kVdevPhysOffset);
  auto labels = read_vdev_labels(*dev);
  EXPECT_TRUE(labels[0].valid);
  EXPECT_FALSE(labels[1].valid);
}

TEST(label, ZeroedDeviceHasNoLabels) {
  MemoryDevice dev("/mem/blank", 4 << 20);
  for (const auto& l : read_vdev_labels(dev)) {
    EXPECT_FALSE(l.valid);
    EXPECT_FALSE(l.error.empty());
  }
}

TEST(label, TinyDeviceIsRefusedWithoutReading) {
  MemoryDevice dev("/mem/tiny", 600 << 10);
  for (const auto& l : read_vdev_labels(dev)) {
    EXPECT_FALSE(l.valid);
    EXPECT_NE(l.error.find("too small"), std::string::npos) << l.error;
    EXPECT_TRUE(l.ring.empty());
  }
}

TEST(label, ConfigTooBigIsAnError) {
  NvList big;
  big.add_u64_array("x", std::vector<uint64_t>(20000, 1));
  auto r = encode_vdev_phys(big, kVdevPhysOffset);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EOVERFLOW);
}

TEST(label, RealZfsFuseLabels) {
  std::string path = testing::unpack_corpus_device("zf-mirror", "A");
  if (path.empty()) GTEST_SKIP() << "corpus absent";
  auto dev = open_file_device(path, false, false);
  ASSERT_TRUE(dev.ok()) << dev.error().message();
  auto labels = read_vdev_labels(**dev);
  for (const auto& l : labels) {
    ASSERT_TRUE(l.valid) << l.error;
    EXPECT_EQ(l.config->get_string("name"), "zf-mirror");
    EXPECT_EQ(l.config->get_u64("version"), 23u);
    const NvList* tree = l.config->get_nvlist("vdev_tree");
    ASSERT_NE(tree, nullptr);
    EXPECT_EQ(tree->get_string("type"), "mirror");
    EXPECT_EQ(tree->get_u64("guid"), l.config->get_u64("top_guid"));
    // The device's own guid is one of the mirror's children.
    bool found = false;
    for (const auto& c : *tree->get_nvlist_array("children"))
      found |= c.get_u64("guid") == l.config->get_u64("guid");
    EXPECT_TRUE(found);
    // The ring holds uberblocks (magic 0x00bab10c in the writer's order, here little).
    int magics = 0;
    for (size_t off = 0; off + 1024 <= l.ring.size(); off += 1024)
      magics += load_le<uint64_t>(&l.ring[off]) == 0x00bab10cULL;
    EXPECT_GT(magics, 0);
  }
  // Our encoder reproduces the region byte for byte, checksum included.
  auto again = encode_vdev_phys(*labels[0].config, kVdevPhysOffset);
  ASSERT_TRUE(again.ok());
  std::vector<uint8_t> region(kVdevPhysSize);
  ASSERT_TRUE((*dev)->pread(region, kVdevPhysOffset).ok());
  EXPECT_TRUE(*again == region);
}

// --- writing --------------------------------------------------------------------------------

TEST(label_write, VdevPhysRoundTripsThroughReader) {
  const uint64_t size = (8 << 20) + 77 * 1024;  // end labels aligned down
  MemoryDevice dev("/mem/w", size);
  for (int l = 0; l < kVdevLabels; l++) {
    NvList c = sample_config();
    c.add_u64("label_no", l);
    ASSERT_TRUE(write_vdev_phys(dev, l, c).ok());
  }
  auto labels = read_vdev_labels(dev);
  for (int l = 0; l < kVdevLabels; l++) {
    ASSERT_TRUE(labels[l].valid) << labels[l].error;
    EXPECT_EQ(labels[l].config->get_u64("label_no"), uint64_t(l));
    EXPECT_EQ(labels[l].config->get_string("name"), "tank");
  }
  // Only the vdev_phys regions were written: pad, boot env and rings stay zero.
  auto& b = dev.bytes();
  for (int l = 0; l < kVdevLabels; l++) {
    const uint64_t at = vdev_label_offset(size, l);
    EXPECT_TRUE(std::all_of(b.begin() + at, b.begin() + at + kVdevPhysOffset, [](uint8_t x) { return x == 0; }));
    EXPECT_TRUE(std::all_of(b.begin() + at + kUberblockRingOffset, b.begin() + at + kVdevLabelSize,
                            [](uint8_t x) { return x == 0; }));
  }
}

TEST(label_write, OneLabelOnlyTouchesItself) {
  auto dev = labeled_device(8 << 20);
  NvList c = sample_config();
  c.add_u64("txg", 10);
  ASSERT_TRUE(write_vdev_phys(*dev, 2, c).ok());
  auto labels = read_vdev_labels(*dev);
  EXPECT_EQ(labels[0].config->get_u64("txg"), 9u);
  EXPECT_EQ(labels[1].config->get_u64("txg"), 9u);
  EXPECT_EQ(labels[2].config->get_u64("txg"), 10u);
  EXPECT_EQ(labels[3].config->get_u64("txg"), 9u);
  EXPECT_EQ(labels[2].ring.front(), 0x12);  // its ring is untouched
}

TEST(label_write, UberblockSlotIsSealedForItsOffset) {
  const uint64_t size = 8 << 20;
  auto dev = labeled_device(size);
  std::vector<uint8_t> body(216);
  for (size_t i = 0; i < body.size(); i++) body[i] = uint8_t(i * 7 + 1);
  for (uint64_t slot_size : {1024u, 4096u, 8192u}) {
    const uint64_t slot = uberblock_ring_slots(slot_size) - 1;
    ASSERT_TRUE(write_uberblock_slot(*dev, 3, slot_size, slot, body).ok());
    const uint64_t at = uberblock_slot_offset(size, 3, slot_size, slot);
    EXPECT_EQ(at, vdev_label_offset(size, 3) + kUberblockRingOffset + slot * slot_size);
    std::vector<uint8_t> got(dev->bytes().begin() + at, dev->bytes().begin() + at + slot_size);
    EXPECT_TRUE(std::equal(body.begin(), body.end(), got.begin()));
    EXPECT_TRUE(std::all_of(got.begin() + body.size(), got.end() - kLabelEckSize,
                            [](uint8_t x) { return x == 0; }));
    EXPECT_TRUE(verify_embedded(got, ChecksumType::kSha256, Cksum{{at, 0, 0, 0}}));
    EXPECT_FALSE(verify_embedded(got, ChecksumType::kSha256, Cksum{{at + slot_size, 0, 0, 0}}));
  }
  // The slot before the last 8 KiB one, and the label's config, are intact.
  EXPECT_EQ(dev->bytes()[uberblock_slot_offset(size, 3, 8192, 14)], 0x13);
  EXPECT_TRUE(read_vdev_labels(*dev)[3].valid);
}

TEST(label_write, BadArgumentsAndFailuresNameDeviceAndLabel) {
  auto mem = labeled_device(8 << 20);
  FaultDevice dev(mem);
  std::vector<uint8_t> body(216, 1);
  EXPECT_FALSE(write_uberblock_slot(dev, 0, 1024, 128, body).ok());  // ring has 128 slots
  EXPECT_FALSE(write_uberblock_slot(dev, 0, 1000, 0, body).ok());
  EXPECT_FALSE(write_uberblock_slot(dev, 4, 1024, 0, body).ok());
  EXPECT_FALSE(write_uberblock_slot(dev, 0, 1024, 0, std::vector<uint8_t>(1000, 1)).ok());
  dev.fail_writes(vdev_label_offset(8 << 20, 1), kVdevLabelSize);
  Status s = write_vdev_phys(dev, 1, sample_config());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("/mem/labeled"), std::string::npos) << s.error().message();
  EXPECT_NE(s.error().message().find("label 1"), std::string::npos) << s.error().message();
  s = write_uberblock_slot(dev, 1, 1024, 5, body);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("label 1 uberblock slot 5"), std::string::npos) << s.error().message();
  EXPECT_TRUE(write_vdev_phys(dev, 0, sample_config()).ok());
  MemoryDevice tiny("/mem/tiny", 512 << 10);
  EXPECT_FALSE(write_vdev_phys(tiny, 0, sample_config()).ok());
}

}  // namespace
}  // namespace fzfs
