// The server's one writer: every POST /v1/events hands its parsed events here,
// and one thread appends whatever has queued up since its last commit in one
// transaction (group commit: many producers, one transaction per batch of
// requests). Each request then learns its own outcome: its stored and
// duplicate counts, or the error at its first failing event, with everything
// before that event committed, as `extrace ingest` promises.
//
// Threads: Submit from any thread; `done` runs on the writer's thread and must
// not block (post the response back to the connection's own executor).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "extrace/event.h"
#include "extrace/status.h"
#include "storage/event_store.h"

namespace extrace::server {

struct IngestOutcome {
  int64_t stored = 0;
  int64_t duplicates = 0;
  // Why the request stopped at its event `failed_index` (kConflict for that
  // event, or the store's kBusy / kDiskFull / ... for the batch it was in).
  Status status;
  size_t failed_index = 0;
};

class IngestWriter {
 public:
  // `on_commit` runs on the writer's thread after every commit that stored events.
  IngestWriter(std::unique_ptr<EventStore> store, std::function<void()> on_commit);
  // Finishes every request already submitted, then stops.
  ~IngestWriter();
  IngestWriter(const IngestWriter&) = delete;
  IngestWriter& operator=(const IngestWriter&) = delete;

  void Submit(std::vector<Event> events, std::function<void(IngestOutcome)> done);

  // Commits and requests so far (the group-commit ratio, for tests and /v1/health).
  struct Figures {
    int64_t commits = 0;
    int64_t requests = 0;
    int64_t events = 0;
    int64_t queued = 0;
  };
  Figures figures() const;

 private:
  struct Job {
    std::vector<Event> events;
    std::function<void(IngestOutcome)> done;
  };
  void Run(const std::stop_token& stop);
  void Commit(std::vector<Job>& jobs);

  std::unique_ptr<EventStore> store_;
  std::function<void()> on_commit_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<Job> queue_;
  Figures figures_;
  std::jthread thread_;  // last: started once everything above exists
};

}  // namespace extrace::server
