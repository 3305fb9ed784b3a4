// The ZFS POSIX Layer, read side: a file system objset seen as files and directories.
//
//   object 1: master node ZAP { "VERSION": 1..5, "ROOT": root dir object,
//             "SA_ATTRS": SA master (v5), "DELETE_QUEUE", "normalization", ... }
//   every file, directory and link is one object; its attributes (a znode) are kept in
//   the dnode's bonus buffer: a fixed znode_phys before ZPL version 5, system attributes
//   (SA, layout-described) from version 5 on, with a spill block when they overflow.
//   A directory's data is a ZAP: name -> (DT type << 60) | object number.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <string>

#include "engine/dmu/objset.h"
#include "engine/dmu/writable_objset.h"
#include "engine/zpl/znode.h"
#include "engine/zap/zap.h"
#include "engine/zpl/atime_policy.h"
#include "engine/zpl/filesystem.h"
#include "engine/zpl/sa.h"

namespace fzfs {

struct ZplMaster {
  uint64_t version = 0;
  uint64_t root = 0;
  uint64_t sa_attrs = 0;
  uint64_t normalization = 0, utf8only = 0, casesensitivity = 0;
};

// ZPL_RDEV is each writer's own dev_t, so the encoding is guessed from the value:
//   Solaris, illumos, FreeBSD: major << 32 | minor            (>= 2^32 for any major)
//   OpenZFS on Linux: the kernel's dev_t, major << 20 | minor  (2^20 .. 2^32)
//   zfs-fuse: the 32-bit dev_t FUSE hands over: minor bits 0-7, major bits 8-19,
//             minor bits 8+ from bit 20 on                      (< 2^20 if minor < 256)
// Major 0 (unnamed devices) cannot be mknod'ed usefully, which keeps the ranges apart;
// a zfs-fuse node with a minor above 255 is read as a Linux one (indistinguishable).
dev_t zpl_device_number(uint64_t raw);

// What a read-write ZPL needs from the pool that owns its objset.
class ZplTxg {
 public:
  virtual ~ZplTxg() = default;
  // Held around every call into the objset (changes and reads): the txg sync takes it too.
  virtual std::shared_mutex& lock() = 0;
  virtual uint64_t open_txg() = 0;
  // Called (lock held) after a change: the pool may start a sync when dirty data piles up.
  virtual void changed() = 0;
  // Returns when every change made before the call is on stable storage (lock NOT held).
  virtual Status wait_synced() = 0;
  // Called (lock held) before a change that may take `bytes` of new space: ENOSPC when
  // the pool cannot hold it (frees and metadata-only changes pass 0 and always work).
  virtual Status reserve(uint64_t bytes) = 0;
  // Called (lock NOT held) before a write of file data: waits for a sync when dirty
  // data has piled up far past the point where one was asked for.
  virtual void throttle() = 0;
  virtual FsStat statfs() = 0;
};

// Settings of a read-write file system that come from its dataset's properties.
struct ZplWriteConfig {
  uint64_t recordsize = 128 * 1024;
  uint8_t indblkshift = 14;
};

// Dataset properties a mounted file system obeys (the pool sets them at open and again
// whenever `zfs set` / `zfs inherit` changes them, so they act on a live mount):
//   atime, relatime: whether reads and listings store a new atime (atime_policy.h);
//     only a read-write file system ever stores one.
//   xattr=off: user.* extended attributes answer EOPNOTSUPP and are left out of
//     listxattr, as Linux ZFS's "noxattr"; other namespaces are unaffected.
//   readonly=on: every change answers EROFS and no atime is stored, though the objset
//     stays writable underneath (the property may be turned off again on the live mount).
//   recordsize: the largest block a file grows to while it has a single block, so a
//     change applies to files that are still small, as in ZFS (0: keep the current one).
struct ZplBehaviour {
  AtimeMode atime = AtimeMode::kRelative;
  bool xattr = true;
  bool readonly = false;
  uint64_t recordsize = 0;
};

class ZplFs final : public Filesystem {
 public:
  // Opens the file system in `os` (an objset of type ZFS) read-only. statfs_source
  // supplies the dataset's space figures, which live in the DSL, not in the objset.
  static Result<std::shared_ptr<ZplFs>> open(std::shared_ptr<ObjectStore> os, std::string name,
                                             std::function<FsStat()> statfs_source);
  // Opens it read-write over an objset of the pool's open txg. `txg` must outlive it.
  static Result<std::shared_ptr<ZplFs>> open_rw(WritableObjset* os, std::string name, ZplTxg* txg,
                                                ZplWriteConfig cfg);
  // Reads only the master node (for properties).
  static Result<ZplMaster> read_master(const ObjectStore& os);

  const std::string& dataset_name() const override { return name_; }
  bool readonly() const override { return wos_ == nullptr; }
  uint64_t root_object() const override { return master_.root; }
  const ZplMaster& master() const { return master_; }
  const SaRegistry& sa_registry() const { return sa_reg_; }
  void set_behaviour(const ZplBehaviour& b) {
    atime_mode_.store(b.atime, std::memory_order_relaxed);
    xattr_on_.store(b.xattr, std::memory_order_relaxed);
    readonly_prop_.store(b.readonly, std::memory_order_relaxed);
    if (b.recordsize) recordsize_.store(b.recordsize, std::memory_order_relaxed);
  }

  Result<Attr> getattr(uint64_t obj) override;
  Result<uint64_t> lookup(uint64_t dir, std::string_view name) override;
  Status readdir(uint64_t dir, uint64_t cookie, const std::function<bool(const DirEntry&)>& emit) override;
  Result<size_t> read(uint64_t obj, uint64_t offset, std::span<uint8_t> out) override;
  Result<std::string> readlink(uint64_t obj) override;
  Result<std::vector<std::string>> listxattr(uint64_t obj) override;
  Result<std::vector<uint8_t>> getxattr(uint64_t obj, std::string_view name) override;
  Result<FsStat> statfs() override;

  // Changes (zpl_write.cc).
  Result<Attr> create(uint64_t dir, std::string_view name, uint32_t mode, uint64_t rdev, const Creds& c) override;
  Result<Attr> mkdir(uint64_t dir, std::string_view name, uint32_t mode, const Creds& c) override;
  Result<Attr> symlink(uint64_t dir, std::string_view name, std::string_view target, const Creds& c) override;
  Result<Attr> link(uint64_t obj, uint64_t dir, std::string_view name) override;
  Status unlink(uint64_t dir, std::string_view name) override;
  Status rmdir(uint64_t dir, std::string_view name) override;
  Status rename(uint64_t dir, std::string_view name, uint64_t newdir, std::string_view newname,
                unsigned flags) override;
  Result<Attr> setattr(uint64_t obj, const SetAttr& a) override;
  Result<size_t> write(uint64_t obj, uint64_t offset, std::span<const uint8_t> data) override;
  Status setxattr(uint64_t obj, std::string_view name, std::span<const uint8_t> value, int flags) override;
  Status removexattr(uint64_t obj, std::string_view name) override;
  Status fsync(uint64_t obj, bool datasync) override;
  void forget(uint64_t obj) override;
  // Frees every object left in the unlinked set (at mount after a crash, and at export).
  Status drain_unlinked();

 private:
  // A znode being changed: its dnode, attributes and encoding.
  struct ZnodeRec {
    uint64_t obj = 0;
    Dnode dn;
    ZnodeAttrs a;
    bool legacy = true;
  };
  // Changes hold the pool's lock exclusively; reads share it (with each other, not with
  // a change or a txg sync).
  std::unique_lock<std::shared_mutex> hold() const {
    return txg_ ? std::unique_lock<std::shared_mutex>(txg_->lock()) : std::unique_lock<std::shared_mutex>();
  }
  std::shared_lock<std::shared_mutex> hold_shared() const {
    return txg_ ? std::shared_lock<std::shared_mutex>(txg_->lock()) : std::shared_lock<std::shared_mutex>();
  }
  Result<ZnodeRec> load(uint64_t obj);
  Status store(ZnodeRec& z);
  Result<ZnodeRec> new_znode(uint64_t parent, uint64_t mode, const Creds& c, uint64_t rdev, uint8_t type);
  Status dir_add(ZnodeRec& dir, std::string_view name, const ZnodeRec& child);
  Status dir_remove(ZnodeRec& dir, std::string_view name);
  // dir_add, or on failure (EEXIST) frees the just-made child.
  Status add_or_abandon(ZnodeRec& dir, std::string_view name, const ZnodeRec& child);
  Result<std::optional<uint64_t>> dir_lookup(const ZnodeRec& dir, std::string_view name);
  Result<uint64_t> dir_count(const ZnodeRec& dir);
  Status drop_link(ZnodeRec& z);
  Status free_znode(uint64_t obj);
  Result<uint64_t> unlinked_set();
  Status set_size(ZnodeRec& z, uint64_t size);
  Status grow_single_block(ZnodeRec& z, uint64_t end);
  Result<ZnodeRec> writable_dir(uint64_t dir, std::string_view name);
  // The SA attributes a znode stores, in order, and the layout number of such a list
  // (registered in the dataset's LAYOUTS ZAP when new).
  Result<std::vector<uint16_t>> sa_attrs_for(const ZnodeAttrs& a) const;
  Result<uint64_t> sa_layout_number(const std::vector<uint16_t>& attrs);
  Timespec now() const;
  void invalidate_dir(uint64_t dir);
  // Stores the access time of obj in the open txg when the atime rule still says so
  // (another reader may have been first). Takes the exclusive lock; errors are dropped,
  // as a read must not fail for its atime.
  void note_access(uint64_t obj);
  // EOPNOTSUPP for a user.* attribute while xattr=off.
  Status xattr_allowed(std::string_view name) const;

  WritableObjset* wos_ = nullptr;  // set when read-write
  ZplTxg* txg_ = nullptr;
  ZplWriteConfig wcfg_;
  std::atomic<AtimeMode> atime_mode_{AtimeMode::kRelative};
  std::atomic<bool> xattr_on_{true};
  std::atomic<bool> readonly_prop_{false};
  std::atomic<uint64_t> recordsize_{128 * 1024};
  // Whether changes may be made now: a read-write objset and readonly=off.
  bool changes_allowed() const { return wos_ && !readonly_prop_.load(std::memory_order_relaxed); }
  std::set<uint64_t> zero_link_;   // unlinked objects the kernel may still hold
  struct Znode {
    Dnode dn;
    SaAttrs sa;
    bool legacy = false;  // znode_phys rather than SA
  };
  ZplFs() = default;
  // A directory's ZAP, opened once: lookups from FUSE come one entry at a time, and
  // opening a micro ZAP parses all of it. The pool is read-only, so nothing goes stale.
  struct OpenDir {
    std::unique_ptr<ObjectData> data;
    std::optional<ZapReader> zap;
  };
  Result<std::shared_ptr<const OpenDir>> open_dir(const Znode& z) const;
  Result<Znode> znode(uint64_t obj) const;
  Result<Attr> attr_of(const Znode& z) const;
  // Whether an access to z should store a new atime now (decided under the shared lock).
  bool access_due(const Znode& z) const;
  Result<std::vector<ZapEntry>> xattr_dir_entries(const Znode& z) const;
  Result<std::vector<std::pair<std::string, std::vector<uint8_t>>>> sa_xattrs(const Znode& z) const;

  std::shared_ptr<ObjectStore> os_;
  std::string name_;
  ZplMaster master_;
  SaRegistry sa_reg_;
  std::function<FsStat()> statfs_source_;
  mutable std::mutex dirs_mu_;
  mutable std::unordered_map<uint64_t, std::shared_ptr<const OpenDir>> dirs_;
};

}  // namespace fzfs
