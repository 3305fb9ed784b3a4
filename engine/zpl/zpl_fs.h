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

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>

#include "engine/dmu/objset.h"
#include "engine/zap/zap.h"
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

class ZplFs final : public Filesystem {
 public:
  // Opens the file system in `os` (an objset of type ZFS). statfs_source supplies the
  // dataset's space figures, which live in the DSL, not in the objset.
  static Result<std::shared_ptr<ZplFs>> open(std::shared_ptr<Objset> os, std::string name,
                                             std::function<FsStat()> statfs_source);
  // Reads only the master node (for properties).
  static Result<ZplMaster> read_master(const Objset& os);

  const std::string& dataset_name() const override { return name_; }
  bool readonly() const override { return true; }
  uint64_t root_object() const override { return master_.root; }
  const ZplMaster& master() const { return master_; }
  const SaRegistry& sa_registry() const { return sa_reg_; }

  Result<Attr> getattr(uint64_t obj) override;
  Result<uint64_t> lookup(uint64_t dir, std::string_view name) override;
  Status readdir(uint64_t dir, uint64_t cookie, const std::function<bool(const DirEntry&)>& emit) override;
  Result<size_t> read(uint64_t obj, uint64_t offset, std::span<uint8_t> out) override;
  Result<std::string> readlink(uint64_t obj) override;
  Result<std::vector<std::string>> listxattr(uint64_t obj) override;
  Result<std::vector<uint8_t>> getxattr(uint64_t obj, std::string_view name) override;
  Result<FsStat> statfs() override;

 private:
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
  Result<std::vector<ZapEntry>> xattr_dir_entries(const Znode& z) const;
  Result<std::vector<std::pair<std::string, std::vector<uint8_t>>>> sa_xattrs(const Znode& z) const;

  std::shared_ptr<Objset> os_;
  std::string name_;
  ZplMaster master_;
  SaRegistry sa_reg_;
  std::function<FsStat()> statfs_source_;
  mutable std::mutex dirs_mu_;
  mutable std::unordered_map<uint64_t, std::shared_ptr<const OpenDir>> dirs_;
};

}  // namespace fzfs
