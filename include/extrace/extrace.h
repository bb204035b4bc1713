// What an engine includes: the recorder, wired to the projector so that
// Recorder::Trace() hands back the ExecutionTrace of a run from the log.
// Link the CMake target `extrace`.
#pragma once

#include <memory>
#include <string>

#include "extrace/recorder.h"
#include "extrace/status.h"
#include "extrace/trace.h"

namespace extrace {

// Projects one run (with its child runs) from the store at `db_path`.
[[nodiscard]] Result<ExecutionTrace> ReadTrace(const std::string& db_path,
                                               const std::string& execution_id);
// The ExecutionTrace as the contract's JSON.
std::string TraceJson(const ExecutionTrace& trace);

[[nodiscard]] inline Result<std::unique_ptr<Recorder>> OpenRecorder(const std::string& db_path,
                                                                    RecorderOptions options = {}) {
  options.trace_reader = &ReadTrace;
  return Recorder::Open(db_path, options);
}

}  // namespace extrace
