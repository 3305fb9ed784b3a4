// Vdev labels and uberblocks: the input is a device image (padded to 1 MiB so all four
// labels exist); every label is read and every ring slot parsed as an uberblock.
#include <cstring>

#include "engine/io/memory_device.h"
#include "engine/spa/uberblock.h"
#include "engine/vdev/label.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fzfs;
  MemoryDevice dev("fuzz", std::max<size_t>(size, 1 << 20));
  std::memcpy(dev.bytes().data(), data, size);
  for (const VdevLabel& l : read_vdev_labels(dev)) {
    if (l.config) (void)l.config->to_string();
    for (uint64_t off = 0; off + 1024 <= l.ring.size(); off += 1024)
      (void)Uberblock::parse(std::span(l.ring).subspan(off, 1024), l.ring_offset + off);
  }
  // Checksums keep random slots out of the parser above; feed the raw bytes too.
  if (size >= 1024) (void)Uberblock::parse(std::span(data, size), 0);
  return 0;
}
