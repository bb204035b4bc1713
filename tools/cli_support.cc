// Shared command pieces: see cli_support.h.
#include "tools/cli_support.h"

#include <fmt/format.h>

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

std::string Decimal(double value, int places) {
  std::string text = fmt::format("{:.{}f}", value, places);
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return text == "-0" ? "0" : text;
}

void StringOrNull(JsonWriter& w, std::string_view text) {
  if (text.empty())
    w.Raw("null");
  else
    w.String(text);
}

void StringArray(JsonWriter& w, std::string_view key, const std::vector<std::string>& items) {
  w.Key(key);
  w.BeginArray();
  for (const auto& item : items) w.String(item);
  w.EndArray();
}

void PrintJsonLine(std::string& json) {
  json += '\n';
  std::fwrite(json.data(), 1, json.size(), stdout);
}

}  // namespace extrace::cli
