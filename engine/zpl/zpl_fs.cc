#include "engine/zpl/zpl_fs.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstring>

#include "engine/dmu/dmu_types.h"
#include "engine/util/nvlist.h"

namespace fzfs {
namespace {

constexpr uint64_t kMasterNodeObj = 1;
constexpr uint64_t kDirentObjMask = (1ULL << 48) - 1;
constexpr size_t kLegacyZnodeSize = 264;  // znode_phys, after which old symlinks sit inline
constexpr uint64_t kMaxSymlink = 4096;

Result<ZapReader> open_zap(const ObjectStore& os, uint64_t obj, std::unique_ptr<ObjectData>* holder) {
  FZ_TRY(*holder, os.object_data(obj));
  return ZapReader::open(**holder);
}


Timespec ts(const SaAttrs& sa, const char* name) {
  auto v = sa.u64_array(name);
  if (!v.ok() || v->size() < 2) return {};
  return Timespec{static_cast<int64_t>((*v)[0]), static_cast<int64_t>((*v)[1])};
}

// xattr names: Linux namespaces are stored as given; ZFS on Solaris and zfs-fuse store
// user attributes without the "user." prefix.
bool has_namespace(std::string_view n) {
  for (std::string_view p : {"user.", "trusted.", "security.", "system."})
    if (n.substr(0, p.size()) == p) return true;
  return false;
}
std::string linux_xattr_name(const std::string& stored) {
  return has_namespace(stored) ? stored : "user." + stored;
}
// The namespace xattr=off turns off: "user." names, and bare names (stored as user ones).
bool is_user_xattr(std::string_view n) { return !has_namespace(n) || n.substr(0, 5) == "user."; }

}  // namespace

dev_t zpl_device_number(uint64_t raw) {
  if (raw >> 32 != 0) return makedev(static_cast<unsigned>(raw >> 32), static_cast<unsigned>(raw & 0xffffffffu));
  if (raw >> 20 != 0) return makedev(static_cast<unsigned>(raw >> 20), static_cast<unsigned>(raw & 0xfffffu));
  return makedev(static_cast<unsigned>((raw >> 8) & 0xfffu), static_cast<unsigned>(raw & 0xffu));
}

Result<ZplMaster> ZplFs::read_master(const ObjectStore& os) {
  std::unique_ptr<ObjectData> od;
  auto zap = open_zap(os, kMasterNodeObj, &od);
  if (!zap.ok()) return std::move(zap).error().context("ZPL master node");
  ZplMaster m;
  FZ_TRY(auto entries, zap->list_all());
  for (const ZapEntry& e : entries) {
    if (e.ints.empty()) continue;
    uint64_t v = e.ints[0];
    if (e.name == "VERSION") m.version = v;
    else if (e.name == "ROOT") m.root = v;
    else if (e.name == "SA_ATTRS") m.sa_attrs = v;
    else if (e.name == "normalization") m.normalization = v;
    else if (e.name == "utf8only") m.utf8only = v;
    else if (e.name == "casesensitivity") m.casesensitivity = v;
  }
  if (m.root == 0) return make_error(EIO, "ZPL master node has no ROOT");
  if (m.version == 0 || m.version > 5) return make_error(ENOTSUP, "ZPL version {} is not supported", m.version);
  return m;
}

Result<std::shared_ptr<ZplFs>> ZplFs::open(std::shared_ptr<ObjectStore> os, std::string name,
                                           std::function<FsStat()> statfs_source) {
  if (os->type() != ObjsetType::kZfs) return make_error(EINVAL, "{} is not a file system", name);
  std::shared_ptr<ZplFs> fs(new ZplFs());
  fs->os_ = std::move(os);
  fs->name_ = std::move(name);
  fs->statfs_source_ = std::move(statfs_source);
  FZ_TRY(fs->master_, read_master(*fs->os_));
  fs->sa_reg_ = SaRegistry::legacy();
  if (fs->master_.sa_attrs != 0) {
    std::unique_ptr<ObjectData> od, rod, lod;
    FZ_TRY(ZapReader sa_master, open_zap(*fs->os_, fs->master_.sa_attrs, &od));
    std::optional<ZapReader> reg, lay;
    if (auto r = sa_master.lookup_u64("REGISTRY"); r.ok()) {
      FZ_TRY(reg, open_zap(*fs->os_, *r, &rod));
    }
    if (auto l = sa_master.lookup_u64("LAYOUTS"); l.ok()) {
      FZ_TRY(lay, open_zap(*fs->os_, *l, &lod));
    }
    auto sreg = SaRegistry::from_zaps(reg ? &*reg : nullptr, lay ? &*lay : nullptr);
    if (!sreg.ok()) return std::move(sreg).error().context("SA registry");
    fs->sa_reg_ = std::move(*sreg);
  }
  return fs;
}

Result<std::shared_ptr<const ZplFs::OpenDir>> ZplFs::open_dir(const Znode& z) const {
  constexpr size_t kMaxOpenDirs = 1024;
  {
    std::lock_guard<std::mutex> g(dirs_mu_);
    if (auto it = dirs_.find(z.dn.object); it != dirs_.end()) return it->second;
  }
  auto d = std::make_shared<OpenDir>();
  FZ_TRY(d->data, os_->object_data(z.dn.object));
  auto zap = ZapReader::open(*d->data);
  if (!zap.ok()) return std::move(zap).error().context("{}: directory {}", name_, z.dn.object);
  d->zap = std::move(*zap);
  std::lock_guard<std::mutex> g(dirs_mu_);
  if (dirs_.size() >= kMaxOpenDirs) dirs_.clear();  // crude bound; re-opening is cheap enough
  dirs_[z.dn.object] = d;
  return std::shared_ptr<const OpenDir>(d);
}

Result<ZplFs::Znode> ZplFs::znode(uint64_t obj) const {
  auto dn = os_->dnode(obj);
  if (!dn.ok()) return std::move(dn).error().context("{}", name_);
  Znode z;
  z.dn = std::move(*dn);
  if (z.dn.bonustype == kOtZnode) {
    z.legacy = true;
    auto sa = parse_legacy_znode(z.dn.bonus, z.dn.bonus_foreign(), sa_reg_);
    if (!sa.ok()) return std::move(sa).error().context("{}: object {}", name_, obj);
    z.sa = std::move(*sa);
  } else if (z.dn.bonustype == kOtSa) {
    auto sa = parse_sa(z.dn.bonus, sa_reg_);
    if (!sa.ok()) return std::move(sa).error().context("{}: object {}: SA bonus", name_, obj);
    if (z.dn.flags & kDnodeFlagSpillBlkptr) {
      // Attributes that did not fit in the bonus continue in the spill block.
      auto blk = os_->read_spill(z.dn);
      if (!blk.ok()) return std::move(blk).error().context("{}: object {}: spill block", name_, obj);
      auto more = parse_sa(**blk, sa_reg_);
      if (!more.ok()) return std::move(more).error().context("{}: object {}: spill block", name_, obj);
      std::vector<SaAttr> all = sa->all();
      for (const auto& a : more->all()) all.push_back(a);
      sa = SaAttrs(std::move(all), sa->foreign());
    }
    z.sa = std::move(*sa);
  } else {
    return make_error(EIO, "{}: object {} is not a file (bonus type {})", name_, obj, z.dn.bonustype);
  }
  return z;
}

Result<Attr> ZplFs::attr_of(const Znode& z) const {
  Attr a;
  a.ino = z.dn.object;
  FZ_TRY(uint64_t mode, z.sa.u64("ZPL_MODE"));
  a.mode = static_cast<uint32_t>(mode);
  a.uid = static_cast<uint32_t>(z.sa.u64("ZPL_UID").ok() ? *z.sa.u64("ZPL_UID") : 0);
  a.gid = static_cast<uint32_t>(z.sa.u64("ZPL_GID").ok() ? *z.sa.u64("ZPL_GID") : 0);
  auto links = z.sa.u64("ZPL_LINKS");
  a.nlink = links.ok() ? *links : 1;
  auto size = z.sa.u64("ZPL_SIZE");
  a.size = size.ok() ? *size : 0;
  auto gen = z.sa.u64("ZPL_GEN");
  a.gen = gen.ok() ? *gen : 0;
  auto rdev = z.sa.u64("ZPL_RDEV");
  if (rdev.ok() && (S_ISCHR(a.mode) || S_ISBLK(a.mode))) a.rdev = zpl_device_number(*rdev);
  a.atime = ts(z.sa, "ZPL_ATIME");
  a.mtime = ts(z.sa, "ZPL_MTIME");
  a.ctime = ts(z.sa, "ZPL_CTIME");
  a.crtime = ts(z.sa, "ZPL_CRTIME");
  // ZFS's st_blocks: the blocks' space in 512-byte units, rounded, plus one for the dnode
  // (the same unit user accounting charges), so du agrees with other implementations.
  a.blocks = ((z.dn.used_bytes() + 256) >> 9) + 1;
  a.blksize = static_cast<uint32_t>(z.dn.data_block_size());
  return a;
}

Result<Attr> ZplFs::getattr(uint64_t obj) {
  auto held = hold_shared();
  FZ_TRY(Znode z, znode(obj));
  return attr_of(z);
}

Result<uint64_t> ZplFs::lookup(uint64_t dir, std::string_view name) {
  auto held = hold_shared();
  FZ_TRY(Znode z, znode(dir));
  FZ_TRY(uint64_t mode, z.sa.u64("ZPL_MODE"));
  if (!S_ISDIR(mode)) return make_error(ENOTDIR, "{}: object {} is not a directory", name_, dir);
  if (name == ".") return dir;
  if (name == "..") {
    auto p = z.sa.u64("ZPL_PARENT");
    return p.ok() ? *p : dir;
  }
  FZ_TRY(auto dir_zap, open_dir(z));
  FZ_TRY(auto e, dir_zap->zap->lookup(name));
  if (!e || e->ints.empty()) return make_error(ENOENT, "{}: no entry '{}' in directory {}", name_, name, dir);
  return e->ints[0] & kDirentObjMask;
}

Status ZplFs::readdir(uint64_t dir, uint64_t cookie, const std::function<bool(const DirEntry&)>& emit) {
  bool accessed = false;
  Status s = [&]() -> Status {
    auto held = hold_shared();
    FZ_TRY(Znode z, znode(dir));
    FZ_TRY(uint64_t mode, z.sa.u64("ZPL_MODE"));
    if (!S_ISDIR(mode)) return make_error(ENOTDIR, "{}: object {} is not a directory", name_, dir);
    accessed = access_due(z);
    // Cookies: 1 after ".", 2 after "..", then 3 + i after the i-th ZAP entry.
    if (cookie < 1 && !emit(DirEntry{".", dir, DT_DIR, 1})) return Status::Ok();
    if (cookie < 2) {
      auto p = z.sa.u64("ZPL_PARENT");
      if (!emit(DirEntry{"..", p.ok() ? *p : dir, DT_DIR, 2})) return Status::Ok();
    }
    FZ_TRY(auto dir_zap, open_dir(z));
    uint64_t index = 0;
    return dir_zap->zap->list([&](const ZapEntry& e) {
      uint64_t pos = 3 + index++;
      if (pos <= cookie) return true;
      if (e.ints.empty()) return true;
      uint64_t v = e.ints[0];
      return emit(DirEntry{e.name, v & kDirentObjMask, static_cast<uint32_t>(v >> 60), pos});
    });
  }();
  // A listing is an access of the directory (Linux's readdir touches its atime).
  if (s.ok() && accessed) note_access(dir);
  return s;
}

Result<size_t> ZplFs::read(uint64_t obj, uint64_t offset, std::span<uint8_t> out) {
  bool accessed = false;
  Result<size_t> r = [&]() -> Result<size_t> {
    auto held = hold_shared();
    FZ_TRY(Znode z, znode(obj));
    auto size = z.sa.u64("ZPL_SIZE");
    uint64_t fsize = size.ok() ? *size : 0;
    accessed = !out.empty() && access_due(z);  // reads at EOF count too, as on Linux
    if (offset >= fsize) return size_t{0};
    size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), fsize - offset));
    Status s = os_->read(z.dn, offset, out.subspan(0, n));
    if (!s.ok()) return std::move(s.error()).context("{}: offset {}", name_, offset);
    return n;
  }();
  // The shared lock is released first: the update takes the exclusive one, and only
  // when the atime rule asks for it.
  if (r.ok() && accessed) note_access(obj);
  return r;
}

Result<std::string> ZplFs::readlink(uint64_t obj) {
  auto held = hold_shared();
  FZ_TRY(Znode z, znode(obj));
  FZ_TRY(uint64_t mode, z.sa.u64("ZPL_MODE"));
  if (!S_ISLNK(mode)) return make_error(EINVAL, "{}: object {} is not a symlink", name_, obj);
  if (const SaAttr* a = z.sa.find("ZPL_SYMLINK"); a && !z.legacy) return std::string(a->bytes.begin(), a->bytes.end());
  auto size = z.sa.u64("ZPL_SIZE");
  uint64_t len = size.ok() ? *size : 0;
  if (len > kMaxSymlink) return make_error(EIO, "{}: symlink {} claims length {}", name_, obj, len);
  // Old znodes keep short targets right after znode_phys in the bonus buffer.
  if (z.legacy && kLegacyZnodeSize + len <= z.dn.bonus.size())
    return std::string(reinterpret_cast<const char*>(z.dn.bonus.data() + kLegacyZnodeSize), len);
  std::string target(len, '\0');
  Status s = os_->read(z.dn, 0, std::span(reinterpret_cast<uint8_t*>(target.data()), len));
  if (!s.ok()) return std::move(s.error()).context("{}: symlink {}", name_, obj);
  return target;
}

Result<std::vector<ZapEntry>> ZplFs::xattr_dir_entries(const Znode& z) const {
  auto xdir = z.sa.u64("ZPL_XATTR");
  if (!xdir.ok() || *xdir == 0) return std::vector<ZapEntry>{};
  FZ_TRY(auto od, os_->object_data(*xdir));
  FZ_TRY(ZapReader zap, ZapReader::open(*od));
  return zap.list_all();
}

Result<std::vector<std::pair<std::string, std::vector<uint8_t>>>> ZplFs::sa_xattrs(const Znode& z) const {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> out;
  const SaAttr* a = z.sa.find("ZPL_DXATTR");
  if (!a) return out;
  auto nvl = NvList::decode(a->bytes);
  if (!nvl.ok()) return std::move(nvl).error().context("{}: object {}: SA xattrs", name_, z.dn.object);
  for (const NvPair& p : nvl->pairs()) {
    if (const auto* bytes = std::get_if<std::vector<uint64_t>>(&p.value)) {
      std::vector<uint8_t> v;
      v.reserve(bytes->size());
      for (uint64_t b : *bytes) v.push_back(static_cast<uint8_t>(b));
      out.emplace_back(p.name, std::move(v));
    } else if (const auto* s = std::get_if<std::string>(&p.value)) {
      out.emplace_back(p.name, std::vector<uint8_t>(s->begin(), s->end()));
    }
  }
  return out;
}

bool ZplFs::access_due(const Znode& z) const {
  const AtimeMode mode = atime_mode_.load(std::memory_order_relaxed);
  // Snapshots and read-only imports never store an atime; atime=off skips the clock.
  if (!changes_allowed() || mode == AtimeMode::kOff) return false;
  return atime_update_due(mode, ts(z.sa, "ZPL_ATIME"), ts(z.sa, "ZPL_MTIME"), ts(z.sa, "ZPL_CTIME"), now());
}

Status ZplFs::xattr_allowed(std::string_view name) const {
  if (xattr_on_.load(std::memory_order_relaxed) || !is_user_xattr(name)) return Status::Ok();
  return make_error(EOPNOTSUPP, "{}: xattr=off: user attribute '{}' is not supported", name_, name);
}

Result<std::vector<std::string>> ZplFs::listxattr(uint64_t obj) {
  auto held = hold_shared();
  FZ_TRY(Znode z, znode(obj));
  std::vector<std::string> names;
  FZ_TRY(auto sa, sa_xattrs(z));
  for (const auto& [n, v] : sa) names.push_back(linux_xattr_name(n));
  FZ_TRY(auto dir, xattr_dir_entries(z));
  for (const ZapEntry& e : dir) names.push_back(linux_xattr_name(e.name));
  // xattr=off hides the user namespace only (as Linux ZFS's listing does).
  if (!xattr_on_.load(std::memory_order_relaxed))
    std::erase_if(names, [](const std::string& n) { return is_user_xattr(n); });
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Result<std::vector<uint8_t>> ZplFs::getxattr(uint64_t obj, std::string_view name) {
  FZ_CHECK(xattr_allowed(name));
  auto held = hold_shared();
  FZ_TRY(Znode z, znode(obj));
  std::vector<std::string> candidates{std::string(name)};
  if (name.substr(0, 5) == "user.") candidates.emplace_back(name.substr(5));
  FZ_TRY(auto sa, sa_xattrs(z));
  for (const auto& c : candidates)
    for (const auto& [n, v] : sa)
      if (n == c) return v;
  FZ_TRY(auto dir, xattr_dir_entries(z));
  for (const auto& c : candidates) {
    for (const ZapEntry& e : dir) {
      if (e.name != c || e.ints.empty()) continue;
      uint64_t xobj = e.ints[0] & kDirentObjMask;
      FZ_TRY(Znode xz, znode(xobj));
      auto size = xz.sa.u64("ZPL_SIZE");
      uint64_t len = size.ok() ? *size : 0;
      if (len > (64u << 20)) return make_error(E2BIG, "{}: xattr {} of object {} is too large", name_, c, obj);
      std::vector<uint8_t> v(len);
      FZ_CHECK(os_->read(xz.dn, 0, v));
      return v;
    }
  }
  return make_error(ENODATA, "{}: object {} has no xattr '{}'", name_, obj, name);
}

Result<FsStat> ZplFs::statfs() {
  FsStat s = statfs_source_ ? statfs_source_() : FsStat{};
  return s;
}

}  // namespace fzfs
