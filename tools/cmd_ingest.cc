// `extrace ingest [FILE...]`: streams JSON Lines events into the log in
// batches. The first bad line stops it; every valid line before it is stored.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "storage/event_json.h"
#include "storage/event_store.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"

namespace extrace::cli {
namespace {

// Events per transaction: large enough to amortise the commit, small enough
// that memory stays bounded whatever the input size.
constexpr size_t kIngestBatch = 8192;

struct Ingestor {
  EventStore& store;
  std::vector<Event> batch;
  std::vector<int64_t> lines;  // input line of each batched event
  std::string source;          // file name, empty for standard input
  int64_t stored = 0;
  int64_t duplicates = 0;

  // Appends the batch; on failure prints the one error line and returns its exit code.
  int Commit() {
    if (batch.empty()) return kExitOk;
    AppendResult result = store.Append(batch);
    stored += result.stored;
    duplicates += result.duplicates;
    int exit_code = kExitOk;
    if (!result.status) {
      const Error& error = result.status.error();
      if (error.code == StatusCode::kConflict)
        std::fprintf(stderr, "%s\n", Where(lines[result.failed_index], error.message).c_str());
      else
        std::fprintf(
            stderr,
            "extrace ingest: stopped at lines %lld-%lld%s (every line before them is stored): %s\n",
            static_cast<long long>(lines[result.failed_index]),
            static_cast<long long>(lines.back()), source.empty() ? "" : (" of " + source).c_str(),
            error.message.c_str());
      exit_code = ExitCodeFor(error.code);
    }
    batch.clear();
    lines.clear();
    return exit_code;
  }

  std::string Where(int64_t line, const std::string& message) const {
    std::string text = fmt::format("line {}: {}", line, message);
    if (!source.empty()) text += fmt::format(" ({})", source);
    return text;
  }

  int Stream(std::istream& in) {
    EventParser parser;
    std::string line;
    int64_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      auto event = parser.Parse(line);
      if (!event) {
        // The batch before the bad line is stored first; if that fails, its
        // error is the first fault and the only line printed.
        if (int committed = Commit(); committed != kExitOk) return committed;
        std::fprintf(stderr, "%s\n", Where(number, event.error().message).c_str());
        return ExitCodeFor(event.error().code);
      }
      batch.push_back(std::move(*event));
      lines.push_back(number);
      if (batch.size() >= kIngestBatch)
        if (int code = Commit(); code != kExitOk) return code;
    }
    if (in.bad()) {
      Commit();
      std::fprintf(stderr, "extrace ingest: %s: read error after line %lld\n",
                   source.empty() ? "standard input" : source.c_str(),
                   static_cast<long long>(number));
      return ExitCodeFor(StatusCode::kIoError);
    }
    return Commit();
  }
};

}  // namespace

int Ingest(const GlobalOptions& global, const std::vector<std::string>& files,
           bool normal_durability) {
  StoreOptions options;
  options.durability = normal_durability ? Durability::kNormal : Durability::kFull;
  // Check every file before storing anything from the first.
  for (const auto& file : files) {
    std::ifstream probe(file);
    if (!probe) {
      std::fprintf(stderr, "extrace ingest: %s: cannot open the file\n", file.c_str());
      return ExitCodeFor(StatusCode::kNotFound);
    }
  }
  auto store = EventStore::Open(global.db_path, options);
  if (!store) {
    std::fprintf(stderr, "extrace ingest: %s\n", store.error().message.c_str());
    return ExitCodeFor(store.error().code);
  }
  Ingestor ingestor{**store, {}, {}, {}};
  int code = kExitOk;
  if (files.empty()) {
    code = ingestor.Stream(std::cin);
  } else {
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      ingestor.source = file;
      code = ingestor.Stream(in);
      if (code != kExitOk) break;
    }
  }
  std::printf("stored %lld events, %lld duplicates\n", static_cast<long long>(ingestor.stored),
              static_cast<long long>(ingestor.duplicates));
  return code;
}

}  // namespace extrace::cli
