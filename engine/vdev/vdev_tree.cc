// Building the vdev tree from a "vdev_tree" nvlist:
//
//   type: 'raidz'  id: 0  guid: ...  nparity: 2  ashift: 9  asize: ...
//   children[0]: type: 'file'  id: 0  guid: ...  path: '/d/A'
//   children[1]: ...
//
// Interior vdevs (root, mirror, raidz, replacing, spare) carry children; leaves (file,
// disk) are matched to the opened devices by guid.
#include <algorithm>

#include "engine/vdev/vdev.h"
#include "engine/vdev/vdev_leaf.h"
#include "engine/vdev/vdev_mirror.h"
#include "engine/vdev/vdev_raidz.h"

namespace fzfs {

const char* to_string(VdevState s) {
  switch (s) {
    case VdevState::kOnline: return "ONLINE";
    case VdevState::kDegraded: return "DEGRADED";
    case VdevState::kFaulted: return "FAULTED";
    case VdevState::kUnavail: return "UNAVAIL";
    case VdevState::kOffline: return "OFFLINE";
    case VdevState::kRemoved: return "REMOVED";
  }
  return "UNKNOWN";
}

namespace {

// Real trees are root > top-level > replacing/spare > leaf; anything much deeper is a
// damaged or hostile config.
constexpr int kMaxTreeDepth = 8;
constexpr uint64_t kMaxRaidzChildren = 255;
constexpr uint64_t kMaxAshift = 17;

// The pool's root: children are the top-level vdevs, addressed by DVA vdev id.
class RootVdev final : public Vdev {
 public:
  explicit RootVdev(std::string name) : name_(std::move(name)) {}
  const char* type() const override { return "root"; }
  std::string name() const override { return name_; }
  VdevState state() const override {
    VdevState worst = VdevState::kOnline;
    for (const auto& c : children) {
      VdevState s = c->state();
      if (s == VdevState::kDegraded && worst == VdevState::kOnline) worst = s;
      if (s != VdevState::kOnline && s != VdevState::kDegraded) return VdevState::kUnavail;
    }
    return worst;
  }
  Status read(uint64_t offset, std::span<uint8_t> out, const BlockVerifier& verify) override {
    return make_error(EINVAL, "vdev {}: the root is not addressable; read a top-level vdev", name_);
  }
  Status write(uint64_t offset, std::span<const uint8_t> data) override {
    return make_error(EINVAL, "vdev {}: the root is not addressable; write a top-level vdev", name_);
  }
  // Every top-level vdev must keep its redundancy: blocks may live on any of them.
  Status flush() override {
    for (auto& c : children) FZ_CHECK(c->flush());
    return Status::Ok();
  }
  uint64_t asize(uint64_t psize) const override { return psize; }

 private:
  std::string name_;
};

const LeafDevice* find_device(const std::vector<LeafDevice>& devices, uint64_t guid) {
  for (const auto& d : devices)
    if (d.guid == guid && d.dev) return &d;
  return nullptr;
}

Result<std::unique_ptr<Vdev>> build(const NvList& nv, const std::vector<LeafDevice>& devices,
                                    uint64_t parent_ashift, int depth);

Status build_children(Vdev& v, const NvList& nv, const std::vector<LeafDevice>& devices,
                      int depth) {
  const std::vector<NvList>* kids = nv.get_nvlist_array("children");
  if (!kids || kids->empty())
    return make_error(EINVAL, "vdev {} ({}): no children", v.name(), v.type());
  for (size_t i = 0; i < kids->size(); i++) {
    auto child = build((*kids)[i], devices, v.ashift, depth + 1);
    if (!child.ok()) return std::move(child).error().context("{} child {}", v.type(), i);
    v.children.push_back(std::move(*child));
  }
  return Status::Ok();
}

Result<std::unique_ptr<Vdev>> make_vdev(const std::string& type, const NvList& nv,
                                        const std::vector<LeafDevice>& devices) {
  if (type == "file" || type == "disk") {
    const uint64_t guid = nv.get_u64("guid").value_or(0);
    std::string path = nv.get_string("path").value_or("");
    const LeafDevice* d = find_device(devices, guid);
    return std::unique_ptr<Vdev>(std::make_unique<LeafVdev>(type, d ? d->path : path,
                                                             d ? d->dev : nullptr));
  }
  if (type == "mirror" || type == "replacing" || type == "spare")
    return std::unique_ptr<Vdev>(std::make_unique<MirrorVdev>(type));
  if (type == "raidz") {
    // Pools older than double parity carry no nparity: they are single parity.
    const uint64_t nparity = nv.get_u64("nparity").value_or(1);
    if (nparity < 1 || nparity > kRaidzMaxParity)
      return make_error(EINVAL, "raidz with nparity {}", nparity);
    return std::unique_ptr<Vdev>(std::make_unique<RaidzVdev>(nparity));
  }
  if (type == "root") return std::unique_ptr<Vdev>(std::make_unique<RootVdev>(nv.get_string("name").value_or("root")));
  if (type == "hole" || type == "missing")
    return std::unique_ptr<Vdev>(std::make_unique<PlaceholderVdev>(type));
  return make_error(ENOTSUP, "unsupported vdev type '{}'", type);
}

Result<std::unique_ptr<Vdev>> build(const NvList& nv, const std::vector<LeafDevice>& devices,
                                    uint64_t parent_ashift, int depth) {
  if (depth > kMaxTreeDepth) return make_error(EINVAL, "vdev tree deeper than {} levels", kMaxTreeDepth);
  auto type = nv.get_string("type");
  if (!type) return make_error(EINVAL, "vdev without a type");
  FZ_TRY(std::unique_ptr<Vdev> v, make_vdev(*type, nv, devices));
  v->guid = nv.get_u64("guid").value_or(0);
  v->id = nv.get_u64("id").value_or(0);
  v->ashift = nv.get_u64("ashift").value_or(parent_ashift);  // only top-levels record it
  v->asize_total = nv.get_u64("asize").value_or(0);
  if (v->ashift < 9 || v->ashift > kMaxAshift)
    return make_error(EINVAL, "vdev {}: ashift {} out of range", v->name(), v->ashift);

  const std::string& t = *type;
  if (t == "root" || t == "mirror" || t == "replacing" || t == "spare" || t == "raidz")
    FZ_CHECK(build_children(*v, nv, devices, depth));
  if (t == "raidz") {
    auto& rz = static_cast<RaidzVdev&>(*v);
    if (v->children.size() <= rz.nparity() || v->children.size() > kMaxRaidzChildren)
      return make_error(EINVAL, "vdev {}: {} children cannot hold {} parity columns", v->name(),
                        v->children.size(), rz.nparity());
  }
  return v;
}

}  // namespace

Result<std::unique_ptr<Vdev>> build_vdev_tree(const NvList& vdev_tree,
                                              const std::vector<LeafDevice>& devices) {
  return build(vdev_tree, devices, 9, 0);
}

}  // namespace fzfs
