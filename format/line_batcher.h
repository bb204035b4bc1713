// The input pipeline of JSON Lines: one thread reads and parses the inputs into
// batches of events while the caller's thread stores the batch before (parse
// and write overlap on two cores). The first bad line ends the input; every
// valid line before it is in the batches handed out. Used by `extrace ingest`
// and by anything else that takes event lines in bulk.
//
// Threads: construct, call Next() and destroy on one thread; the reading
// thread is the batcher's own.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "extrace/event.h"
#include "extrace/status.h"

namespace extrace {

struct BatchLimits {
  // Events per batch. Default: 32768 (each becomes one transaction of the store).
  size_t max_events = 32768;
  // Input bytes per batch, so that memory stays flat whatever the events' sizes.
  // Default: 8 MiB.
  size_t max_bytes = 8 << 20;
  // Parsed batches waiting for the caller; the reader waits beyond it. Default: 2.
  size_t in_flight = 2;
};

// A batch of parsed events, and how the input ended after it.
struct EventBatch {
  std::vector<Event> events;
  std::vector<int64_t> lines;  // input line of each event
  std::string source;          // file name, empty for standard input
  int64_t bytes = 0;           // input bytes the batch covers
  // Set on the last batch when reading stopped early, after this batch's events:
  // kInvalidInput "line N: field: what ( (FILE))" for a bad line, kIoError
  // "FILE: read error after line N" when an input could not be read.
  std::optional<Error> stop;
  bool end = false;  // nothing comes after this batch
};

// `-` as a file name means standard input (or output), as across Unix tooling.
inline bool IsStandardStream(std::string_view file) { return file == "-"; }

// "line N: message", then " (FILE)" unless `source` is empty (standard input).
std::string AtLine(const std::string& source, int64_t line, const std::string& message);

class LineBatcher {
 public:
  // Starts reading `inputs` in order: file names, `-` for standard input
  // (standard input alone when `inputs` is empty). The files must exist: the
  // caller checks them first, so that nothing is stored from one before a
  // missing other is reported.
  explicit LineBatcher(std::vector<std::string> inputs, BatchLimits limits = {});
  // Stops the reader (at its next batch) and waits for it.
  ~LineBatcher();
  LineBatcher(const LineBatcher&) = delete;
  LineBatcher& operator=(const LineBatcher&) = delete;

  // The next batch; blocks until the reader has one. After a batch with `end`
  // set, do not call again.
  EventBatch Next();

 private:
  void Read();
  bool Stream(std::istream& in, const std::string& source);
  bool Hand(const std::string& source);
  bool Stop(Error error);
  bool Push(EventBatch&& batch);
  void Cancel();

  const std::vector<std::string> inputs_;
  const BatchLimits limits_;
  // Owned by the reading thread.
  EventBatch batch_;
  size_t batch_bytes_ = 0;
  // The hand-over between the two threads.
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<EventBatch> queue_;
  bool cancelled_ = false;
  std::jthread reader_;  // last: started once everything above exists
};

}  // namespace extrace
