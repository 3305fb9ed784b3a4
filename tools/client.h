// The client side of the daemon protocol (see wire.h): one request, one reply.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/util/status.h"

namespace fzfs {

// Sends one request to POOL's daemon. ENOENT when no daemon serves that pool; a
// daemon's {"ok":false} reply comes back as its Error.
Result<nlohmann::json> daemon_request(const std::string& pool, const nlohmann::json& request);

}  // namespace fzfs
