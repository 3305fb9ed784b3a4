#include "tests/corpus.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "tests/manifest.h"
#include "tests/pool_fixture.h"

namespace fzfs::test {

namespace fs = std::filesystem;

void PrintTo(const PoolCase& c, std::ostream* os) { *os << c.pool; }

namespace {

std::string test_id(const std::string& name) {
  std::string id;
  for (char c : name) id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return id;
}

std::vector<std::string> words_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> words;
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

bool is_vdev_type(const std::string& w) {
  return w == "mirror" || w.rfind("raidz", 0) == 0 || w == "spare" || w == "log" ||
         w == "cache";
}

}  // namespace

// conformance/zfs-fuse/POOL/: layout.txt names the devices, POOL is the folder's name.
std::vector<PoolCase> zfs_fuse_pools() {
  std::vector<PoolCase> cases;
  fs::path root = fs::path(conformance_dir()) / "zfs-fuse";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    fs::path layout = entry.path() / "layout.txt";
    if (!fs::exists(layout)) continue;
    PoolCase c;
    c.pool = entry.path().filename().string();
    c.id = test_id(c.pool);
    c.manifest = (entry.path() / "manifest.json.zst").string();
    auto words = words_of(layout.string());
    c.redundant = !words.empty() && (words[0] == "mirror" || words[0].rfind("raidz", 0) == 0);
    for (const auto& w : words) {
      if (!is_vdev_type(w)) c.sources.push_back((entry.path() / (w + ".zst")).string());
    }
    cases.push_back(c);
  }
  return cases;
}

// conformance/openzfs/manifests/POOL.json.zst: its status text names the device files,
// found in cli_root/zpool_upgrade/blockfiles as NAME.bz2 (the naming rules of the
// corpus README, e.g. zfs-pool-vBROKEN.dat holding pool "v3-pool.dat", come for free).
std::vector<PoolCase> openzfs_pools() {
  std::vector<PoolCase> cases;
  fs::path base = fs::path(conformance_dir()) / "openzfs";
  fs::path blocks = base / "cli_root" / "zpool_upgrade" / "blockfiles";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(base / "manifests", ec)) {
    PoolManifest m;
    try {
      m = load_manifest(entry.path().string());
    } catch (const std::exception&) {
      continue;  // reported by the case that needs it; discovery must not throw
    }
    PoolCase c;
    c.pool = m.pool;
    c.id = test_id(m.pool);
    c.manifest = entry.path().string();
    for (const auto& dev : m.device_names()) {
      fs::path src = blocks / (dev + ".bz2");
      if (fs::exists(src)) c.sources.push_back(src.string());
    }
    if (c.sources.empty()) continue;
    bool healthy = m.status.find("state: ONLINE") != std::string::npos;
    bool layered = m.status.find("mirror-") != std::string::npos ||
                   m.status.find("raidz") != std::string::npos;
    c.redundant = healthy && layered && m.status.find("spare-") == std::string::npos;
    cases.push_back(c);
  }
  return cases;
}

namespace {
std::vector<PoolCase> sorted(std::vector<PoolCase> v) {
  std::sort(v.begin(), v.end(), [](const PoolCase& a, const PoolCase& b) { return a.id < b.id; });
  return v;
}
}  // namespace

std::vector<PoolCase> all_pools() {
  auto a = zfs_fuse_pools();
  auto b = openzfs_pools();
  a.insert(a.end(), b.begin(), b.end());
  return sorted(a);
}

std::vector<PoolCase> redundant_pools() {
  std::vector<PoolCase> out;
  for (const auto& c : all_pools()) {
    if (c.redundant) out.push_back(c);
  }
  return out;
}

std::string pool_case_name(const ::testing::TestParamInfo<PoolCase>& info) { return info.param.id; }


}  // namespace fzfs::test
