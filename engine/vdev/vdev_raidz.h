// RAIDZ vdevs: each block is cut into columns over the children with nparity parity
// columns (see raidz_map.h for the layout, raidz_codec.h for the arithmetic).
//
// A read fetches the data columns only. If one fails or the block does not verify, the
// parity columns are read too and reconstruction is tried: first treating the columns
// whose reads failed as lost, then, as OpenZFS does, every combination of up to nparity
// columns (always including the failed ones) as wrong, until the rebuilt block
// verifies. Columns found wrong count a checksum error on their child. When silent
// damage was found, the parity is recomputed from the verified data and parity columns
// that disagree are counted too. Reads that verify at once do not read parity, and a
// degraded read that verifies after rebuilding only unreadable columns does not judge
// the parity it did not need.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "engine/vdev/raidz_codec.h"
#include "engine/vdev/raidz_map.h"
#include "engine/vdev/vdev.h"

namespace fzfs {

class RaidzVdev final : public Vdev {
 public:
  explicit RaidzVdev(uint64_t nparity) : nparity_(nparity) {}

  const char* type() const override { return "raidz"; }
  std::string name() const override;
  VdevState state() const override;
  Status read(uint64_t offset, std::span<uint8_t> out, const BlockVerifier& verify) override;
  // Cuts the block into data columns (zero-padded to whole sectors), computes the parity
  // columns and writes every column to its child. Skip sectors are not written: nothing
  // reads them. Fails when more than nparity columns could not be written.
  Status write(uint64_t offset, std::span<const uint8_t> data) override;
  // Flushes every child; fails when more than nparity children are missing or failed.
  Status flush() override;
  uint64_t asize(uint64_t psize) const override;
  uint64_t nparity() const { return nparity_; }

 private:
  struct Attempt;
  const RaidzCodec& codec(int ndata);
  Status reconstruct(const RaidzMap& map, Attempt& a, std::span<uint8_t> out,
                     const BlockVerifier& verify);
  bool try_lost(const RaidzMap& map, Attempt& a, const std::vector<int>& wrong,
                std::span<uint8_t> out, const BlockVerifier& verify);
  void blame_parity(const RaidzMap& map, const Attempt& a, std::vector<std::vector<uint8_t>>& work);

  uint64_t nparity_;
  std::mutex codec_mu_;
  std::vector<std::unique_ptr<RaidzCodec>> codecs_;  // by number of data columns
};

}  // namespace fzfs
