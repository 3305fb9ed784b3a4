// RAIDZ parity arithmetic in GF(2^8) (polynomial 0x11d), done by ISA-L. With k data
// columns D0..Dk-1 (shorter columns padded with zeros to the parity length):
//
//   P = D0 + D1 + ... + Dk-1                 coefficients 1, 1, ..., 1
//   Q = 2^(k-1) D0 + ... + 2 Dk-2 + Dk-1     coefficients 2^(k-1), ..., 2, 1
//   R = 4^(k-1) D0 + ... + 4 Dk-2 + Dk-1     coefficients 4^(k-1), ..., 4, 1
//
// which is what OpenZFS computes column by column with Horner's rule. Losing any m <= 3
// columns leaves a solvable linear system: the rows of the surviving columns form a
// k x k matrix whose inverse gives back the missing data columns.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace fzfs {

inline constexpr int kRaidzMaxParity = 3;

class RaidzCodec {
 public:
  // k data columns (1..255 - nparity), nparity in 1..3.
  RaidzCodec(int ndata, int nparity);

  int ndata() const { return ndata_; }
  int nparity() const { return nparity_; }
  // The coefficient of data column i in parity row p.
  uint8_t coefficient(int p, int i) const { return rows_[p * ndata_ + i]; }

  // parity[p] = row p applied to data; every buffer is len bytes.
  void generate(size_t len, std::span<const uint8_t* const> data,
                std::span<uint8_t* const> parity) const;

  // Rebuilds data columns `lost` (indices into data, at most nparity of them) in place
  // from the other data columns and the parity rows `use` (one per lost column). Returns
  // false if the system is singular (it is not for the RAIDZ rows; checked anyway).
  bool reconstruct(size_t len, std::span<uint8_t* const> data,
                   std::span<const uint8_t* const> parity, std::span<const int> lost,
                   std::span<const int> use) const;

 private:
  int ndata_, nparity_;
  std::vector<uint8_t> rows_;    // nparity x ndata coefficients
  std::vector<uint8_t> tables_;  // ISA-L expanded tables for generate()
};

}  // namespace fzfs
