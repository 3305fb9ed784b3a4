// A property value as `zfs get` and `zpool get` show it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace fzfs {

struct PropValue {
  std::string value;               // human form: "4.56M", "on", "/tank/home", "-"
  std::optional<uint64_t> number;  // exact number where the property is numeric (-p)
  std::string source;              // "default", "local", "inherited from tank", "-"
};

}  // namespace fzfs
