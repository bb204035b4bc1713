// CopyRuns (see store_copy.h): selects the runs, skips those the destination
// holds whole, streams the others' events in seq order into batched appends.
#include "storage/store_copy.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

namespace extrace {
namespace {

// The selected runs oldest first, each filtered run followed by the run tree
// below it: a child run has its own root flow and, started later, would be left
// out by --flow, yet it belongs to its parent's run.
Result<std::vector<RunSummary>> SelectRuns(EventStore& from, const CopyOptions& options) {
  RunFilter filter;
  filter.flow = options.flow;
  filter.since_us = options.since_us;
  auto listed = from.ListRuns(filter);
  if (!listed) return tl::unexpected(listed.error());
  std::vector<RunSummary> runs(listed->rbegin(), listed->rend());
  // Without a filter every run, child runs included, is listed already.
  if (options.flow.empty() && !options.since_us) return runs;
  std::set<std::string> seen;
  for (const auto& run : runs) seen.insert(run.execution_id);
  std::vector<RunSummary> selected;
  for (auto& run : runs) {
    std::vector<std::string> pending{run.execution_id};
    selected.push_back(std::move(run));
    while (!pending.empty()) {
      std::string parent = std::move(pending.back());
      pending.pop_back();
      auto children = from.ChildRuns(parent);
      if (!children) return tl::unexpected(children.error());
      for (auto& child : *children) {
        if (!seen.insert(child).second) continue;
        auto summary = from.GetRun(child);
        if (!summary) return tl::unexpected(summary.error());
        if (!*summary) continue;
        selected.push_back(std::move(**summary));
        pending.push_back(std::move(child));
      }
    }
  }
  return selected;
}

// The destination holds the run whole: as many events, up to the same seq.
Result<bool> AlreadyThere(EventStore& to, const RunSummary& run) {
  auto stored = to.GetRun(run.execution_id);
  if (!stored) return tl::unexpected(stored.error());
  return *stored && (*stored)->event_count == run.event_count && (*stored)->max_seq == run.max_seq;
}

// Appends the buffered events in one transaction; clears the buffer.
Status Flush(EventStore& to, std::vector<Event>& buffer, CopyTotals& totals) {
  if (buffer.empty()) return {};
  AppendResult result = to.Append(buffer);
  totals.events_copied += result.stored;
  buffer.clear();
  return result.status;
}

}  // namespace

CopyTotals CopyRuns(EventStore& from, EventStore& to, const CopyOptions& options) {
  CopyTotals totals;
  auto runs = SelectRuns(from, options);
  if (!runs) {
    totals.status = tl::unexpected(runs.error());
    return totals;
  }
  // Oldest first; runs of one time in the order the source lists them (child
  // runs a filter brought in after them).
  std::stable_sort(runs->begin(), runs->end(), [](const RunSummary& a, const RunSummary& b) {
    return a.start_us.value_or(a.last_us.value_or(0)) < b.start_us.value_or(b.last_us.value_or(0));
  });
  std::vector<const RunSummary*> to_copy;
  int64_t total_events = 0;
  for (const auto& run : *runs) {
    auto there = AlreadyThere(to, run);
    if (!there) {
      totals.status = tl::unexpected(there.error());
      return totals;
    }
    if (*there) {
      ++totals.runs_present;
      continue;
    }
    to_copy.push_back(&run);
    total_events += run.event_count;
  }

  const size_t batch = std::max<size_t>(options.batch_events, 1);
  std::vector<Event> buffer;
  buffer.reserve(batch);
  int64_t read = 0;
  // Small runs share a batch: one transaction per run would make copying many
  // short runs as slow as the destination's commits. But runs that list at the
  // same time go to separate batches, in copy order: ListRuns orders them by
  // the store's own row order, which a backend may assign within one batch in
  // an order of its own (PostgreSQL: by execution id), so that `list` would
  // show them in another order than the source does.
  std::set<int64_t> times_in_buffer;
  auto flush = [&]() {
    times_in_buffer.clear();
    return Flush(to, buffer, totals);
  };
  for (const RunSummary* run : to_copy) {
    ++totals.runs_copied;
    const int64_t listed_at = run->start_us.value_or(run->last_us.value_or(0));
    if (times_in_buffer.count(listed_at))
      if (Status flushed = flush(); !flushed) {
        totals.status = std::move(flushed);
        return totals;
      }
    times_in_buffer.insert(listed_at);
    int64_t after = 0;
    while (true) {
      size_t before = buffer.size();
      Status status =
          from.ForEachEventAfter(run->execution_id, after, batch - before,
                                 [&](Event&& event) { buffer.push_back(std::move(event)); });
      if (!status) {
        totals.status = std::move(status);
        return totals;
      }
      size_t got = buffer.size() - before;
      if (got > 0) after = buffer.back().seq;
      read += static_cast<int64_t>(got);
      if (buffer.size() >= batch) {
        if (Status flushed = flush(); !flushed) {
          totals.status = std::move(flushed);
          return totals;
        }
        if (options.progress) options.progress(read, total_events);
      }
      // A short piece: the run has no more events.
      if (got < batch - before) break;
    }
  }
  if (Status flushed = flush(); !flushed) totals.status = std::move(flushed);
  if (options.progress) options.progress(read, total_events);
  return totals;
}

}  // namespace extrace
