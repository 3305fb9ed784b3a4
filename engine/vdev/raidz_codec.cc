#include "engine/vdev/raidz_codec.h"

#include <isa-l/erasure_code.h>

#include <algorithm>

namespace fzfs {

namespace {
// Generators of the parity rows: P uses 1, Q uses 2, R uses 4.
constexpr uint8_t kGenerator[kRaidzMaxParity] = {1, 2, 4};
}  // namespace

RaidzCodec::RaidzCodec(int ndata, int nparity)
    : ndata_(ndata), nparity_(nparity), rows_(size_t(ndata) * nparity) {
  for (int p = 0; p < nparity; p++) {
    uint8_t c = 1;  // the last data column gets g^0
    for (int i = ndata - 1; i >= 0; i--) {
      rows_[p * ndata + i] = c;
      c = gf_mul(c, kGenerator[p]);
    }
  }
  tables_.resize(size_t(32) * ndata * nparity);
  ec_init_tables(ndata, nparity, rows_.data(), tables_.data());
}

void RaidzCodec::generate(size_t len, std::span<const uint8_t* const> data,
                          std::span<uint8_t* const> parity) const {
  ec_encode_data(static_cast<int>(len), ndata_, nparity_, const_cast<uint8_t*>(tables_.data()),
                 const_cast<uint8_t**>(data.data()), const_cast<uint8_t**>(parity.data()));
}

bool RaidzCodec::reconstruct(size_t len, std::span<uint8_t* const> data,
                             std::span<const uint8_t* const> parity, std::span<const int> lost,
                             std::span<const int> use) const {
  const int k = ndata_;
  const int m = static_cast<int>(lost.size());
  if (m == 0) return true;
  if (m > nparity_ || use.size() != lost.size()) return false;

  // The survivors, in order: the intact data columns, then the chosen parity columns.
  // Row j of `sub` expresses survivor j as a combination of the k data columns.
  std::vector<uint8_t> sub(size_t(k) * k, 0);
  std::vector<const uint8_t*> survivors;
  survivors.reserve(k);
  for (int i = 0; i < k; i++) {
    if (std::find(lost.begin(), lost.end(), i) != lost.end()) continue;
    sub[survivors.size() * k + i] = 1;
    survivors.push_back(data[i]);
  }
  for (int p : use) {
    std::copy_n(&rows_[p * k], k, &sub[survivors.size() * k]);
    survivors.push_back(parity[p]);
  }
  std::vector<uint8_t> inv(size_t(k) * k);
  if (gf_invert_matrix(sub.data(), inv.data(), k) != 0) return false;

  // Lost column i is row i of the inverse applied to the survivors.
  std::vector<uint8_t> decode(size_t(m) * k);
  std::vector<uint8_t*> outs(m);
  for (int j = 0; j < m; j++) {
    std::copy_n(&inv[size_t(lost[j]) * k], k, &decode[size_t(j) * k]);
    outs[j] = data[lost[j]];
  }
  std::vector<uint8_t> tables(size_t(32) * k * m);
  ec_init_tables(k, m, decode.data(), tables.data());
  ec_encode_data(static_cast<int>(len), k, m, tables.data(),
                 const_cast<uint8_t**>(survivors.data()), outs.data());
  return true;
}

}  // namespace fzfs
