// Fuzz bytes -> events of several runs, for the projector target: either JSON
// Lines (when the input starts with '{': every valid line kept, as ingest
// would store it) or a structured decoder with small alphabets of run ids,
// node ids, types and states, so that duplicates, conflicts (two starts, a
// node in two states), late events (after the end), unknown nodes, parent
// cycles and out-of-order timestamps come up all the time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "extrace/event.h"

namespace extrace::fuzz {

// Each run's events as the store would hand them out: seq ascending, one
// event per seq (the first wins, as a duplicate or conflicting append would be
// refused), seq 0 replaced by the run's next number.
using RunEvents = std::map<std::string, std::vector<Event>>;

RunEvents DecodeEvents(std::span<const uint8_t> bytes);

}  // namespace extrace::fuzz
