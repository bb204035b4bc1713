// CopyRuns: copies runs from one EventStore to another through the interface
// alone, so it works between any two backends (SQLite <-> PostgreSQL, also
// SQLite -> SQLite). Idempotent and resumable: a run the destination already
// holds whole is skipped without reading its events; any other run's events are
// appended in bounded batches, and the destination's duplicate check makes the
// events an interrupted copy already stored no-ops.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "extrace/status.h"
#include "storage/event_store.h"

namespace extrace {

struct CopyOptions {
  std::string flow;                 // only runs of this flow (and their child runs)
  std::optional<int64_t> since_us;  // only runs started at or after (and their child runs)
  // Events read and appended per transaction. Default: 4000.
  size_t batch_events = 4000;
  // Called after each batch: events copied so far, of `total` to read.
  std::function<void(int64_t done, int64_t total)> progress;
};

struct CopyTotals {
  int64_t runs_copied = 0;    // runs whose events were read and appended
  int64_t events_copied = 0;  // events newly stored in the destination
  int64_t runs_present = 0;   // runs the destination already held whole
  // Ok, or why the copy stopped (every batch before it is committed).
  Status status;
};

// The selected runs of `from` (with the run trees below them) into `to`,
// oldest first.
[[nodiscard]] CopyTotals CopyRuns(EventStore& from, EventStore& to, const CopyOptions& options);

}  // namespace extrace
