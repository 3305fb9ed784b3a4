// The pool daemon's life: import, mount, serve the socket, and on export or SIGTERM
// unmount everything and exit. One daemon owns one imported pool.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine/pool/pool.h"

namespace fzfs {

struct DaemonConfig {
  ImportOptions import;
  std::string altroot;  // -R
  bool mount = true;    // false with -N
};

// How the daemon gets its Pool: Pool::import in the tools, a fake in tests.
using PoolOpener = std::function<Result<std::unique_ptr<Pool>>(const ImportOptions&)>;

// `fzpool import ... POOL`: starts a detached daemon and waits until it has imported
// and mounted the pool. Prints "cannot import 'POOL': REASON" (and any mount failures)
// on stderr; returns the command's exit status.
int start_pool_daemon(const DaemonConfig& config, const PoolOpener& open_pool);

}  // namespace fzfs
