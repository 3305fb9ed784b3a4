// Where pool daemons live: $FZFS_RUNDIR (default /run/fzfs) holds POOL.sock and
// POOL.pid for each imported pool.
#pragma once

#include <string>
#include <vector>

namespace fzfs {

std::string runtime_dir();
std::string socket_path(const std::string& pool);
std::string pidfile_path(const std::string& pool);
std::string logfile_path(const std::string& pool);
// Pools that have a socket in the runtime directory, sorted by name.
std::vector<std::string> pools_with_sockets();

}  // namespace fzfs
