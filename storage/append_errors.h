// The errors an append reports about one event, for every backend: the same
// text from SQLite and PostgreSQL, so a caller (ingest, serve, the recorder)
// sees one message whichever store it writes to. Plain functions: thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include "extrace/event.h"
#include "extrace/status.h"

namespace extrace::append_errors {

// The event's data is not a JSON object (a caller that skipped EventParser);
// `index` is its place in the batch, named when it has no seq yet.
Error InvalidData(const Event& event, size_t index);
// The event's data is longer than a line may be (kMaxEventLineBytes): the
// recorder and other callers that skip the line reader can pass more.
Error DataTooLong(const Event& event, size_t index);
// A seq-less event of a run that has used every seq up to `max_seq`.
Error SeqsExhausted(const std::string& execution_id, int64_t max_seq);
// The event's key is taken by a different event: both are named.
Error Conflict(const Event& stored, const Event& event);

}  // namespace extrace::append_errors
