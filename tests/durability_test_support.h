// Helpers of the durability tests (power_cut_test.cc, io_error_test.cc):
// crash_writer run on the faulty VFS shim (faulty_vfs.h), what it
// acknowledged, and the event lines it ingests.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "extrace/event.h"
#include "test_support.h"

namespace extrace::testing {

// One crash_writer process that ran to its end (or to its power cut).
struct WriterRun {
  ProcessResult process;
  int64_t acked = 0;  // the highest "durable K" it printed
  // Its "io total=... read=..." line by name ("total", "read", ...); empty when
  // it did not end on its own.
  std::map<std::string, int64_t> io;
};

// Runs crash_writer `args` with the shim's plan `plan` (faulty_vfs::ParsePlan).
WriterRun RunFaultyWriter(const std::vector<std::string>& args, const std::string& plan);

// Run `id`'s events as `extrace ingest` takes them: `started`, then `count` - 1
// progress events of node "leaf", seqs 1..count, data canonical.
std::vector<Event> IngestEvents(const std::string& id, int64_t count);
// The events as JSON Lines, appended to the file `path`.
void AppendEventsFile(const std::string& path, const std::vector<Event>& events);

// The index of the first event whose seq is not its position + 1, or size().
size_t FirstSeqGap(const std::vector<Event>& events);

}  // namespace extrace::testing
