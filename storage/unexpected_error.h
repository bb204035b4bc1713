// Exceptions never cross EventStore's methods, for any backend: each method
// catches its backend's own errors and, last, anything else (an allocation
// failure, a bug), which becomes an internal error described here.
#pragma once

#include <string_view>

#include "extrace/status.h"

namespace extrace {

// "<path>: <what>: out of memory" (kOutOfMemory) / "...: internal error[: <what()>]" (kInternal).
// Call it inside a catch block: it rethrows the current exception to name it.
Error DescribeUnexpected(std::string_view path, std::string_view what);

}  // namespace extrace
