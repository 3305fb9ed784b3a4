#include "engine/vdev/vdev_raidz.h"

#include <algorithm>
#include <cstring>

#include "engine/vdev/vdev_leaf.h"

namespace fzfs {

namespace {
// Columns are read without a verdict of their own: only the whole block can be checked.
const BlockVerifier kAcceptColumn = [](std::span<const uint8_t>) { return true; };

// Calls f with each k-element subset of [0, n) in lexicographic order until f says stop.
template <typename F>
bool for_each_combination(int n, int k, F&& f) {
  std::vector<int> idx(k);
  for (int i = 0; i < k; i++) idx[i] = i;
  if (k > n) return false;
  for (;;) {
    if (f(idx)) return true;
    int i = k - 1;
    while (i >= 0 && idx[i] == n - k + i) i--;
    if (i < 0) return false;
    idx[i]++;
    for (int j = i + 1; j < k; j++) idx[j] = idx[j - 1] + 1;
  }
}
}  // namespace

// The columns of one block read: as read from the children, zero-padded to the parity
// length, and which reads failed.
struct RaidzVdev::Attempt {
  uint64_t offset = 0;  // of the block, in this vdev's address space
  size_t len = 0;
  std::vector<std::vector<uint8_t>> read;
  std::vector<bool> failed;
  std::vector<bool> fetched;
};

std::string RaidzVdev::name() const { return fmt::format("raidz{}-{}", nparity_, id); }

VdevState RaidzVdev::state() const {
  uint64_t lost = 0, degraded = 0;
  for (const auto& c : children) {
    VdevState s = c->state();
    if (s == VdevState::kDegraded) degraded++;
    else if (s != VdevState::kOnline) lost++;
  }
  if (lost > nparity_) return VdevState::kUnavail;
  return lost + degraded == 0 ? VdevState::kOnline : VdevState::kDegraded;
}

uint64_t RaidzVdev::asize(uint64_t psize) const {
  return raidz_asize(psize, ashift, children.size(), nparity_);
}

const RaidzCodec& RaidzVdev::codec(int ndata) {
  std::lock_guard lock(codec_mu_);
  if (codecs_.size() <= size_t(ndata)) codecs_.resize(ndata + 1);
  if (!codecs_[ndata]) codecs_[ndata] = std::make_unique<RaidzCodec>(ndata, int(nparity_));
  return *codecs_[ndata];
}

namespace {

void assemble(const RaidzMap& map, const std::vector<std::vector<uint8_t>>& cols,
              std::span<uint8_t> out) {
  size_t pos = 0;
  for (size_t c = map.nparity; c < map.cols.size() && pos < out.size(); c++) {
    size_t n = std::min<size_t>(map.cols[c].size, out.size() - pos);
    std::memcpy(out.data() + pos, cols[c].data(), n);
    pos += n;
  }
}

}  // namespace

Status RaidzVdev::read(uint64_t offset, std::span<uint8_t> out, const BlockVerifier& verify) {
  if (out.empty()) return Status::Ok();
  const uint64_t size = round_to_ashift(out.size(), ashift);
  const RaidzMap map = raidz_map(offset, size, ashift, children.size(), nparity_);

  Attempt a;
  a.offset = offset;
  a.len = map.parity_size();
  const size_t ncols = map.cols.size();
  a.read.assign(ncols, std::vector<uint8_t>(a.len, 0));
  a.failed.assign(ncols, false);
  a.fetched.assign(ncols, false);
  auto fetch = [&](size_t c) {
    const RaidzColumn& col = map.cols[c];
    Status s = children[col.child]->read(col.offset, std::span(a.read[c].data(), col.size),
                                         kAcceptColumn);
    a.failed[c] = !s.ok();
    a.fetched[c] = true;
  };

  bool data_ok = true;
  for (size_t c = map.nparity; c < ncols; c++) {
    fetch(c);
    data_ok = data_ok && !a.failed[c];
  }
  if (data_ok) {
    assemble(map, a.read, out);
    if (verify(out)) return Status::Ok();
  }
  for (size_t c = 0; c < map.nparity; c++) fetch(c);
  return reconstruct(map, a, out, verify);
}

Status RaidzVdev::write(uint64_t offset, std::span<const uint8_t> data) {
  if (data.empty()) return Status::Ok();
  const uint64_t size = round_to_ashift(data.size(), ashift);
  const RaidzMap map = raidz_map(offset, size, ashift, children.size(), nparity_);
  const size_t np = map.nparity;
  const size_t ncols = map.cols.size();
  const size_t len = map.parity_size();

  // Every column buffer is parity-length: short data columns count as zero-padded.
  std::vector<std::vector<uint8_t>> cols(ncols, std::vector<uint8_t>(len, 0));
  size_t pos = 0;
  for (size_t c = np; c < ncols && pos < data.size(); c++) {
    const size_t n = std::min<size_t>(map.cols[c].size, data.size() - pos);
    std::memcpy(cols[c].data(), data.data() + pos, n);
    pos += map.cols[c].size;
  }
  std::vector<const uint8_t*> data_ptrs;
  std::vector<uint8_t*> parity_ptrs;
  for (size_t c = np; c < ncols; c++) data_ptrs.push_back(cols[c].data());
  for (size_t c = 0; c < np; c++) parity_ptrs.push_back(cols[c].data());
  codec(int(ncols - np)).generate(len, data_ptrs, parity_ptrs);

  size_t failed = 0;
  std::string why;
  for (size_t c = 0; c < ncols; c++) {
    const RaidzColumn& col = map.cols[c];
    Status s = children[col.child]->write(col.offset, std::span(cols[c].data(), col.size));
    if (!s.ok()) {
      failed++;
      why += (why.empty() ? "" : "; ") + s.error().message();
    }
  }
  if (failed <= nparity_) return Status::Ok();
  counters.write_errors++;
  return make_error(EIO, "vdev {}: {} of {} columns not written at {:#x}+{:#x}, parity covers {} ({})",
                    name(), failed, ncols, offset, data.size(), nparity_, why);
}

Status RaidzVdev::flush() {
  size_t failed = 0;
  std::string why;
  for (auto& c : children) {
    VdevState st = c->state();
    Status s = (st == VdevState::kOnline || st == VdevState::kDegraded)
                   ? c->flush()
                   : make_error(ENXIO, "vdev {} is {}", c->name(), to_string(st));
    if (!s.ok()) {
      failed++;
      why += (why.empty() ? "" : "; ") + s.error().message();
    }
  }
  if (failed <= nparity_) return Status::Ok();
  counters.write_errors++;
  return make_error(EIO, "vdev {}: {} of {} children could not be flushed, parity covers {} ({})",
                    name(), failed, children.size(), nparity_, why);
}

void RaidzVdev::blame_parity(const RaidzMap& map, const Attempt& a,
                             std::vector<std::vector<uint8_t>>& work) {
  const int np = int(map.nparity);
  const int ndata = int(map.cols.size()) - np;
  std::vector<std::vector<uint8_t>> fresh(np, std::vector<uint8_t>(a.len));
  std::vector<uint8_t*> fresh_ptrs(np);
  std::vector<const uint8_t*> data_ptrs(ndata);
  for (int p = 0; p < np; p++) fresh_ptrs[p] = fresh[p].data();
  for (int i = 0; i < ndata; i++) {
    // Parity treats short columns as zero-padded, whatever reconstruction left there.
    std::fill(work[np + i].begin() + map.cols[np + i].size, work[np + i].end(), 0);
    data_ptrs[i] = work[np + i].data();
  }
  codec(ndata).generate(a.len, data_ptrs, fresh_ptrs);
  for (int p = 0; p < np; p++) {
    if (a.failed[p] || !a.fetched[p]) continue;
    if (fresh[p] != a.read[p]) children[map.cols[p].child]->counters.cksum_errors++;
  }
}

Status RaidzVdev::reconstruct(const RaidzMap& map, Attempt& a, std::span<uint8_t> out,
                              const BlockVerifier& verify) {
  std::vector<int> failed;
  for (size_t c = 0; c < map.cols.size(); c++)
    if (a.failed[c]) failed.push_back(int(c));
  if (failed.size() > nparity_) {
    counters.read_errors++;
    return make_error(EIO, "vdev {}: {} of {} columns unreadable at {:#x}+{:#x}, parity covers {}",
                      name(), failed.size(), map.cols.size(), a.offset, out.size(),
                      nparity_);
  }
  if (!failed.empty() && try_lost(map, a, failed, out, verify)) return Status::Ok();

  // Silent damage: guess which columns are wrong, fewest first. Every guess includes the
  // columns that could not be read at all.
  const int n = int(map.cols.size());
  for (size_t k = std::max<size_t>(1, failed.size()); k <= nparity_; k++) {
    bool found = for_each_combination(n, int(k), [&](const std::vector<int>& wrong) {
      if (wrong == failed) return false;  // already tried
      for (int f : failed)
        if (std::find(wrong.begin(), wrong.end(), f) == wrong.end()) return false;
      return try_lost(map, a, wrong, out, verify);
    });
    if (found) return Status::Ok();
  }
  counters.cksum_errors++;
  return make_error(kECKSUM, "vdev {}: no reconstruction verifies at {:#x}+{:#x} ({} unreadable columns)",
                    name(), a.offset, out.size(), failed.size());
}

bool RaidzVdev::try_lost(const RaidzMap& map, Attempt& a, const std::vector<int>& wrong,
                         std::span<uint8_t> out, const BlockVerifier& verify) {
  const int np = int(map.nparity);
  std::vector<int> lost, use;
  for (int c : wrong)
    if (c >= np) lost.push_back(c - np);
  if (lost.empty()) return false;  // the data as read already failed
  for (int p = 0; p < np && use.size() < lost.size(); p++)
    if (std::find(wrong.begin(), wrong.end(), p) == wrong.end()) use.push_back(p);
  if (use.size() < lost.size()) return false;

  const int ndata = int(map.cols.size()) - np;
  std::vector<std::vector<uint8_t>> work(a.read);
  std::vector<uint8_t*> data(ndata);
  std::vector<const uint8_t*> parity(np);
  for (int i = 0; i < ndata; i++) data[i] = work[np + i].data();
  for (int p = 0; p < np; p++) parity[p] = work[p].data();
  if (!codec(ndata).reconstruct(a.len, data, parity, lost, use)) return false;
  assemble(map, work, out);
  if (!verify(out)) return false;

  // Found. Columns outside `wrong` were used as read; those inside that were read
  // without error yet differ from the verified truth were silently damaged.
  bool silent = false;
  for (int c : wrong) {
    if (a.failed[c]) continue;
    silent = true;
    if (c >= np && std::memcmp(work[c].data(), a.read[c].data(), map.cols[c].size) != 0)
      children[map.cols[c].child]->counters.cksum_errors++;
  }
  // With silent damage about, check every parity column read against the parity of the
  // verified data. (A plain degraded read skips this: the block verified, and parity
  // columns it did not need are not judged.)
  if (silent) blame_parity(map, a, work);
  return true;
}

}  // namespace fzfs
