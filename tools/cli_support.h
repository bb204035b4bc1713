// Small pieces every command shares: its one error line and exit code, opening
// the store for reading, printing a JSON document (render/*_json.h writes them).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "extrace/status.h"
#include "format/line_batcher.h"
#include "storage/event_store.h"
#include "tools/commands.h"

namespace extrace::cli {

// "extrace COMMAND: message" on stderr; returns the error's exit code.
int Fail(std::string_view command, const Error& error);
// "extrace COMMAND: message" on stderr; returns kExitUsage.
int Usage(std::string_view command, const std::string& message);
[[nodiscard]] Result<std::unique_ptr<EventStore>> OpenForReading(const GlobalOptions& global);
// The JSON document and a line break to standard output.
void PrintJsonLine(std::string json);

}  // namespace extrace::cli
