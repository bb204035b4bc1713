// Formatting for people: times, durations, aligned tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace extrace::cli {

// 2026-11-25T18:07:23.350Z
std::string IsoTime(int64_t micros);
// 1234567 -> "1,234,567".
std::string Grouped(int64_t value);
// 950 us, 12.5 ms, 3.21 s, 4 min 05 s
std::string HumanDuration(int64_t micros);

// Columns padded to their widest cell; `right` marks right-aligned columns.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows,
                        const std::vector<bool>& right);

}  // namespace extrace::cli
