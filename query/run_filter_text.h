// Run filters as people type them, on the command line (`extrace list`) or in
// a URL's query string (GET /v1/runs): one parser, so that both accept the
// same values and refuse the same ones with the same words.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "extrace/status.h"
#include "storage/event_store.h"

namespace extrace {

// A time as text: epoch milliseconds ("1764093443350", fractions allowed) or
// ISO 8601 ("2026-11-25", "2026-11-25T18:07:23Z", "2026-11-25T18:07:23.350+01:00";
// no zone means UTC). Microseconds since the epoch.
std::optional<int64_t> ParseTimeText(const std::string& text);

// The filter's values as typed; empty ones do not narrow.
struct RunFilterText {
  std::string flow;
  std::string status;  // completed | error | incomplete
  std::string since;   // ParseTimeText
  std::string until;
  std::string node;
  std::string state;  // with node: its last state; alone only `error` (any node in error)
  std::string error;
  std::optional<double> slower_than_ms;
  size_t limit = 0;
};

// How a message names a value: the CLI's flags ("--since") or the API's
// parameters ("since").
enum class FilterNames { kCliFlags, kQueryParams };

// kInvalidInput "NAME VALUE: expected ..." for a value that cannot be read.
[[nodiscard]] Result<RunFilter> ParseRunFilter(const RunFilterText& text, FilterNames names);

}  // namespace extrace
