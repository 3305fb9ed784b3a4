// The file-system interface, defined by the ZPL layer; re-exported here so users of the
// engine facade need only engine/pool/.
#pragma once

#include "engine/zpl/filesystem.h"
