// Answers one protocol request (the messages are listed in tools/wire.h).
#pragma once

#include <nlohmann/json.hpp>

#include "tools/daemon/pool_service.h"

namespace fzfs {

// Sets *stop when the daemon should exit after sending the reply (export).
nlohmann::json handle_request(PoolService& service, const nlohmann::json& request, bool* stop);

}  // namespace fzfs
