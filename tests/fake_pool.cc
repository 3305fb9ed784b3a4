#include "tests/fake_pool.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "engine/util/nicenum.h"

namespace fzfs::testing {

namespace {
constexpr int64_t kEpoch = 1700000000;  // every fake timestamp

uint32_t dtype_of(uint32_t mode) { return (mode & S_IFMT) >> 12; }
}  // namespace

FakeFilesystem::FakeFilesystem(std::string name) : name_(std::move(name)) {
  Node root;
  root.attr.ino = kRoot;
  root.attr.mode = S_IFDIR | 0755;
  root.attr.nlink = 2;
  root.attr.size = 2;
  root.attr.blksize = 512;
  root.attr.atime = root.attr.mtime = root.attr.ctime = root.attr.crtime = {kEpoch, 0};
  root.parent = kRoot;
  nodes_.emplace(kRoot, std::move(root));
}

uint64_t FakeFilesystem::add_node(uint64_t parent, const std::string& name, uint32_t mode,
                                  std::string data) {
  std::lock_guard lock(mu_);
  const uint64_t obj = next_obj_++;
  Node n;
  n.attr.ino = obj;
  n.attr.mode = mode;
  n.attr.nlink = S_ISDIR(mode) ? 2 : 1;
  n.attr.size = S_ISDIR(mode) ? 2 : data.size();
  n.attr.blocks = (data.size() + 511) / 512;
  n.attr.blksize = 131072;
  n.attr.uid = 1000;
  n.attr.gid = 1000;
  n.attr.gen = 7;
  n.attr.atime = n.attr.mtime = n.attr.ctime = n.attr.crtime = {kEpoch, 500};
  n.parent = parent;
  n.data = std::move(data);
  nodes_.emplace(obj, std::move(n));
  Node& p = nodes_.at(parent);
  p.children.emplace(name, obj);
  p.attr.size = p.children.size() + 2;
  if (S_ISDIR(mode)) p.attr.nlink++;
  return obj;
}

uint64_t FakeFilesystem::add_dir(uint64_t parent, const std::string& name, uint32_t perm) {
  return add_node(parent, name, S_IFDIR | perm, "");
}
uint64_t FakeFilesystem::add_file(uint64_t parent, const std::string& name, std::string data,
                                  uint32_t perm) {
  return add_node(parent, name, S_IFREG | perm, std::move(data));
}
uint64_t FakeFilesystem::add_symlink(uint64_t parent, const std::string& name,
                                     std::string target) {
  return add_node(parent, name, S_IFLNK | 0777, std::move(target));
}
void FakeFilesystem::set_xattr(uint64_t obj, const std::string& name, std::string value) {
  std::lock_guard lock(mu_);
  nodes_.at(obj).xattrs[name] = std::move(value);
}

std::shared_ptr<FakeFilesystem> FakeFilesystem::clone_as(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto copy = std::make_shared<FakeFilesystem>(name);
  copy->nodes_ = nodes_;
  copy->next_obj_ = next_obj_;
  return copy;
}

Result<FakeFilesystem::Node*> FakeFilesystem::node(uint64_t obj) {
  auto it = nodes_.find(obj);
  if (it == nodes_.end()) return make_error(ENOENT, "{}: object {} does not exist", name_, obj);
  return &it->second;
}

Result<Attr> FakeFilesystem::getattr(uint64_t obj) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * n, node(obj));
  return n->attr;
}

Result<uint64_t> FakeFilesystem::lookup(uint64_t dir, std::string_view name) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * d, node(dir));
  if (!S_ISDIR(d->attr.mode)) return make_error(ENOTDIR, "object {} is not a directory", dir);
  if (name == ".") return dir;
  if (name == "..") return d->parent;
  auto it = d->children.find(name);
  if (it == d->children.end()) return make_error(ENOENT, "{}: no entry '{}'", name_, name);
  return it->second;
}

Status FakeFilesystem::readdir(uint64_t dir, uint64_t cookie,
                               const std::function<bool(const DirEntry&)>& emit) {
  std::vector<DirEntry> all;
  {
    std::lock_guard lock(mu_);
    FZ_TRY(Node * d, node(dir));
    if (!S_ISDIR(d->attr.mode)) return make_error(ENOTDIR, "object {} is not a directory", dir);
    all.push_back({".", dir, DT_DIR, 1});
    all.push_back({"..", d->parent, DT_DIR, 2});
    for (const auto& [name, obj] : d->children)
      all.push_back({name, obj, dtype_of(nodes_.at(obj).attr.mode), all.size() + 1});
  }
  for (const auto& e : all)
    if (e.cookie > cookie && !emit(e)) break;
  return Status::Ok();
}

Result<size_t> FakeFilesystem::read(uint64_t obj, uint64_t offset, std::span<uint8_t> out) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * n, node(obj));
  if (S_ISDIR(n->attr.mode)) return make_error(EISDIR, "object {} is a directory", obj);
  if (offset >= n->data.size()) return size_t{0};
  const size_t len = std::min<uint64_t>(out.size(), n->data.size() - offset);
  std::memcpy(out.data(), n->data.data() + offset, len);
  return len;
}

Result<std::string> FakeFilesystem::readlink(uint64_t obj) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * n, node(obj));
  if (!S_ISLNK(n->attr.mode)) return make_error(EINVAL, "object {} is not a symlink", obj);
  return n->data;
}

Result<std::vector<std::string>> FakeFilesystem::listxattr(uint64_t obj) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * n, node(obj));
  std::vector<std::string> names;
  for (const auto& [k, v] : n->xattrs) names.push_back(k);
  return names;
}

Result<std::vector<uint8_t>> FakeFilesystem::getxattr(uint64_t obj, std::string_view name) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * n, node(obj));
  auto it = n->xattrs.find(name);
  if (it == n->xattrs.end()) return make_error(ENODATA, "object {}: no xattr '{}'", obj, name);
  return std::vector<uint8_t>(it->second.begin(), it->second.end());
}

Result<FsStat> FakeFilesystem::statfs() {
  std::lock_guard lock(mu_);
  FsStat s;
  s.bsize = 131072;
  s.blocks = 1000;
  s.bfree = 600;
  s.bavail = 600;
  s.files = nodes_.size() + 1000;
  s.ffree = 1000;
  s.fsid = 0xf5f5;
  return s;
}

// ---- FakePool ----

namespace {

PropValue size_prop(uint64_t n) { return {nicenum(n), n, "-"}; }

std::map<std::string, PropValue> default_props(const std::string& name, DatasetType type) {
  std::map<std::string, PropValue> p;
  p["type"] = {to_string(type), std::nullopt, "-"};
  p["creation"] = {"Tue Nov 14 22:13 2023", kEpoch, "-"};
  p["used"] = size_prop(type == DatasetType::kSnapshot ? 0 : 4980736);
  p["referenced"] = size_prop(4980736);
  p["compressratio"] = {"1.00x", 100, "-"};
  p["casesensitivity"] = {"sensitive", std::nullopt, "-"};
  if (type == DatasetType::kFilesystem) {
    p["available"] = size_prop(89743360);
    p["mounted"] = {"no", std::nullopt, "-"};
    p["mountpoint"] = {"/" + name, std::nullopt, "default"};
    p["canmount"] = {"on", std::nullopt, "default"};
    p["snapdir"] = {"hidden", std::nullopt, "default"};
    p["compression"] = {"off", std::nullopt, "default"};
    p["recordsize"] = {"128K", 131072, "default"};
    p["atime"] = {"on", std::nullopt, "default"};
  }
  return p;
}

}  // namespace

FakePool::FakePool(std::string name) : name_(std::move(name)) {}

FakePool::Entry* FakePool::find(const std::string& name) {
  for (auto& e : entries_)
    if (e.info.name == name) return &e;
  return nullptr;
}

std::shared_ptr<FakeFilesystem> FakePool::add_filesystem(
    const std::string& name, const std::map<std::string, std::string>& props) {
  Entry e;
  e.info.name = name;
  e.info.type = DatasetType::kFilesystem;
  e.info.dsobj = 100 + entries_.size();
  e.info.props = default_props(name, e.info.type);
  for (const auto& [k, v] : props) e.info.props[k] = {v, std::nullopt, "local"};
  e.fs = std::make_shared<FakeFilesystem>(name);
  entries_.push_back(e);
  return e.fs;
}

void FakePool::add_snapshot(const std::string& dataset, const std::string& snap) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return e.info.name == dataset; });
  Entry e;
  e.info.name = dataset + "@" + snap;
  e.info.type = DatasetType::kSnapshot;
  e.info.dsobj = 100 + entries_.size();
  e.info.props = default_props(e.info.name, e.info.type);
  e.fs = it->fs->clone_as(e.info.name);
  // After the dataset's existing snapshots, before its children.
  auto pos = it + 1;
  while (pos != entries_.end() && pos->info.name.starts_with(dataset + "@")) ++pos;
  entries_.insert(pos, std::move(e));
}

std::unique_ptr<FakePool> FakePool::make_standard(const std::string& name) {
  auto pool = std::make_unique<FakePool>(name);
  auto top = pool->add_filesystem(name);
  // Mountpoint directories of the children, as a pool that was once mounted has them.
  top->add_dir(FakeFilesystem::kRoot, "home");
  top->add_dir(FakeFilesystem::kRoot, "off");
  auto home = pool->add_filesystem(name + "/home");
  const uint64_t root = FakeFilesystem::kRoot;
  const uint64_t docs = home->add_dir(root, "docs");
  const uint64_t readme = home->add_file(root, "README", "hello from fzfs\n");
  home->set_xattr(readme, "user.color", "blue");
  home->set_xattr(readme, "user.empty", "");
  std::string big(3 * 1024 * 1024 + 123, '\0');
  for (size_t i = 0; i < big.size(); i++) big[i] = static_cast<char>((i * 131) >> 7);
  home->add_file(docs, "big.bin", std::move(big));
  home->add_symlink(root, "link", "docs/big.bin");
  // More entries than one readdir reply holds.
  const uint64_t many = home->add_dir(root, "many");
  for (int i = 0; i < 1000; i++)
    home->add_file(many, fmt::format("entry-with-a-longish-name-{:04}", i), std::to_string(i));
  pool->add_snapshot(name + "/home", "s1");
  home->add_file(root, "after-s1", "only in s2 and live\n");
  pool->add_snapshot(name + "/home", "s2");
  pool->add_filesystem(name + "/off", {{"canmount", "off"}});
  return pool;
}

std::map<std::string, PropValue> FakePool::properties() {
  std::map<std::string, PropValue> p;
  p["name"] = {name_, std::nullopt, "-"};
  p["size"] = size_prop(128974848);
  p["allocated"] = size_prop(6082560);
  p["free"] = size_prop(122892288);
  p["capacity"] = {"4%", 4, "-"};
  p["dedupratio"] = {"1.00x", 100, "-"};
  p["health"] = {"ONLINE", std::nullopt, "-"};
  p["guid"] = {std::to_string(guid()), guid(), "-"};
  p["version"] = {"-", std::nullopt, "default"};
  p["readonly"] = {"on", std::nullopt, "-"};
  p["feature@async_destroy"] = {"enabled", std::nullopt, "local"};
  return p;
}

VdevStatusNode FakePool::status() {
  VdevStatusNode root{name_, "ONLINE", 0, 0, 0, {}};
  VdevStatusNode mirror{"mirror-0", "ONLINE", 0, 0, 0, {}};
  mirror.children.push_back({"/dev/fake0", "ONLINE", 0, 0, 0, {}});
  mirror.children.push_back({"/dev/fake1", "ONLINE", 0, 0, 2, {}});
  root.children.push_back(std::move(mirror));
  return root;
}

Result<std::vector<DatasetInfo>> FakePool::datasets() {
  std::vector<DatasetInfo> out;
  for (const auto& e : entries_) out.push_back(e.info);
  return out;
}

Result<std::shared_ptr<Filesystem>> FakePool::open_filesystem(const std::string& name) {
  Entry* e = find(name);
  if (!e) return make_error(ENOENT, "dataset '{}' does not exist", name);
  return std::shared_ptr<Filesystem>(e->fs);
}

Result<std::vector<std::string>> FakePool::snapshots_of(const std::string& dataset) {
  if (!find(dataset)) return make_error(ENOENT, "dataset '{}' does not exist", dataset);
  std::vector<std::string> out;
  for (const auto& e : entries_)
    if (e.info.name.starts_with(dataset + "@")) out.push_back(e.info.name.substr(dataset.size() + 1));
  return out;
}

}  // namespace fzfs::testing
