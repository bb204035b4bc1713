// An event_log row's data columns (layout, data, graph text) put back into
// the event's canonical data JSON (payload_layout::Join), from a libpq result:
// what the write path compares a taken key with and what Reindex replays.
#pragma once

#include <string>

#include "storage/payload_layout.h"
#include "storage/postgres/connection.h"

namespace extrace::pg {

// False for a corrupt row: an unknown layout, a graph layout without its graph.
inline bool JoinStoredData(const Result& result, int row, int layout, int data, int graph,
                           std::string& data_json) {
  std::optional<int64_t> code = result.OptionalInt64(row, layout);
  if (code && *code >= payload_layout::kGraphLayoutBase && result.IsNull(row, graph)) return false;
  return payload_layout::Join(code, result.Text(row, data), result.Text(row, graph), data_json);
}

}  // namespace extrace::pg
