// Shared command pieces: see cli_support.h.
#include "tools/cli_support.h"

#include <cstdio>

#include "tools/exit_codes.h"

namespace extrace::cli {

int Fail(std::string_view command, const Error& error) {
  std::fprintf(stderr, "extrace %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               error.message.c_str());
  return ExitCodeFor(error.code);
}

int Usage(std::string_view command, const std::string& message) {
  std::fprintf(stderr, "extrace %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               message.c_str());
  return kExitUsage;
}

Result<std::unique_ptr<EventStore>> OpenForReading(const GlobalOptions& global) {
  StoreOptions options;
  options.read_only = true;
  return EventStore::Open(global.db_path, options);
}

void PrintJsonLine(std::string json) {
  json += '\n';
  std::fwrite(json.data(), 1, json.size(), stdout);
}

}  // namespace extrace::cli
