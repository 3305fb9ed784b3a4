// The client side of the daemon protocol (see wire.h): one request, one reply.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/pool/pool.h"
#include "engine/util/status.h"

namespace fzfs {

// Sends one request to POOL's daemon. ENOENT when no daemon serves that pool; a
// daemon's {"ok":false} reply comes back as its Error.
Result<nlohmann::json> daemon_request(const std::string& pool, const nlohmann::json& request);

// The error daemon_request returns when no daemon serves the pool.
bool is_no_such_pool(const Error& e);

// Every dataset of POOL, as its daemon lists them.
Result<std::vector<DatasetInfo>> pool_datasets(const std::string& pool);

}  // namespace fzfs
