// crash_writer's ingest modes (tests/crash_writer.cc): event lines into a
// store the way `extrace ingest` stores them, for the power-cut and I/O-error
// tests.
#pragma once

#include <cstdint>
#include <string>

namespace extrace::testing {

// LineBatcher batches of at most `batch` events, each appended in one
// transaction, as `extrace ingest` does; after each acknowledged append prints
// "durable K": every input line up to K is stored. Returns the exit code.
int IngestLines(const std::string& db, const std::string& file, int64_t batch, bool normal);

// `extrace ingest` itself (the CLI's command, in this process): its output,
// its one error line and its exit code.
int IngestCommand(const std::string& db, const std::string& file, bool normal);

}  // namespace extrace::testing
