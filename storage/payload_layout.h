// How an event's data object is stored in event_log (schema/003_compact_log.sql):
// a known opening ({"state":"completed", {"progress":, ...) becomes a small
// layout code, and a `started` event's graph (its `nodes` array) moves to the
// graphs table, stored once however many runs declare it. Both are exact: the
// stored pieces put back together give the same bytes that came in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "extrace/event.h"

namespace extrace::payload_layout {

// Layouts from this code up: a `started` whose graph sits in `graphs`; the
// code minus this is where (in characters) the graph goes back into `data`.
inline constexpr int64_t kGraphLayoutBase = 1000;

// The opening a layout code 1..99 stands for; empty for an unknown code.
std::string_view Opening(int64_t layout);

// The stored form of one data object: views into the data_json given to Split,
// or into its `buffer`.
struct Pieces {
  std::optional<int64_t> layout;  // nullopt: `data` is the whole text
  std::string_view data;          // empty: NULL
  std::string_view graph;         // set when layout >= kGraphLayoutBase
};
// Splits canonical data JSON (empty for {}) into its stored form. `buffer`
// backs `data` when the graph was cut out of it; reuse it to avoid allocating.
Pieces Split(EventType type, std::string_view data_json, std::string& buffer);

// Puts the stored pieces back together; false when they do not fit (a corrupt
// row): an unknown layout, or a graph offset past the end of `data`.
bool Join(std::optional<int64_t> layout, std::string_view data, std::string_view graph,
          std::string& data_json);

// The node state a state-change's layout names, when it names one.
std::optional<NodeState> StateOf(int64_t layout);

}  // namespace extrace::payload_layout
