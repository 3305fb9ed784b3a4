// An in-memory Pool/Filesystem for testing the daemon, the FUSE layer and the tools
// without the engine: datasets with properties, snapshots, and file trees built by hand.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/pool/filesystem.h"
#include "engine/pool/pool.h"

namespace fzfs::testing {

// Read-only unless set_writable(true); then every change of the Filesystem interface
// works in memory with POSIX semantics (what the FUSE tests and the POSIX suite need),
// times from the real clock. File data lives in 4 KiB blocks, so holes cost nothing.
class FakeFilesystem : public Filesystem {
 public:
  explicit FakeFilesystem(std::string name);

  // Builders; each returns the new object number. Times are fixed so tests can check them.
  uint64_t add_dir(uint64_t parent, const std::string& name, uint32_t perm = 0755);
  uint64_t add_file(uint64_t parent, const std::string& name, std::string data,
                    uint32_t perm = 0644);
  uint64_t add_symlink(uint64_t parent, const std::string& name, std::string target);
  void set_xattr(uint64_t obj, const std::string& name, std::string value);
  // A deep, read-only copy with another name: what a snapshot of this file system looks like.
  std::shared_ptr<FakeFilesystem> clone_as(const std::string& name) const;
  void set_writable(bool on);
  // What the FUSE layer told us: objects passed to forget(), in order, and whether an
  // object still exists (an unlinked file lives until it is forgotten).
  std::vector<uint64_t> forgotten() const;
  bool exists(uint64_t obj) const;
  size_t largest_write() const;  // the most bytes one write() call brought
  size_t fsyncs() const;         // fsync() calls so far

  const std::string& dataset_name() const override { return name_; }
  bool readonly() const override;
  uint64_t root_object() const override { return kRoot; }
  Result<Attr> getattr(uint64_t obj) override;
  Result<uint64_t> lookup(uint64_t dir, std::string_view name) override;
  Status readdir(uint64_t dir, uint64_t cookie,
                 const std::function<bool(const DirEntry&)>& emit) override;
  Result<size_t> read(uint64_t obj, uint64_t offset, std::span<uint8_t> out) override;
  Result<std::string> readlink(uint64_t obj) override;
  Result<std::vector<std::string>> listxattr(uint64_t obj) override;
  Result<std::vector<uint8_t>> getxattr(uint64_t obj, std::string_view name) override;
  Result<FsStat> statfs() override;

  Result<Attr> create(uint64_t dir, std::string_view name, uint32_t mode, uint64_t rdev,
                      const Creds& c) override;
  Result<Attr> mkdir(uint64_t dir, std::string_view name, uint32_t mode, const Creds& c) override;
  Result<Attr> symlink(uint64_t dir, std::string_view name, std::string_view target,
                       const Creds& c) override;
  Result<Attr> link(uint64_t obj, uint64_t dir, std::string_view name) override;
  Status unlink(uint64_t dir, std::string_view name) override;
  Status rmdir(uint64_t dir, std::string_view name) override;
  Status rename(uint64_t dir, std::string_view name, uint64_t newdir, std::string_view newname,
                unsigned flags) override;
  Result<Attr> setattr(uint64_t obj, const SetAttr& a) override;
  Result<size_t> write(uint64_t obj, uint64_t offset, std::span<const uint8_t> data) override;
  Status setxattr(uint64_t obj, std::string_view name, std::span<const uint8_t> value,
                  int flags) override;
  Status removexattr(uint64_t obj, std::string_view name) override;
  Status fsync(uint64_t obj, bool datasync) override;
  void forget(uint64_t obj) override;

  static constexpr uint64_t kRoot = 34;  // as the ZPL usually places it
  static constexpr uint64_t kBlock = 4096;

 private:
  struct Node {
    Attr attr;
    uint64_t parent = 0;
    std::string target;                      // symlink target
    std::map<uint64_t, std::string> blocks;  // file data by block index, kBlock bytes each
    std::map<std::string, uint64_t, std::less<>> children;
    std::map<std::string, std::string, std::less<>> xattrs;
  };
  Result<Node*> node(uint64_t obj);
  Result<Node*> dir_node(uint64_t obj);
  Result<Node*> writable_dir(uint64_t obj);
  Status check_writable() const;
  uint64_t add_node(uint64_t parent, const std::string& name, uint32_t mode, std::string data);
  Node& make_node(uint64_t parent, std::string_view name, uint32_t mode, const Creds& c);
  void write_bytes(Node& n, uint64_t offset, std::span<const uint8_t> data);
  void resize(Node& n, uint64_t size);
  void drop_link(Node& dir, const std::string& name);
  void touch_dir(Node& dir);
  bool is_under(uint64_t obj, uint64_t ancestor);
  Status rename_exchange(Node& d1, std::string_view n1, Node& d2, std::string_view n2);

  std::string name_;
  std::map<uint64_t, Node> nodes_;
  uint64_t next_obj_ = kRoot + 1;
  bool writable_ = false;
  std::vector<uint64_t> forgotten_;
  size_t largest_write_ = 0;
  size_t fsyncs_ = 0;
  mutable std::mutex mu_;
};

class FakePool : public Pool {
 public:
  explicit FakePool(std::string name);

  // Adds a filesystem dataset with default properties (mountpoint /NAME); returns its
  // file system for filling in. props override or extend the defaults.
  std::shared_ptr<FakeFilesystem> add_filesystem(
      const std::string& name, const std::map<std::string, std::string>& props = {});
  // The fake of one file system, to inspect or to make writable.
  std::shared_ptr<FakeFilesystem> filesystem(const std::string& name);
  // Freezes the dataset's current tree as NAME@SNAP.
  void add_snapshot(const std::string& dataset, const std::string& snap);

  // The standard test pool: POOL (empty root fs), POOL/home with files, dirs, a symlink,
  // xattrs and two snapshots, POOL/off with canmount=off.
  static std::unique_ptr<FakePool> make_standard(const std::string& name);

  const std::string& name() const override { return name_; }
  uint64_t guid() const override { return 1234567890123456789ull; }
  uint64_t version() const override { return 5000; }
  bool readonly() const override { return true; }
  std::map<std::string, PropValue> properties() override;
  VdevStatusNode status() override;
  std::string health() override { return "ONLINE"; }
  Result<std::vector<DatasetInfo>> datasets() override;
  Result<std::shared_ptr<Filesystem>> open_filesystem(const std::string& name) override;
  Result<std::vector<std::string>> snapshots_of(const std::string& dataset) override;

 private:
  struct Entry {
    DatasetInfo info;
    std::shared_ptr<FakeFilesystem> fs;
  };
  Entry* find(const std::string& name);

  std::string name_;
  std::vector<Entry> entries_;  // in `zfs list` order
};

}  // namespace fzfs::testing
