#include "tests/fake_pool.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>

#include <algorithm>
#include <cstdio>  // RENAME_NOREPLACE, RENAME_EXCHANGE
#include <cstring>

#include <fmt/format.h>

#include "engine/util/nicenum.h"

namespace fzfs::testing {

namespace {
constexpr int64_t kEpoch = 1700000000;  // every fake timestamp of the builders

uint32_t dtype_of(uint32_t mode) { return (mode & S_IFMT) >> 12; }

Timespec now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return {ts.tv_sec, ts.tv_nsec};
}
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
  Node& p = nodes_.at(parent);
  const Attr parent_before = p.attr;
  Node& n = make_node(parent, name, mode, Creds{1000, 1000});
  // Builders keep the fixed times, the parent's too.
  p.attr.mtime = parent_before.mtime;
  p.attr.ctime = parent_before.ctime;
  n.attr.gen = 7;
  n.attr.atime = n.attr.mtime = n.attr.ctime = n.attr.crtime = {kEpoch, 500};
  if (S_ISLNK(mode)) {
    n.attr.size = data.size();
    n.target = std::move(data);
  } else if (S_ISREG(mode)) {
    write_bytes(n, 0, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  }
  return n.attr.ino;
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

void FakeFilesystem::set_writable(bool on) {
  std::lock_guard lock(mu_);
  writable_ = on;
}

bool FakeFilesystem::readonly() const {
  std::lock_guard lock(mu_);
  return !writable_;
}

std::vector<uint64_t> FakeFilesystem::forgotten() const {
  std::lock_guard lock(mu_);
  return forgotten_;
}

size_t FakeFilesystem::largest_write() const {
  std::lock_guard lock(mu_);
  return largest_write_;
}

size_t FakeFilesystem::fsyncs() const {
  std::lock_guard lock(mu_);
  return fsyncs_;
}

bool FakeFilesystem::exists(uint64_t obj) const {
  std::lock_guard lock(mu_);
  return nodes_.count(obj) != 0;
}

Result<FakeFilesystem::Node*> FakeFilesystem::node(uint64_t obj) {
  auto it = nodes_.find(obj);
  if (it == nodes_.end()) return make_error(ENOENT, "{}: object {} does not exist", name_, obj);
  return &it->second;
}

Result<FakeFilesystem::Node*> FakeFilesystem::dir_node(uint64_t obj) {
  FZ_TRY(Node * d, node(obj));
  if (!S_ISDIR(d->attr.mode)) return make_error(ENOTDIR, "object {} is not a directory", obj);
  return d;
}

Status FakeFilesystem::check_writable() const {
  if (!writable_) return make_error(EROFS, "{}: read-only file system", name_);
  return Status::Ok();
}

Result<FakeFilesystem::Node*> FakeFilesystem::writable_dir(uint64_t obj) {
  FZ_CHECK(check_writable());
  FZ_TRY(Node * d, dir_node(obj));
  // A directory removed while still open takes no new entries.
  if (d->attr.nlink == 0) return make_error(ENOENT, "directory {} was removed", obj);
  return d;
}

// A new node linked into `parent` (which must exist); the caller fills in the contents.
FakeFilesystem::Node& FakeFilesystem::make_node(uint64_t parent, std::string_view name,
                                                uint32_t mode, const Creds& c) {
  const uint64_t obj = next_obj_++;
  const Timespec t = now();
  Node n;
  n.attr.ino = obj;
  n.attr.mode = mode;
  n.attr.nlink = S_ISDIR(mode) ? 2 : 1;
  n.attr.size = S_ISDIR(mode) ? 2 : 0;
  n.attr.blksize = S_ISDIR(mode) ? 512 : 131072;
  n.attr.uid = c.uid;
  n.attr.gid = c.gid;
  n.attr.gen = obj;
  n.attr.atime = n.attr.mtime = n.attr.ctime = n.attr.crtime = t;
  n.parent = parent;
  Node& made = nodes_.emplace(obj, std::move(n)).first->second;
  Node& p = nodes_.at(parent);
  p.children.emplace(std::string(name), obj);
  if (S_ISDIR(mode)) p.attr.nlink++;
  touch_dir(p);
  return made;
}

// A directory's entries changed: ZFS reports entries + 2 as its size.
void FakeFilesystem::touch_dir(Node& dir) {
  dir.attr.size = dir.children.size() + 2;
  dir.attr.mtime = dir.attr.ctime = now();
}

void FakeFilesystem::write_bytes(Node& n, uint64_t offset, std::span<const uint8_t> data) {
  size_t done = 0;
  while (done < data.size()) {
    const uint64_t pos = offset + done;
    std::string& block = n.blocks[pos / kBlock];
    if (block.empty()) block.assign(kBlock, '\0');
    const size_t in = pos % kBlock;
    const size_t len = std::min<size_t>(kBlock - in, data.size() - done);
    std::memcpy(block.data() + in, data.data() + done, len);
    done += len;
  }
  n.attr.size = std::max<uint64_t>(n.attr.size, offset + data.size());
  n.attr.blocks = n.blocks.size() * (kBlock / 512);
}

// Truncate or extend: blocks past the end go, the tail of the last one reads as zeros.
void FakeFilesystem::resize(Node& n, uint64_t size) {
  n.blocks.erase(n.blocks.lower_bound((size + kBlock - 1) / kBlock), n.blocks.end());
  if (size % kBlock) {
    auto it = n.blocks.find(size / kBlock);
    if (it != n.blocks.end()) std::fill(it->second.begin() + size % kBlock, it->second.end(), '\0');
  }
  n.attr.size = size;
  n.attr.blocks = n.blocks.size() * (kBlock / 512);
}

Result<Attr> FakeFilesystem::getattr(uint64_t obj) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * n, node(obj));
  return n->attr;
}

Result<uint64_t> FakeFilesystem::lookup(uint64_t dir, std::string_view name) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * d, dir_node(dir));
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
    FZ_TRY(Node * d, dir_node(dir));
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
  if (offset >= n->attr.size) return size_t{0};
  const size_t len = std::min<uint64_t>(out.size(), n->attr.size - offset);
  for (size_t done = 0; done < len;) {
    const uint64_t pos = offset + done;
    const size_t in = pos % kBlock;
    const size_t part = std::min<size_t>(kBlock - in, len - done);
    auto it = n->blocks.find(pos / kBlock);
    if (it == n->blocks.end()) std::memset(out.data() + done, 0, part);  // a hole
    else std::memcpy(out.data() + done, it->second.data() + in, part);
    done += part;
  }
  return len;
}

Result<std::string> FakeFilesystem::readlink(uint64_t obj) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * n, node(obj));
  if (!S_ISLNK(n->attr.mode)) return make_error(EINVAL, "object {} is not a symlink", obj);
  return n->target;
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

// ---- changes ----

Result<Attr> FakeFilesystem::create(uint64_t dir, std::string_view name, uint32_t mode,
                                    uint64_t rdev, const Creds& c) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * d, writable_dir(dir));
  if (d->children.count(name)) return make_error(EEXIST, "{}: '{}' exists", name_, name);
  const uint32_t type = mode & S_IFMT;
  if (type == S_IFDIR || type == S_IFLNK) return make_error(EINVAL, "create of type {:#o}", type);
  Node& n = make_node(dir, name, mode, c);
  n.attr.rdev = rdev;
  return n.attr;
}

Result<Attr> FakeFilesystem::mkdir(uint64_t dir, std::string_view name, uint32_t mode,
                                   const Creds& c) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * d, writable_dir(dir));
  if (d->children.count(name)) return make_error(EEXIST, "{}: '{}' exists", name_, name);
  return make_node(dir, name, S_IFDIR | (mode & 07777), c).attr;
}

Result<Attr> FakeFilesystem::symlink(uint64_t dir, std::string_view name,
                                     std::string_view target, const Creds& c) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * d, writable_dir(dir));
  if (d->children.count(name)) return make_error(EEXIST, "{}: '{}' exists", name_, name);
  Node& n = make_node(dir, name, S_IFLNK | 0777, c);
  n.target = std::string(target);
  n.attr.size = target.size();
  return n.attr;
}

Result<Attr> FakeFilesystem::link(uint64_t obj, uint64_t dir, std::string_view name) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * d, writable_dir(dir));
  FZ_TRY(Node * n, node(obj));
  if (S_ISDIR(n->attr.mode)) return make_error(EPERM, "hard link to directory {}", obj);
  if (n->attr.nlink == 0) return make_error(ENOENT, "object {} was removed", obj);
  if (d->children.count(name)) return make_error(EEXIST, "{}: '{}' exists", name_, name);
  d->children.emplace(std::string(name), obj);
  n->attr.nlink++;
  n->attr.ctime = now();
  touch_dir(*d);
  return n->attr;
}

// Removes the entry `name` of `dir` and the link it held (the node lives on until forget).
void FakeFilesystem::drop_link(Node& dir, const std::string& name) {
  auto it = dir.children.find(name);
  Node& n = nodes_.at(it->second);
  dir.children.erase(it);
  if (S_ISDIR(n.attr.mode)) {
    n.attr.nlink = 0;
    dir.attr.nlink--;
  } else {
    n.attr.nlink--;
  }
  n.attr.ctime = now();
  touch_dir(dir);
}

Status FakeFilesystem::unlink(uint64_t dir, std::string_view name) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * d, writable_dir(dir));
  auto it = d->children.find(name);
  if (it == d->children.end()) return make_error(ENOENT, "{}: no entry '{}'", name_, name);
  if (S_ISDIR(nodes_.at(it->second).attr.mode)) return make_error(EISDIR, "'{}' is a directory", name);
  drop_link(*d, it->first);
  return Status::Ok();
}

Status FakeFilesystem::rmdir(uint64_t dir, std::string_view name) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * d, writable_dir(dir));
  if (name == ".") return make_error(EINVAL, "rmdir of '.'");
  auto it = d->children.find(name);
  if (it == d->children.end()) return make_error(ENOENT, "{}: no entry '{}'", name_, name);
  const Node& victim = nodes_.at(it->second);
  if (!S_ISDIR(victim.attr.mode)) return make_error(ENOTDIR, "'{}' is not a directory", name);
  if (!victim.children.empty()) return make_error(ENOTEMPTY, "'{}' is not empty", name);
  drop_link(*d, it->first);
  return Status::Ok();
}

// Whether obj is ancestor or ancestor's descendant: walks up from obj to the root.
bool FakeFilesystem::is_under(uint64_t obj, uint64_t ancestor) {
  for (uint64_t at = obj;; at = nodes_.at(at).parent) {
    if (at == ancestor) return true;
    if (at == kRoot) return false;
  }
}

Status FakeFilesystem::rename_exchange(Node& d1, std::string_view n1, Node& d2,
                                       std::string_view n2) {
  auto a = d1.children.find(n1);
  auto b = d2.children.find(n2);
  if (b == d2.children.end()) return make_error(ENOENT, "{}: no entry '{}'", name_, n2);
  const uint64_t oa = a->second, ob = b->second;
  Node& na = nodes_.at(oa);
  Node& nb = nodes_.at(ob);
  if (oa == ob) return Status::Ok();
  if ((S_ISDIR(na.attr.mode) && is_under(d2.attr.ino, oa)) ||
      (S_ISDIR(nb.attr.mode) && is_under(d1.attr.ino, ob)))
    return make_error(EINVAL, "exchange would move a directory into itself");
  a->second = ob;
  b->second = oa;
  if (&d1 != &d2) {
    // A directory changing parents moves one ".." link with it.
    if (S_ISDIR(na.attr.mode)) d1.attr.nlink--, d2.attr.nlink++, na.parent = d2.attr.ino;
    if (S_ISDIR(nb.attr.mode)) d2.attr.nlink--, d1.attr.nlink++, nb.parent = d1.attr.ino;
  }
  na.attr.ctime = nb.attr.ctime = now();
  touch_dir(d1);
  touch_dir(d2);
  return Status::Ok();
}

Status FakeFilesystem::rename(uint64_t dir, std::string_view name, uint64_t newdir,
                              std::string_view newname, unsigned flags) {
  std::lock_guard lock(mu_);
  if (flags & ~unsigned{RENAME_NOREPLACE | RENAME_EXCHANGE} ||
      flags == (RENAME_NOREPLACE | RENAME_EXCHANGE))
    return make_error(EINVAL, "rename flags {:#x}", flags);
  FZ_TRY(Node * d1, writable_dir(dir));
  FZ_TRY(Node * d2, writable_dir(newdir));
  if (name == "." || name == ".." || newname == "." || newname == "..")
    return make_error(EINVAL, "rename of '.' or '..'");
  auto src = d1->children.find(name);
  if (src == d1->children.end()) return make_error(ENOENT, "{}: no entry '{}'", name_, name);
  if (flags & RENAME_EXCHANGE) return rename_exchange(*d1, name, *d2, newname);
  const uint64_t obj = src->second;
  Node& moved = nodes_.at(obj);
  const bool is_dir = S_ISDIR(moved.attr.mode);
  if (auto dst = d2->children.find(newname); dst != d2->children.end()) {
    if (flags & RENAME_NOREPLACE) return make_error(EEXIST, "{}: '{}' exists", name_, newname);
    if (dst->second == obj) return Status::Ok();  // two names of one file: nothing to do
    const Node& old = nodes_.at(dst->second);
    if (is_dir && !S_ISDIR(old.attr.mode)) return make_error(ENOTDIR, "'{}' is not a directory", newname);
    if (!is_dir && S_ISDIR(old.attr.mode)) return make_error(EISDIR, "'{}' is a directory", newname);
    if (!old.children.empty()) return make_error(ENOTEMPTY, "'{}' is not empty", newname);
    if (is_dir && is_under(newdir, obj)) return make_error(EINVAL, "move of a directory into itself");
    drop_link(*d2, dst->first);
  } else if (is_dir && is_under(newdir, obj)) {
    return make_error(EINVAL, "move of a directory into itself");
  }
  d1->children.erase(src);
  d2->children.emplace(std::string(newname), obj);
  if (is_dir && d1 != d2) {
    d1->attr.nlink--;
    d2->attr.nlink++;
    moved.parent = newdir;
  }
  moved.attr.ctime = now();
  touch_dir(*d1);
  touch_dir(*d2);
  return Status::Ok();
}

Result<Attr> FakeFilesystem::setattr(uint64_t obj, const SetAttr& a) {
  std::lock_guard lock(mu_);
  FZ_CHECK(check_writable());
  FZ_TRY(Node * n, node(obj));
  const Timespec t = now();
  Attr& at = n->attr;
  if (a.size) {
    if (S_ISDIR(at.mode)) return make_error(EISDIR, "truncate of directory {}", obj);
    if (!S_ISREG(at.mode)) return make_error(EINVAL, "truncate of object {}", obj);
    resize(*n, *a.size);
    at.mtime = t;
  }
  if (a.mode) at.mode = (at.mode & S_IFMT) | (*a.mode & 07777);
  if (a.uid) at.uid = *a.uid;
  if (a.gid) at.gid = *a.gid;
  if (a.atime_now) at.atime = t;
  else if (a.atime) at.atime = *a.atime;
  if (a.mtime_now) at.mtime = t;
  else if (a.mtime) at.mtime = *a.mtime;
  at.ctime = a.ctime ? *a.ctime : t;
  return at;
}

Result<size_t> FakeFilesystem::write(uint64_t obj, uint64_t offset,
                                     std::span<const uint8_t> data) {
  std::lock_guard lock(mu_);
  FZ_CHECK(check_writable());
  FZ_TRY(Node * n, node(obj));
  if (S_ISDIR(n->attr.mode)) return make_error(EISDIR, "write to directory {}", obj);
  if (!S_ISREG(n->attr.mode)) return make_error(EINVAL, "write to object {}", obj);
  write_bytes(*n, offset, data);
  largest_write_ = std::max(largest_write_, data.size());
  n->attr.mtime = n->attr.ctime = now();
  return data.size();
}

Status FakeFilesystem::setxattr(uint64_t obj, std::string_view name,
                                std::span<const uint8_t> value, int flags) {
  std::lock_guard lock(mu_);
  FZ_CHECK(check_writable());
  FZ_TRY(Node * n, node(obj));
  auto it = n->xattrs.find(name);
  if ((flags & XATTR_CREATE) && it != n->xattrs.end()) return make_error(EEXIST, "xattr '{}' exists", name);
  if ((flags & XATTR_REPLACE) && it == n->xattrs.end()) return make_error(ENODATA, "no xattr '{}'", name);
  n->xattrs[std::string(name)] = std::string(value.begin(), value.end());
  n->attr.ctime = now();
  return Status::Ok();
}

Status FakeFilesystem::removexattr(uint64_t obj, std::string_view name) {
  std::lock_guard lock(mu_);
  FZ_CHECK(check_writable());
  FZ_TRY(Node * n, node(obj));
  auto it = n->xattrs.find(name);
  if (it == n->xattrs.end()) return make_error(ENODATA, "no xattr '{}'", name);
  n->xattrs.erase(it);
  n->attr.ctime = now();
  return Status::Ok();
}

Status FakeFilesystem::fsync(uint64_t obj, bool) {
  std::lock_guard lock(mu_);
  FZ_TRY(Node * n, node(obj));
  (void)n;
  fsyncs_++;
  return Status::Ok();
}

void FakeFilesystem::forget(uint64_t obj) {
  std::lock_guard lock(mu_);
  forgotten_.push_back(obj);
  auto it = nodes_.find(obj);
  if (it != nodes_.end() && it->second.attr.nlink == 0) nodes_.erase(it);
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

std::shared_ptr<FakeFilesystem> FakePool::filesystem(const std::string& name) {
  Entry* e = find(name);
  return e ? e->fs : nullptr;
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
