#include "engine/vdev/raidz_map.h"

#include <cstddef>
#include <utility>

namespace fzfs {

namespace {
uint64_t roundup(uint64_t x, uint64_t m) { return (x + m - 1) / m * m; }
}  // namespace

uint64_t RaidzMap::data_size() const {
  uint64_t n = 0;
  for (size_t c = nparity; c < cols.size(); c++) n += cols[c].size;
  return n;
}

RaidzMap raidz_map(uint64_t offset, uint64_t size, uint64_t ashift, uint64_t dcols,
                   uint64_t nparity) {
  const uint64_t b = offset >> ashift;           // first parent sector
  const uint64_t s = size >> ashift;             // sectors of data
  const uint64_t f = b % dcols;                  // child of column 0
  const uint64_t o = (b / dcols) << ashift;      // row offset on the children
  const uint64_t ndata = dcols - nparity;
  const uint64_t q = s / ndata;
  const uint64_t r = s - q * ndata;
  const uint64_t bc = r == 0 ? 0 : r + nparity;
  const uint64_t tot = s + nparity * (q + (r == 0 ? 0 : 1));
  // A block narrower than one row touches only its big columns.
  const uint64_t acols = q == 0 ? bc : dcols;

  RaidzMap m;
  m.nparity = nparity;
  m.bigcols = bc;
  m.cols.resize(acols);
  for (uint64_t c = 0; c < acols; c++) {
    RaidzColumn& col = m.cols[c];
    col.child = f + c;
    col.offset = o;
    if (col.child >= dcols) {
      col.child -= dcols;
      col.offset += uint64_t{1} << ashift;
    }
    col.size = (c < bc ? q + 1 : q) << ashift;
  }
  m.nskip = roundup(tot, nparity + 1) - tot;
  m.skipstart = bc;

  // The single-parity quirk: on odd MiBs parity and the first data column trade places.
  if (nparity == 1 && (offset & (uint64_t{1} << 20)) && acols >= 2) {
    std::swap(m.cols[0].child, m.cols[1].child);
    std::swap(m.cols[0].offset, m.cols[1].offset);
    if (m.skipstart == 0) m.skipstart = 1;
  }
  return m;
}

uint64_t raidz_asize(uint64_t psize, uint64_t ashift, uint64_t dcols, uint64_t nparity) {
  if (psize == 0) return 0;
  uint64_t sectors = ((psize - 1) >> ashift) + 1;
  const uint64_t ndata = dcols - nparity;
  sectors += nparity * ((sectors + ndata - 1) / ndata);
  return roundup(sectors, nparity + 1) << ashift;
}

}  // namespace fzfs
