// Small pieces every command shares: its one error line and exit code, opening
// the store for reading, and JSON values that may be missing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "extrace/status.h"
#include "format/json_text.h"
#include "storage/event_store.h"
#include "tools/commands.h"

namespace extrace::cli {

// "extrace COMMAND: message" on stderr; returns the error's exit code.
int Fail(std::string_view command, const Error& error);
// "extrace COMMAND: message" on stderr; returns kExitUsage.
int Usage(std::string_view command, const std::string& message);
[[nodiscard]] Result<std::unique_ptr<EventStore>> OpenForReading(const GlobalOptions& global);
// A plain decimal with at most `places` decimals (JSON numbers never in exponent form).
std::string Decimal(double value, int places);
void StringOrNull(JsonWriter& w, std::string_view text);
// `"key":["a","b",...]`.
void StringArray(JsonWriter& w, std::string_view key, const std::vector<std::string>& items);
// The JSON document and a line break to standard output.
void PrintJsonLine(std::string& json);
// `-` as a file name means standard input (or output), as across Unix tooling.
inline bool IsStandardStream(std::string_view file) { return file == "-"; }

}  // namespace extrace::cli
