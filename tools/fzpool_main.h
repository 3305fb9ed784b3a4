// fzpool: the zpool-like command. Its pool backend is a parameter so the same command
// runs over the engine (fzpool.cc) or over a fake pool in tests.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/pool/pool.h"

namespace fzfs {

struct PoolBackend {
  std::function<Result<std::vector<ImportCandidate>>(const std::vector<std::string>&)> discover;
  std::function<Result<std::unique_ptr<Pool>>(const ImportOptions&)> import;
  // Pool::create; empty when the backend cannot create pools.
  std::function<Result<std::string>(const CreateOptions&)> create;
};

int fzpool_main(int argc, char** argv, const PoolBackend& backend);

}  // namespace fzfs
