// The errors an append reports about one event: see append_errors.h.
#include "storage/append_errors.h"

#include <fmt/format.h>

#include "format/event_json.h"

namespace extrace::append_errors {
namespace {

std::string Brief(const Event& e) {
  return fmt::format("{{type {}, timestamp {}, nodeId \"{}\", data {}}}", EventTypeName(e.type),
                     e.timestamp_us / 1000.0, e.node_id, e.data_json.empty() ? "{}" : e.data_json);
}

}  // namespace

Error InvalidData(const Event& event, size_t index) {
  return Error{StatusCode::kInvalidInput,
               fmt::format("data: not a JSON object (executionId \"{}\", {})", event.execution_id,
                           event.seq ? fmt::format("seq {}", event.seq)
                                     : fmt::format("event {} of the batch", index + 1))};
}

Error DataTooLong(const Event& event, size_t index) {
  return Error{StatusCode::kInvalidInput,
               fmt::format("data: longer than {} MiB (executionId \"{}\", {})",
                           kMaxEventLineBytes >> 20, event.execution_id,
                           event.seq ? fmt::format("seq {}", event.seq)
                                     : fmt::format("event {} of the batch", index + 1))};
}

Error SeqsExhausted(const std::string& execution_id, int64_t max_seq) {
  return Error{StatusCode::kInvalidInput,
               fmt::format("seq: run \"{}\" has used every seq up to {}", execution_id, max_seq)};
}

Error Conflict(const Event& stored, const Event& event) {
  return Error{StatusCode::kConflict,
               fmt::format("seq: conflict: executionId \"{}\" seq {} is stored as {}, the new "
                           "event is {}",
                           event.execution_id, event.seq, Brief(stored), Brief(event))};
}

}  // namespace extrace::append_errors
