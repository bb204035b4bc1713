// The body of POST /v1/events read as events: JSON Lines (one event per line,
// blank lines skipped, a trailing \r dropped, as `extrace ingest` reads a
// file), or one JSON array of events, whose element N counts as line N. The
// first bad line stops the reading; the events before it are kept, so that
// they can be stored as `ingest` stores the lines before a bad one.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "extrace/event.h"
#include "extrace/status.h"

namespace extrace::server {

struct EventBody {
  std::vector<Event> events;
  std::vector<int64_t> lines;  // the line (array element) of each event, from 1
  // kInvalidInput "line N: field: what" for the first bad line, or "body: ..."
  // when the body as a whole is not JSON Lines or an array.
  std::optional<Error> stop;
};

// An array when the first non-blank byte is '[', JSON Lines otherwise.
EventBody ReadEventBody(std::string_view body);

}  // namespace extrace::server
