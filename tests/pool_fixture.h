// A private playground for one test: a temporary directory holding unpacked device
// files, an altroot for the mounts and a runtime directory for the pool daemon
// (FZFS_RUNDIR), plus the fzpool/fzfs binaries to drive them. Whatever a test imports
// is exported when the workspace goes away, and nothing outside it is touched.
//
//   /tmp/fzfs-test-XXXXXX/
//     devices/   unpacked corpus devices   (fzpool import -d devices/)
//     root/      the altroot               (fzpool import -R root/)
//     run/       FZFS_RUNDIR: POOL.sock of the daemon
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/process.h"

namespace fzfs::test {

// Root of the conformance corpus: $FZFS_CONFORMANCE_DIR, else the path compiled in.
std::string conformance_dir();

// Path of a tool ("fzpool", "fzfs"): $FZFS_BIN_DIR/NAME if set (an installed prefix),
// else the binary this build produced, else NAME found on $PATH; "" when none exists.
std::string tool_path(const std::string& name);

// "" when fzpool and fzfs are both available, else a sentence saying what is missing.
std::string missing_tools();

class PoolWorkspace {
 public:
  PoolWorkspace();
  ~PoolWorkspace();  // exports imported pools, detaches stray mounts, removes the dir
  PoolWorkspace(const PoolWorkspace&) = delete;
  PoolWorkspace& operator=(const PoolWorkspace&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& devices() const { return devices_; }
  const std::string& altroot() const { return altroot_; }
  const std::string& rundir() const { return rundir_; }

  // Unpacks SOURCE (*.zst, *.bz2, or plain) into devices/NAME, keeping holes sparse.
  // NAME defaults to SOURCE's file name without the compression suffix. Returns the path.
  std::string unpack(const std::string& source, std::string name = "");
  // Unpacks one MEMBER of a tar.gz archive into devices/MEMBER.
  std::string unpack_tar_member(const std::string& archive, const std::string& member);

  CommandResult fzpool(const std::vector<std::string>& args,
                       std::chrono::seconds timeout = std::chrono::seconds(120));
  CommandResult fzfs(const std::vector<std::string>& args,
                     std::chrono::seconds timeout = std::chrono::seconds(120));

  // fzpool import -d devices/ -o readonly=on -R root/ POOL; remembered for export.
  CommandResult import_readonly(const std::string& pool,
                                std::chrono::seconds timeout = std::chrono::seconds(180));
  CommandResult export_pool(std::string pool);  // by value: it edits the list it may come from

  // ---- writing (cli_write_test) ----
  // A sparse file of SIZE bytes in devices/, for `fzpool create`. Returns its path.
  std::string make_device(const std::string& name, uint64_t size);
  // fzpool create [OPTIONS...] -R root/ POOL VDEVS...; remembered for export when it
  // succeeds (the pool is then imported and mounted).
  CommandResult create_pool(const std::string& pool, const std::vector<std::string>& vdevs,
                            const std::vector<std::string>& options = {});
  // fzpool import -d devices/ -R root/ POOL (read-write); remembered for export.
  CommandResult import_readwrite(const std::string& pool,
                                 std::chrono::seconds timeout = std::chrono::seconds(180));

  // Where a dataset with mountpoint property MOUNTPOINT (relative to the import root)
  // is mounted.
  std::string mounted_at(const std::string& mountpoint) const { return altroot_ + mountpoint; }

 private:
  CommandResult run_tool(const std::string& tool, const std::vector<std::string>& args,
                         std::chrono::seconds timeout);
  void detach_stray_mounts();

  std::string dir_, devices_, altroot_, rundir_, scratch_;
  std::vector<std::string> imported_;
};

}  // namespace fzfs::test
