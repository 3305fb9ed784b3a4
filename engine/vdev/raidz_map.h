// Where a RAIDZ block lives: which child holds each column and at which offset. This is
// a fixed part of the on-disk format, computed from the block's offset and size alone.
//
// The parent's address space is striped sector by sector across the dcols children:
// parent sector b is sector b / dcols of child b % dcols. A block of s sectors starting
// at parent sector b is cut into columns; column c goes to child (b + c) % dcols, one
// sector lower when it wraps past the last child. The first nparity columns hold parity,
// the others the data in order, each column a run of consecutive sectors. With
// q = s / (dcols - nparity) and r = s % (dcols - nparity), the first r + nparity
// columns ("big" columns) get q + 1 sectors and the rest q.
//
//   dcols = 5, nparity = 1, s = 7, first child b % 5 = 2: q = 1, r = 3, 4 big columns
//
//   child:      0      1      2      3      4
//   row o    |      |      |  P0  |  D0  |  D2  |     col 0 = P0 P1   (child 2)
//   row o+1  |  D4  |  D6  |  P1  |  D1  |  D3  |     col 1 = D0 D1   (child 3)
//   row o+2  |  D5  | skip |      |      |      |     col 2 = D2 D3   (child 4)
//                                                     col 3 = D4 D5   (child 0, wrapped)
//                                                     col 4 = D6      (child 1, wrapped)
//
// Parity columns are as long as the longest data column; shorter data columns count as
// zero-padded. Allocations are rounded up to a multiple of nparity + 1 sectors (the
// "skip" sectors, never read). Single-parity RAIDZ swaps columns 0 and 1 for blocks
// whose offset has bit 20 set (every other MiB), a historical quirk of the format.
#pragma once

#include <cstdint>
#include <vector>

namespace fzfs {

struct RaidzColumn {
  uint64_t child = 0;   // index of the child vdev
  uint64_t offset = 0;  // byte offset in the child's address space
  uint64_t size = 0;    // bytes (a multiple of the sector size; 0 for unused columns)
};

struct RaidzMap {
  uint64_t nparity = 0;
  // Accessed columns: [0, nparity) parity, then data in block order.
  std::vector<RaidzColumn> cols;
  uint64_t bigcols = 0;    // columns one sector longer than the rest
  uint64_t nskip = 0;      // padding sectors that round the allocation
  uint64_t skipstart = 0;  // first column that gets a skip sector
  uint64_t parity_size() const { return cols.empty() ? 0 : cols[0].size; }
  uint64_t data_size() const;  // sum of data column sizes
};

// Layout of a block of `size` bytes (a multiple of 1 << ashift) at `offset` in a RAIDZ
// vdev of `dcols` children with `nparity` parity columns.
RaidzMap raidz_map(uint64_t offset, uint64_t size, uint64_t ashift, uint64_t dcols,
                   uint64_t nparity);

// Bytes allocated for a block of physical size psize: data, parity and skip sectors.
uint64_t raidz_asize(uint64_t psize, uint64_t ashift, uint64_t dcols, uint64_t nparity);

}  // namespace fzfs
