// Deliberate damage to unpacked device files, for the tests that prove fzfs survives
// (redundant pools) or refuses cleanly (hostile input).
//
// Where a device keeps its labels (each 256 KiB; the device size is first rounded down
// to a multiple of 256 KiB):
//
//   0      256K    512K                              size-512K  size-256K   size
//   | L0    | L1    |  boot area (to 4 MiB), data ...  | L2        | L3        |
//
//   one label:  0      8K        16K                 128K                  256K
//               | blank | boot hdr | nvlist (config)   | uberblock ring      |
#pragma once

#include <cstdint>
#include <string>

namespace fzfs::test {

enum class LabelPart { kWhole, kNvlist, kUberblocks };
enum class Fill { kZeros, kRandom };

// Overwrites PART of all four labels of the device file.
void overwrite_labels(const std::string& path, LabelPart part, Fill fill, uint64_t seed);

// Overwrites with random bytes `fraction` of the device's 4 KiB blocks between 4 MiB
// and 512 KiB before the end, choosing among blocks that hold data (holes are never
// read, so damage there would prove nothing). Returns how many blocks were hit.
size_t garble_data_blocks(const std::string& path, double fraction, uint64_t seed);

// Replaces the whole file's contents with random bytes, keeping its size.
void fill_random(const std::string& path, uint64_t seed);

// Cuts the file to SIZE bytes.
void truncate_to(const std::string& path, uint64_t size);

}  // namespace fzfs::test
