// The ZPL's changes: names in directory ZAPs, znodes in bonus buffers, file data in
// the object's blocks, all in the pool's open transaction group.
#include <dirent.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "engine/dmu/dmu_types.h"
#include "engine/util/byteorder.h"
#include "engine/zap/zap_writer.h"
#include "engine/zpl/zpl_fs.h"

namespace fzfs {
namespace {

constexpr uint64_t kMasterNodeObj = 1;
constexpr uint64_t kDirentObjMask = (1ULL << 48) - 1;
constexpr size_t kMaxName = 255;
constexpr uint64_t kMaxFileSize = 1ULL << 62;
constexpr size_t kSaBonusLen = 320;

uint64_t dirent_value(uint64_t obj, uint64_t mode) { return (uint64_t((mode & S_IFMT) >> 12) << 60) | obj; }

uint64_t round512(uint64_t v) { return (v + 511) & ~uint64_t{511}; }

// The dev_t zfs-fuse stores (the kernel's 32-bit encoding FUSE hands over); decoded by
// zpl_device_number() like the other writers' forms.
uint64_t stored_rdev(uint64_t linux_dev) {
  const uint64_t maj = major(linux_dev), min = minor(linux_dev);
  return (min & 0xff) | (maj << 8) | ((min & ~uint64_t{0xff}) << 12);
}

Status check_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return make_error(EINVAL, "invalid name '{}'", name);
  if (name.size() > kMaxName) return make_error(ENAMETOOLONG, "name of {} bytes is too long", name.size());
  if (name.find('/') != std::string_view::npos) return make_error(EINVAL, "name contains '/'");
  return Status::Ok();
}

}  // namespace

Timespec ZplFs::now() const {
  auto t = std::chrono::system_clock::now().time_since_epoch();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t).count();
  return Timespec{ns / 1000000000, ns % 1000000000};
}

void ZplFs::invalidate_dir(uint64_t dir) {
  std::lock_guard<std::mutex> g(dirs_mu_);
  dirs_.erase(dir);
}

Result<ZplFs::ZnodeRec> ZplFs::load(uint64_t obj) {
  // Every change starts by loading what it changes: the one place to refuse it.
  if (!changes_allowed()) return ro();
  FZ_TRY(Znode z, znode(obj));
  ZnodeRec r;
  r.obj = obj;
  r.dn = z.dn;
  r.a = ZnodeAttrs::from_sa(z.sa);
  r.legacy = z.legacy;
  if (z.legacy && S_ISLNK(r.a.mode) && r.a.size <= kLegacyInlineSymlinkMax &&
      kLegacyZnodeBytes + r.a.size <= z.dn.bonus.size())
    r.a.symlink.assign(reinterpret_cast<const char*>(z.dn.bonus.data() + kLegacyZnodeBytes), r.a.size);
  return r;
}

Result<std::vector<uint16_t>> ZplFs::sa_attrs_for(const ZnodeAttrs& a) const {
  // ZFS's attribute order for new znodes; devices add RDEV, symlinks SYMLINK.
  std::vector<std::string> names = {"ZPL_MODE", "ZPL_SIZE", "ZPL_GEN", "ZPL_UID", "ZPL_GID", "ZPL_PARENT",
                                    "ZPL_FLAGS", "ZPL_ATIME", "ZPL_MTIME", "ZPL_CTIME", "ZPL_CRTIME", "ZPL_LINKS"};
  if (S_ISCHR(a.mode) || S_ISBLK(a.mode)) names.push_back("ZPL_RDEV");
  names.push_back("ZPL_DACL_COUNT");
  names.push_back("ZPL_DACL_ACES");
  if (S_ISLNK(a.mode)) names.push_back("ZPL_SYMLINK");
  if (a.xattr) names.push_back("ZPL_XATTR");
  std::vector<uint16_t> attrs;
  for (const auto& n : names) {
    const SaAttrDef* def = sa_reg_.find(n);
    if (!def) return make_error(EIO, "{}: SA attribute {} is not registered", name_, n);
    attrs.push_back(def->num);
  }
  // Attributes another writer stored that the ZPL here does not model (xattrs kept as
  // SA, project ids...) stay with the znode.
  for (const auto& [n, bytes] : a.other) {
    const SaAttrDef* def = sa_reg_.find(n);
    if (def && std::find(attrs.begin(), attrs.end(), def->num) == attrs.end()) attrs.push_back(def->num);
  }
  return attrs;
}

Result<uint64_t> ZplFs::sa_layout_number(const std::vector<uint16_t>& attrs) {
  if (auto known = sa_reg_.find_layout(attrs)) return *known;
  // Register a new layout, as ZFS does when it meets a new attribute combination.
  const uint64_t num = sa_reg_.free_layout_number();
  if (num >= 1024) return make_error(ENOSPC, "{}: all 1024 SA layout numbers are taken", name_);
  FZ_TRY(auto od, os_->object_data(master_.sa_attrs));
  FZ_TRY(ZapReader sa_master, ZapReader::open(*od));
  FZ_TRY(uint64_t layouts_obj, sa_master.lookup_u64("LAYOUTS"));
  FZ_TRY(auto lview, wos_->object(layouts_obj));
  FZ_TRY(ZapWriter lz, ZapWriter::open(*lview));
  FZ_CHECK(lz.add(ZapKey::of_name(std::to_string(num)), ZapValue::array(2, std::vector<uint64_t>(attrs.begin(), attrs.end()))));
  sa_reg_.add_layout(num, attrs);
  return num;
}

Status ZplFs::store(ZnodeRec& z) {
  if (z.legacy) return wos_->set_bonus(z.obj, encode_legacy_znode(z.a), kOtZnode);
  FZ_TRY(auto attrs, sa_attrs_for(z.a));
  auto split = split_sa_znode(z.a, sa_reg_, attrs, kSaBonusLen);
  if (!split.ok()) return std::move(split).error().context("{}: object {}", name_, z.obj);
  FZ_TRY(uint64_t bonus_layout, sa_layout_number(split->bonus));
  if (split->spill.empty()) {
    FZ_TRY(auto bonus, encode_sa_znode(z.a, sa_reg_, bonus_layout, kSaBonusLen));
    bonus.resize(kSaBonusLen, 0);  // ZFS gives SA znodes the whole bonus area
    FZ_CHECK(wos_->remove_spill(z.obj));
    return wos_->set_bonus(z.obj, bonus, kOtSa);
  }
  // The bonus ends where the spill blkptr begins; the spill block holds the rest in a
  // layout of its own, in 512-byte multiples.
  const size_t bonus_room = kSaBonusLen - kBlkptrSize;
  FZ_TRY(auto bonus, encode_sa_znode(z.a, sa_reg_, bonus_layout, bonus_room));
  bonus.resize(bonus_room, 0);
  FZ_TRY(uint64_t spill_layout, sa_layout_number(split->spill));
  FZ_TRY(auto spill, encode_sa_znode(z.a, sa_reg_, spill_layout, kMaxSpillBytes));
  spill.resize(round512(spill.size()), 0);
  FZ_CHECK(wos_->set_bonus(z.obj, bonus, kOtSa));
  // Most changes touch only the bonus (times, size): an unchanged spill block is kept.
  if (auto cur = wos_->read_spill(z.dn); cur.ok() && **cur == spill) return Status::Ok();
  return wos_->set_spill(z.obj, spill);
}

Result<ZplFs::ZnodeRec> ZplFs::new_znode(uint64_t parent, uint64_t mode, const Creds& c, uint64_t rdev, uint8_t type) {
  const bool legacy = master_.version < 5;
  NewObject shape{type, 512, static_cast<uint8_t>(legacy ? kOtZnode : kOtSa),
                  static_cast<uint16_t>(legacy ? kLegacyZnodeBytes : kSaBonusLen), wcfg_.indblkshift};
  FZ_TRY(uint64_t obj, wos_->allocate(shape));
  ZnodeRec z;
  z.obj = obj;
  z.legacy = legacy;
  const Timespec t = now();
  z.a.mode = mode;
  z.a.uid = c.uid;
  z.a.gid = c.gid;
  z.a.links = 1;
  z.a.parent = parent;
  z.a.gen = txg_->open_txg();
  z.a.flags = kZflagsNewFile;
  z.a.rdev = (S_ISCHR(mode) || S_ISBLK(mode)) ? stored_rdev(rdev) : 0;
  z.a.atime = z.a.mtime = z.a.ctime = z.a.crtime = t;
  z.a.aces = trivial_aces(mode);
  z.a.ace_count = 6;
  FZ_TRY(z.dn, wos_->dnode(obj));
  return z;
}

Result<std::optional<uint64_t>> ZplFs::dir_lookup(const ZnodeRec& dir, std::string_view name) {
  FZ_TRY(auto view, wos_->object(dir.obj));
  FZ_TRY(ZapReader zap, ZapReader::open(*view));
  FZ_TRY(auto e, zap.lookup(name));
  if (!e || e->ints.empty()) return std::optional<uint64_t>();
  return std::optional<uint64_t>(e->ints[0] & kDirentObjMask);
}

Result<uint64_t> ZplFs::dir_count(const ZnodeRec& dir) {
  FZ_TRY(auto view, wos_->object(dir.obj));
  FZ_TRY(ZapReader zap, ZapReader::open(*view));
  return zap.count();
}

Status ZplFs::dir_add(ZnodeRec& dir, std::string_view name, const ZnodeRec& child) {
  FZ_TRY(auto view, wos_->object(dir.obj));
  FZ_TRY(ZapWriter w, ZapWriter::open(*view));
  FZ_CHECK(w.add(name, dirent_value(child.obj, child.a.mode)));
  invalidate_dir(dir.obj);
  dir.a.size++;
  dir.a.mtime = dir.a.ctime = now();
  return Status::Ok();
}

Status ZplFs::add_or_abandon(ZnodeRec& dir, std::string_view name, const ZnodeRec& child) {
  Status s = dir_add(dir, name, child);
  if (s.ok()) return s;
  (void)wos_->free_object(child.obj);
  if (s.error().code() == EEXIST) return make_error(EEXIST, "{}: '{}' exists", name_, name);
  return s;
}

Status ZplFs::dir_remove(ZnodeRec& dir, std::string_view name) {
  FZ_TRY(auto view, wos_->object(dir.obj));
  FZ_TRY(ZapWriter w, ZapWriter::open(*view));
  FZ_CHECK(w.remove(name));
  invalidate_dir(dir.obj);
  if (dir.a.size > 2) dir.a.size--;
  dir.a.mtime = dir.a.ctime = now();
  return Status::Ok();
}

Result<uint64_t> ZplFs::unlinked_set() {
  FZ_TRY(auto od, os_->object_data(kMasterNodeObj));
  FZ_TRY(ZapReader master, ZapReader::open(*od));
  return master.lookup_u64("DELETE_QUEUE");
}

Status ZplFs::free_znode(uint64_t obj) {
  FZ_TRY(ZnodeRec z, load(obj));
  if (z.a.xattr) {
    // The hidden xattr directory and its files go with it.
    if (auto xd = load(z.a.xattr); xd.ok()) {
      FZ_TRY(auto view, wos_->object(z.a.xattr));
      FZ_TRY(ZapReader zap, ZapReader::open(*view));
      FZ_TRY(auto entries, zap.list_all());
      for (const auto& e : entries)
        if (!e.ints.empty()) FZ_CHECK(wos_->free_object(e.ints[0] & kDirentObjMask));
      FZ_CHECK(wos_->free_object(z.a.xattr));
    }
  }
  FZ_CHECK(wos_->free_object(obj));
  FZ_TRY(uint64_t dq, unlinked_set());
  FZ_TRY(auto view, wos_->object(dq));
  FZ_TRY(ZapWriter w, ZapWriter::open(*view));
  Status s = w.remove(fmt::format("{:x}", obj));
  if (!s.ok() && s.error().code() != ENOENT) return s;
  zero_link_.erase(obj);
  invalidate_dir(obj);
  return Status::Ok();
}

// One link fewer; at zero the object waits in the unlinked set until the kernel lets go.
Status ZplFs::drop_link(ZnodeRec& z) {
  if (z.a.links > 0) z.a.links--;
  if (S_ISDIR(z.a.mode)) z.a.links = 0;  // an empty directory being removed
  z.a.ctime = now();
  FZ_CHECK(store(z));
  if (z.a.links > 0) return Status::Ok();
  FZ_TRY(uint64_t dq, unlinked_set());
  FZ_TRY(auto view, wos_->object(dq));
  FZ_TRY(ZapWriter w, ZapWriter::open(*view));
  FZ_CHECK(w.update(fmt::format("{:x}", z.obj), z.obj));
  zero_link_.insert(z.obj);
  return Status::Ok();
}

void ZplFs::forget(uint64_t obj) {
  if (!wos_) return;
  auto held = hold();
  if (!zero_link_.count(obj)) return;
  (void)free_znode(obj);  // a failure leaves it in the unlinked set for the next mount
  txg_->changed();
}

Status ZplFs::drain_unlinked() {
  if (!changes_allowed()) return Status::Ok();  // a read-only mount leaves them for later
  auto held = hold();
  FZ_TRY(uint64_t dq, unlinked_set());
  FZ_TRY(auto view, wos_->object(dq));
  FZ_TRY(ZapReader zap, ZapReader::open(*view));
  FZ_TRY(auto entries, zap.list_all());
  for (const auto& e : entries)
    if (!e.ints.empty()) FZ_CHECK(free_znode(e.ints[0]));
  txg_->changed();
  return Status::Ok();
}

Result<ZplFs::ZnodeRec> ZplFs::writable_dir(uint64_t dir, std::string_view name) {
  if (!wos_) return ro();
  FZ_CHECK(check_name(name));
  FZ_TRY(ZnodeRec d, load(dir));
  if (!S_ISDIR(d.a.mode)) return make_error(ENOTDIR, "{}: object {} is not a directory", name_, dir);
  if (d.a.links == 0) return make_error(ENOENT, "{}: directory {} was removed", name_, dir);
  return d;
}

Result<Attr> ZplFs::create(uint64_t dir, std::string_view name, uint32_t mode, uint64_t rdev, const Creds& c) {
  auto held = hold();
  if (txg_) FZ_CHECK(txg_->reserve(4096));
  FZ_TRY(ZnodeRec d, writable_dir(dir, name));
  if ((mode & S_IFMT) == 0) mode |= S_IFREG;
  if (S_ISDIR(mode) || S_ISLNK(mode)) return make_error(EINVAL, "create of a directory or symlink");
  FZ_TRY(ZnodeRec z, new_znode(dir, mode, c, rdev, kOtPlainFileContents));
  // The ZAP insert itself finds a taken name (no separate lookup: a micro ZAP is
  // parsed whole for each).
  FZ_CHECK(add_or_abandon(d, name, z));
  FZ_CHECK(store(z));
  FZ_CHECK(store(d));
  txg_->changed();
  FZ_TRY(Znode zn, znode(z.obj));
  return attr_of(zn);
}

Result<Attr> ZplFs::mkdir(uint64_t dir, std::string_view name, uint32_t mode, const Creds& c) {
  auto held = hold();
  if (txg_) FZ_CHECK(txg_->reserve(4096));
  FZ_TRY(ZnodeRec d, writable_dir(dir, name));
  FZ_TRY(auto exists, dir_lookup(d, name));
  if (exists) return make_error(EEXIST, "{}: '{}' exists", name_, name);
  FZ_TRY(ZnodeRec z, new_znode(dir, S_IFDIR | (mode & 07777), c, 0, kOtDirectoryContents));
  z.a.links = 2;
  z.a.size = 2;
  FZ_TRY(auto view, wos_->object(z.obj));
  FZ_CHECK(ZapWriter::create(*view));
  FZ_CHECK(store(z));
  FZ_CHECK(dir_add(d, name, z));
  d.a.links++;
  FZ_CHECK(store(d));
  txg_->changed();
  FZ_TRY(Znode zn, znode(z.obj));
  return attr_of(zn);
}

Result<Attr> ZplFs::symlink(uint64_t dir, std::string_view name, std::string_view target, const Creds& c) {
  auto held = hold();
  if (txg_) FZ_CHECK(txg_->reserve(4096));
  FZ_TRY(ZnodeRec d, writable_dir(dir, name));
  if (target.size() > 4095) return make_error(ENAMETOOLONG, "symlink target of {} bytes", target.size());
  FZ_TRY(auto exists, dir_lookup(d, name));
  if (exists) return make_error(EEXIST, "{}: '{}' exists", name_, name);
  FZ_TRY(ZnodeRec z, new_znode(dir, S_IFLNK | 0777, c, 0, kOtPlainFileContents));
  z.a.size = target.size();
  if (!z.legacy || target.size() <= kLegacyInlineSymlinkMax) {
    z.a.symlink.assign(target);
  } else {
    // Long targets live in the object's first block.
    FZ_CHECK(wos_->set_block_size(z.obj, round512(target.size())));
    FZ_CHECK(wos_->write(z.obj, 0, std::span(reinterpret_cast<const uint8_t*>(target.data()), target.size())));
  }
  FZ_CHECK(store(z));
  FZ_CHECK(dir_add(d, name, z));
  FZ_CHECK(store(d));
  txg_->changed();
  FZ_TRY(Znode zn, znode(z.obj));
  return attr_of(zn);
}

Result<Attr> ZplFs::link(uint64_t obj, uint64_t dir, std::string_view name) {
  auto held = hold();
  if (txg_) FZ_CHECK(txg_->reserve(4096));
  FZ_TRY(ZnodeRec d, writable_dir(dir, name));
  FZ_TRY(ZnodeRec z, load(obj));
  if (S_ISDIR(z.a.mode)) return make_error(EPERM, "{}: hard link to a directory", name_);
  if (z.a.links == 0) return make_error(ENOENT, "{}: object {} was removed", name_, obj);
  FZ_TRY(auto exists, dir_lookup(d, name));
  if (exists) return make_error(EEXIST, "{}: '{}' exists", name_, name);
  z.a.links++;
  z.a.ctime = now();
  FZ_CHECK(store(z));
  FZ_CHECK(dir_add(d, name, z));
  FZ_CHECK(store(d));
  txg_->changed();
  FZ_TRY(Znode zn, znode(obj));
  return attr_of(zn);
}

Status ZplFs::unlink(uint64_t dir, std::string_view name) {
  auto held = hold();
  FZ_TRY(ZnodeRec d, writable_dir(dir, name));
  FZ_TRY(auto child, dir_lookup(d, name));
  if (!child) return make_error(ENOENT, "{}: no entry '{}'", name_, name);
  FZ_TRY(ZnodeRec z, load(*child));
  if (S_ISDIR(z.a.mode)) return make_error(EISDIR, "{}: '{}' is a directory", name_, name);
  FZ_CHECK(dir_remove(d, name));
  FZ_CHECK(store(d));
  FZ_CHECK(drop_link(z));
  txg_->changed();
  return Status::Ok();
}

Status ZplFs::rmdir(uint64_t dir, std::string_view name) {
  auto held = hold();
  if (name == ".") return make_error(EINVAL, "rmdir of '.'");
  if (name == "..") return make_error(ENOTEMPTY, "rmdir of '..'");
  FZ_TRY(ZnodeRec d, writable_dir(dir, name));
  FZ_TRY(auto child, dir_lookup(d, name));
  if (!child) return make_error(ENOENT, "{}: no entry '{}'", name_, name);
  FZ_TRY(ZnodeRec z, load(*child));
  if (!S_ISDIR(z.a.mode)) return make_error(ENOTDIR, "{}: '{}' is not a directory", name_, name);
  FZ_TRY(uint64_t n, dir_count(z));
  if (n > 0) return make_error(ENOTEMPTY, "{}: directory '{}' is not empty", name_, name);
  FZ_CHECK(dir_remove(d, name));
  if (d.a.links > 2) d.a.links--;
  FZ_CHECK(store(d));
  FZ_CHECK(drop_link(z));
  txg_->changed();
  return Status::Ok();
}

Status ZplFs::rename(uint64_t sdir, std::string_view sname, uint64_t tdir, std::string_view tname, unsigned flags) {
  auto held = hold();
  if (flags & ~unsigned(RENAME_NOREPLACE | RENAME_EXCHANGE)) return make_error(EINVAL, "rename flags {:#x}", flags);
  if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) return make_error(EINVAL, "rename flags");
  FZ_TRY(ZnodeRec sd, writable_dir(sdir, sname));
  FZ_TRY(ZnodeRec td_loaded, writable_dir(tdir, tname));
  FZ_TRY(auto src, dir_lookup(sd, sname));
  if (!src) return make_error(ENOENT, "{}: no entry '{}'", name_, sname);
  FZ_TRY(auto dst, dir_lookup(td_loaded, tname));
  if (dst && *dst == *src) return Status::Ok();  // two names of one file: nothing to do
  if ((flags & RENAME_NOREPLACE) && dst) return make_error(EEXIST, "{}: '{}' exists", name_, tname);
  if ((flags & RENAME_EXCHANGE) && !dst) return make_error(ENOENT, "{}: no entry '{}'", name_, tname);
  FZ_TRY(ZnodeRec s, load(*src));

  // A directory cannot move below itself.
  auto is_ancestor = [&](uint64_t anc, uint64_t of) -> Result<bool> {
    uint64_t cur = of;
    for (int depth = 0; depth < 4096; depth++) {
      if (cur == anc) return true;
      if (cur == master_.root) return false;
      FZ_TRY(ZnodeRec c, load(cur));
      if (c.a.parent == cur) return false;
      cur = c.a.parent;
    }
    return make_error(ELOOP, "{}: directory tree too deep", name_);
  };
  if (S_ISDIR(s.a.mode) && sdir != tdir) {
    FZ_TRY(bool below, is_ancestor(s.obj, tdir));
    if (below) return make_error(EINVAL, "{}: cannot move a directory into itself", name_);
  }
  std::optional<ZnodeRec> t;
  if (dst) {
    FZ_TRY(t, load(*dst));
    if (flags & RENAME_EXCHANGE) {
      if (S_ISDIR(t->a.mode) && sdir != tdir) {
        FZ_TRY(bool below, is_ancestor(t->obj, sdir));
        if (below) return make_error(EINVAL, "{}: cannot move a directory into itself", name_);
      }
    } else if (S_ISDIR(s.a.mode) && !S_ISDIR(t->a.mode)) {
      return make_error(ENOTDIR, "{}: '{}' is not a directory", name_, tname);
    } else if (!S_ISDIR(s.a.mode) && S_ISDIR(t->a.mode)) {
      return make_error(EISDIR, "{}: '{}' is a directory", name_, tname);
    } else if (S_ISDIR(t->a.mode)) {
      FZ_TRY(uint64_t n, dir_count(*t));
      if (n > 0) return make_error(ENOTEMPTY, "{}: directory '{}' is not empty", name_, tname);
    }
  }

  // sd and td may be one directory: keep one record for it.
  const bool same = sdir == tdir;
  ZnodeRec& td = same ? sd : td_loaded;
  const Timespec t_now = now();
  if (flags & RENAME_EXCHANGE) {
    FZ_TRY(auto sview, wos_->object(sd.obj));
    FZ_TRY(ZapWriter sw, ZapWriter::open(*sview));
    FZ_CHECK(sw.update(sname, dirent_value(t->obj, t->a.mode)));
    FZ_TRY(auto tview, wos_->object(td.obj));
    FZ_TRY(ZapWriter tw, ZapWriter::open(*tview));
    FZ_CHECK(tw.update(tname, dirent_value(s.obj, s.a.mode)));
    invalidate_dir(sd.obj), invalidate_dir(td.obj);
    if (!same) {
      s.a.parent = td.obj, t->a.parent = sd.obj;
      if (S_ISDIR(s.a.mode)) sd.a.links--, td.a.links++;
      if (S_ISDIR(t->a.mode)) td.a.links--, sd.a.links++;
    }
    s.a.ctime = t->a.ctime = t_now;
    sd.a.mtime = sd.a.ctime = td.a.mtime = td.a.ctime = t_now;
    FZ_CHECK(store(s));
    FZ_CHECK(store(*t));
  } else {
    if (t) {
      FZ_CHECK(dir_remove(td, tname));
      if (S_ISDIR(t->a.mode) && td.a.links > 2) td.a.links--;
      FZ_CHECK(drop_link(*t));
    }
    FZ_CHECK(dir_remove(sd, sname));
    FZ_CHECK(dir_add(td, tname, s));
    if (S_ISDIR(s.a.mode) && !same) {
      if (sd.a.links > 2) sd.a.links--;
      td.a.links++;
    }
    s.a.parent = td.obj;
    s.a.ctime = t_now;
    FZ_CHECK(store(s));
  }
  FZ_CHECK(store(sd));
  if (!same) FZ_CHECK(store(td));
  txg_->changed();
  return Status::Ok();
}

Status ZplFs::set_size(ZnodeRec& z, uint64_t size) {
  if (size > kMaxFileSize) return make_error(EFBIG, "{}: size {} too large", name_, size);
  if (size < z.a.size) {
    FZ_CHECK(wos_->free_range(z.obj, size, UINT64_MAX));
    FZ_TRY(z.dn, wos_->dnode(z.obj));
  } else if (size > z.a.size) {
    FZ_CHECK(grow_single_block(z, size));
  }
  z.a.size = size;
  return Status::Ok();
}

// A file of one block smaller than the recordsize grows that block to cover `end`, up to
// the recordsize: ZFS only changes a file's block size while it has a single block.
Status ZplFs::grow_single_block(ZnodeRec& z, uint64_t end) {
  const uint64_t recordsize = recordsize_.load(std::memory_order_relaxed);
  if (z.dn.maxblkid != 0 || end <= z.dn.data_block_size() || z.dn.data_block_size() >= recordsize)
    return Status::Ok();
  FZ_CHECK(wos_->set_block_size(z.obj, std::min<uint64_t>(round512(end), recordsize)));
  FZ_TRY(z.dn, wos_->dnode(z.obj));
  return Status::Ok();
}

Result<Attr> ZplFs::setattr(uint64_t obj, const SetAttr& sa) {
  auto held = hold();
  FZ_TRY(ZnodeRec z, load(obj));
  const Timespec t = now();
  const bool times_only = !sa.mode && !sa.uid && !sa.gid && !sa.size && !sa.atime && !sa.atime_now;
  if (times_only && z.a.links == 0) {
    // The kernel writing back the times of a file it has just unlinked (with FUSE's
    // write-back cache it flushes an inode's new ctime after every unlink). The file
    // has no name left and is freed when the kernel forgets it: storing them would
    // only cost an unlink a second znode write.
    FZ_TRY(Znode zn, znode(obj));
    FZ_TRY(Attr a, attr_of(zn));
    if (sa.mtime_now) a.mtime = t;
    else if (sa.mtime) a.mtime = *sa.mtime;
    a.ctime = sa.ctime ? *sa.ctime : t;
    return a;
  }
  if (sa.mode) {
    z.a.mode = (z.a.mode & S_IFMT) | (*sa.mode & 07777);
    if (z.a.flags & kZflagAclTrivial) {
      z.a.aces = trivial_aces(z.a.mode);
      z.a.ace_count = 6;
    }
  }
  if (sa.uid) z.a.uid = *sa.uid;
  if (sa.gid) z.a.gid = *sa.gid;
  if (sa.size) {
    if (S_ISDIR(z.a.mode)) return make_error(EISDIR, "{}: truncate of a directory", name_);
    if (!S_ISREG(z.a.mode)) return make_error(EINVAL, "{}: truncate of a special file", name_);
    FZ_CHECK(set_size(z, *sa.size));
    z.a.mtime = t;
  }
  if (sa.atime_now) z.a.atime = t;
  else if (sa.atime) z.a.atime = *sa.atime;
  if (sa.mtime_now) z.a.mtime = t;
  else if (sa.mtime) z.a.mtime = *sa.mtime;
  z.a.ctime = sa.ctime ? *sa.ctime : t;
  FZ_CHECK(store(z));
  txg_->changed();
  FZ_TRY(Znode zn, znode(obj));
  return attr_of(zn);
}

Result<size_t> ZplFs::write(uint64_t obj, uint64_t offset, std::span<const uint8_t> data) {
  if (wos_) txg_->throttle();
  if (wos_ && offset + data.size() >= offset) {
    auto shared = hold_shared();
    wos_->warm_partial_blocks(obj, offset, data.size());
  }
  auto held = hold();
  FZ_TRY(ZnodeRec z, load(obj));
  if (S_ISDIR(z.a.mode)) return make_error(EISDIR, "{}: write to a directory", name_);
  const uint64_t end = offset + data.size();
  if (end < offset || end > kMaxFileSize) return make_error(EFBIG, "{}: write past the largest file", name_);
  FZ_CHECK(txg_->reserve(data.size()));
  if (end > z.a.size) FZ_CHECK(set_size(z, end));
  FZ_CHECK(grow_single_block(z, end));
  FZ_CHECK(wos_->write(obj, offset, data));
  z.a.mtime = z.a.ctime = now();
  FZ_CHECK(store(z));
  txg_->changed();
  return data.size();
}

Status ZplFs::setxattr(uint64_t obj, std::string_view name, std::span<const uint8_t> value, int flags) {
  FZ_CHECK(xattr_allowed(name));
  auto held = hold();
  FZ_TRY(ZnodeRec z, load(obj));
  if (name.size() > kMaxName) return make_error(ERANGE, "xattr name too long");
  // Directory-style xattrs (every ZPL version has them): a hidden directory of files.
  std::string stored(name.substr(0, 5) == "user." ? name.substr(5) : name);
  if (stored.empty()) return make_error(EINVAL, "empty xattr name");
  if (z.a.xattr == 0) {
    if (flags & XATTR_REPLACE) return make_error(ENODATA, "no xattr '{}'", name);
    FZ_TRY(ZnodeRec xd, new_znode(obj, S_IFDIR | 0777, Creds{uint32_t(z.a.uid), uint32_t(z.a.gid)}, 0,
                                  kOtDirectoryContents));
    xd.a.links = 2, xd.a.size = 2;
    xd.a.flags |= 0x1;  // ZFS_XATTR: this directory holds attributes
    FZ_TRY(auto view, wos_->object(xd.obj));
    FZ_CHECK(ZapWriter::create(*view));
    FZ_CHECK(store(xd));
    z.a.xattr = xd.obj;
  }
  FZ_TRY(ZnodeRec xd, load(z.a.xattr));
  FZ_TRY(auto existing, dir_lookup(xd, stored));
  if (existing && (flags & XATTR_CREATE)) return make_error(EEXIST, "xattr '{}' exists", name);
  if (!existing && (flags & XATTR_REPLACE)) return make_error(ENODATA, "no xattr '{}'", name);
  uint64_t xobj;
  if (existing) {
    xobj = *existing;
    FZ_TRY(ZnodeRec xf, load(xobj));
    FZ_CHECK(wos_->free_range(xobj, 0, UINT64_MAX));
    xf.a.size = 0;
    FZ_CHECK(store(xf));
  } else {
    FZ_TRY(ZnodeRec xf, new_znode(xd.obj, S_IFREG | 0644, Creds{uint32_t(z.a.uid), uint32_t(z.a.gid)}, 0,
                                  kOtPlainFileContents));
    xf.a.flags |= 0x1;
    FZ_CHECK(store(xf));
    FZ_CHECK(dir_add(xd, stored, xf));
    FZ_CHECK(store(xd));
    xobj = xf.obj;
  }
  FZ_TRY(ZnodeRec xf, load(xobj));
  FZ_CHECK(set_size(xf, value.size()));
  if (!value.empty()) FZ_CHECK(wos_->write(xobj, 0, value));
  FZ_CHECK(store(xf));
  z.a.ctime = now();
  FZ_CHECK(store(z));
  txg_->changed();
  return Status::Ok();
}

Status ZplFs::removexattr(uint64_t obj, std::string_view name) {
  FZ_CHECK(xattr_allowed(name));
  auto held = hold();
  FZ_TRY(ZnodeRec z, load(obj));
  std::string stored(name.substr(0, 5) == "user." ? name.substr(5) : name);
  if (z.a.xattr == 0) return make_error(ENODATA, "no xattr '{}'", name);
  FZ_TRY(ZnodeRec xd, load(z.a.xattr));
  FZ_TRY(auto existing, dir_lookup(xd, stored));
  if (!existing) return make_error(ENODATA, "no xattr '{}'", name);
  FZ_CHECK(dir_remove(xd, stored));
  FZ_CHECK(store(xd));
  FZ_CHECK(wos_->free_object(*existing));
  z.a.ctime = now();
  FZ_CHECK(store(z));
  txg_->changed();
  return Status::Ok();
}

void ZplFs::note_access(uint64_t obj) {
  if (!changes_allowed()) return;
  auto held = hold();
  auto z = load(obj);
  if (!z.ok()) return;
  const Timespec t = now();
  if (!atime_update_due(atime_mode_.load(std::memory_order_relaxed), z->a.atime, z->a.mtime, z->a.ctime, t)) return;
  // Only the atime: an access is no change of the file (ctime stays), and it goes out
  // with the next txg like any metadata change, never forcing a sync of its own.
  z->a.atime = t;
  if (!store(*z).ok()) return;
  txg_->changed();
}

Status ZplFs::fsync(uint64_t obj, bool datasync) {
  if (!wos_) return Status::Ok();
  return txg_->wait_synced();
}

Result<std::shared_ptr<ZplFs>> ZplFs::open_rw(WritableObjset* os, std::string name, ZplTxg* txg, ZplWriteConfig cfg) {
  std::shared_ptr<ObjectStore> store(os, [](ObjectStore*) {});  // the pool owns the objset
  FZ_TRY(auto fs, open(store, std::move(name), [txg] { return txg->statfs(); }));
  fs->wos_ = os;
  fs->txg_ = txg;
  fs->wcfg_ = cfg;
  fs->recordsize_.store(cfg.recordsize, std::memory_order_relaxed);
  return fs;
}

}  // namespace fzfs
