// Formatting for people: times, durations, aligned tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace extrace::cli {

// 2026-11-25T18:07:23.350Z
std::string IsoTime(int64_t micros);
// 950 us, 12.5 ms, 3.21 s, 4 min 05 s
std::string HumanDuration(int64_t micros);

// A time given on the command line: epoch milliseconds ("1764093443350",
// fractions allowed) or ISO 8601 ("2026-11-25", "2026-11-25T18:07:23Z",
// "2026-11-25T18:07:23.350+01:00"; no zone means UTC). Microseconds since the epoch.
std::optional<int64_t> ParseTimeArgument(const std::string& text);

// Columns padded to their widest cell; `right` marks right-aligned columns.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows,
                        const std::vector<bool>& right);

}  // namespace extrace::cli
