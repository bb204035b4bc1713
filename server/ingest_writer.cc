// IngestWriter: see ingest_writer.h.
#include "server/ingest_writer.h"

#include <algorithm>
#include <span>
#include <utility>

namespace extrace::server {
namespace {

// One transaction holds at most about this many events; a larger backlog is
// committed in several, so that no request waits behind an unbounded one.
constexpr size_t kMaxEventsPerCommit = 100'000;

// Errors that belong to one event (its request fails, the others go on)
// rather than to the store (every request still waiting fails with it).
bool IsEventError(StatusCode code) {
  return code == StatusCode::kConflict || code == StatusCode::kInvalidInput;
}

}  // namespace

IngestWriter::IngestWriter(std::unique_ptr<EventStore> store, std::function<void()> on_commit)
    : store_(std::move(store)),
      on_commit_(std::move(on_commit)),
      thread_([this](const std::stop_token& stop) { Run(stop); }) {}

IngestWriter::~IngestWriter() {
  thread_.request_stop();
  wake_.notify_all();
}

void IngestWriter::Submit(std::vector<Event> events, std::function<void(IngestOutcome)> done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Job{std::move(events), std::move(done)});
    ++figures_.queued;
  }
  wake_.notify_one();
}

IngestWriter::Figures IngestWriter::figures() const {
  std::lock_guard lock(mutex_);
  return figures_;
}

void IngestWriter::Run(const std::stop_token& stop) {
  std::vector<Job> jobs;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      // Stopping still drains: whatever was submitted is committed and answered.
      wake_.wait(lock, stop, [&] { return !queue_.empty(); });
      if (queue_.empty()) return;
      size_t events = 0;
      while (!queue_.empty() && (jobs.empty() || events < kMaxEventsPerCommit)) {
        events += queue_.front().events.size();
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      figures_.queued -= static_cast<int64_t>(jobs.size());
    }
    Commit(jobs);
    jobs.clear();
  }
}

void IngestWriter::Commit(std::vector<Job>& jobs) {
  std::vector<Event> all;
  std::vector<size_t> starts;  // index in `all` of each job's first event
  size_t total = 0;
  for (const Job& job : jobs) total += job.events.size();
  all.reserve(total);
  for (Job& job : jobs) {
    starts.push_back(all.size());
    std::move(job.events.begin(), job.events.end(), std::back_inserter(all));
  }
  starts.push_back(all.size());
  std::vector<IngestOutcome> outcomes(jobs.size());
  int64_t commits = 0;

  // Appends jobs [first, end); on an event's error the jobs after its own are
  // appended again, in a transaction of their own.
  size_t first = 0;
  while (first < jobs.size()) {
    std::span<Event> batch = std::span(all).subspan(starts[first]);
    AppendResult result = store_->Append(batch);
    size_t done_events = result.status ? batch.size() : result.failed_index;
    if (result.stored > 0) ++commits;
    // Duplicates and stored events, counted to the job they came from.
    size_t job = first;
    auto dup = result.duplicate_indices.begin();
    for (; job < jobs.size() && starts[job] - starts[first] < done_events; ++job) {
      size_t begin = starts[job] - starts[first];
      size_t end = std::min(starts[job + 1] - starts[first], done_events);
      int64_t dups = 0;
      while (dup != result.duplicate_indices.end() && *dup < end) {
        ++dups;
        ++dup;
      }
      outcomes[job].duplicates = dups;
      outcomes[job].stored = static_cast<int64_t>(end - begin) - dups;
    }
    if (result.status) break;
    // The failing event's job (a job whose events all landed before it is not it).
    size_t failed = first;
    while (starts[failed + 1] - starts[first] <= result.failed_index) ++failed;
    outcomes[failed].status = result.status;
    outcomes[failed].failed_index = starts[first] + result.failed_index - starts[failed];
    if (!IsEventError(result.status.error().code)) {
      for (size_t later = failed + 1; later < jobs.size(); ++later)
        outcomes[later].status = result.status;  // failed_index 0: none of it landed
      break;
    }
    first = failed + 1;
  }
  {
    std::lock_guard lock(mutex_);
    figures_.commits += commits;
    figures_.requests += static_cast<int64_t>(jobs.size());
    figures_.events += static_cast<int64_t>(all.size());
  }
  if (commits > 0 && on_commit_) on_commit_();
  for (size_t i = 0; i < jobs.size(); ++i) jobs[i].done(std::move(outcomes[i]));
}

}  // namespace extrace::server
