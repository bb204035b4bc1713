// `extrace ingest [FILE...]`: streams JSON Lines events into the log. One
// thread reads and parses lines into batches while this thread appends the
// batch before (parse and write overlap on two cores). The first bad line stops
// it; every valid line before it is stored.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "storage/event_json.h"
#include "storage/event_store.h"
#include "tools/cli_support.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/progress_line.h"

namespace extrace::cli {
namespace {

// Events per transaction: each commit of the default durability waits for the
// disk, so batches are large; bounded so memory stays flat whatever the input
// (at most kBatchesInFlight + 1 batches of typical ~200-byte events: ~30 MB).
constexpr size_t kIngestBatch = 32768;
constexpr size_t kBatchBytes = 8 << 20;
constexpr size_t kBatchesInFlight = 2;

// A batch of parsed events, and how the reader's work ended after it.
struct Batch {
  std::vector<Event> events;
  std::vector<int64_t> lines;  // input line of each event
  std::string source;          // file name, empty for standard input
  int64_t bytes = 0;           // input bytes the batch covers
  // Set on the last batch: the reader stopped here with this message and exit
  // code (a bad line or a read error), after the batch's events are stored.
  std::optional<std::pair<std::string, int>> stop;
  bool end = false;  // the reader is done (after this batch)
};

// The reader's side: parses the inputs into batches, handed over through a
// bounded queue so that a slow disk holds the reader back instead of filling memory.
class BatchQueue {
 public:
  // Blocks while the queue is full; false once the consumer has stopped.
  bool Push(Batch&& batch) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return queue_.size() < kBatchesInFlight || cancelled_; });
    if (cancelled_) return false;
    queue_.push_back(std::move(batch));
    not_empty_.notify_one();
    return true;
  }
  Batch Pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !queue_.empty(); });
    Batch batch = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return batch;
  }
  void Cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    not_full_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Batch> queue_;
  bool cancelled_ = false;
};

std::string Where(const std::string& source, int64_t line, const std::string& message) {
  std::string text = fmt::format("line {}: {}", line, message);
  if (!source.empty()) text += fmt::format(" ({})", source);
  return text;
}

class Reader {
 public:
  explicit Reader(BatchQueue& queue) : queue_(queue) {}

  // Reads every input (standard input when `files` is empty or names `-`), then ends.
  void Run(const std::vector<std::string>& files) {
    if (files.empty()) {
      Stream(std::cin, "");
    } else {
      for (const auto& file : files) {
        if (IsStandardStream(file)) {
          if (!Stream(std::cin, "")) return;
          continue;
        }
        std::ifstream in(file, std::ios::binary);
        if (!Stream(in, file)) return;
      }
    }
    batch_.end = true;
    queue_.Push(std::move(batch_));
  }

 private:
  // False when reading stopped (bad line, read error, or the writer stopped).
  bool Stream(std::istream& in, const std::string& source) {
    std::string line;
    int64_t number = 0;
    batch_.source = source;
    while (std::getline(in, line)) {
      ++number;
      batch_.bytes += static_cast<int64_t>(line.size()) + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      auto event = parser_.Parse(line);
      if (!event) {
        return Stop(Where(source, number, event.error().message), ExitCodeFor(event.error().code));
      }
      batch_bytes_ += line.size();
      batch_.events.push_back(std::move(*event));
      batch_.lines.push_back(number);
      if (batch_.events.size() >= kIngestBatch || batch_bytes_ >= kBatchBytes) {
        if (!Hand(source)) return false;
      }
    }
    if (in.bad()) {
      return Stop(fmt::format("extrace ingest: {}: read error after line {}",
                              source.empty() ? "standard input" : source, number),
                  ExitCodeFor(StatusCode::kIoError));
    }
    // A batch never spans two files: its error messages name one source.
    return batch_.events.empty() || Hand(source);
  }

  bool Hand(const std::string& source) {
    bool taken = queue_.Push(std::move(batch_));
    batch_ = Batch{};
    batch_.source = source;
    batch_bytes_ = 0;
    return taken;
  }

  bool Stop(std::string message, int code) {
    batch_.stop.emplace(std::move(message), code);
    batch_.end = true;
    queue_.Push(std::move(batch_));
    return false;
  }

  BatchQueue& queue_;
  EventParser parser_;
  Batch batch_;
  size_t batch_bytes_ = 0;
};

struct Totals {
  int64_t stored = 0;
  int64_t duplicates = 0;
  int64_t bytes = 0;
};

// Appends one batch; on failure prints the one error line and returns its exit code.
int Commit(EventStore& store, Batch& batch, Totals& totals, ProgressLine& progress) {
  totals.bytes += batch.bytes;
  if (batch.events.empty()) return kExitOk;
  AppendResult result = store.Append(batch.events);
  totals.stored += result.stored;
  totals.duplicates += result.duplicates;
  if (result.status) {
    progress.Update(totals.stored + totals.duplicates, totals.bytes);
    return kExitOk;
  }
  progress.Finish();
  const Error& error = result.status.error();
  if (error.code == StatusCode::kConflict)
    std::fprintf(stderr, "%s\n",
                 Where(batch.source, batch.lines[result.failed_index], error.message).c_str());
  else
    std::fprintf(stderr,
                 "extrace ingest: stopped at lines %lld-%lld%s (every line before them is "
                 "stored): %s\n",
                 static_cast<long long>(batch.lines[result.failed_index]),
                 static_cast<long long>(batch.lines.back()),
                 batch.source.empty() ? "" : (" of " + batch.source).c_str(),
                 error.message.c_str());
  return ExitCodeFor(error.code);
}

// The size of the input when it is known (files, or standard input
// redirected from one): the progress line's ETA follows bytes read. 0: unknown.
int64_t StandardInputBytes() {
  struct stat info {};
  return fstat(STDIN_FILENO, &info) == 0 && S_ISREG(info.st_mode) ? info.st_size : 0;
}

int64_t InputBytes(const std::vector<std::string>& files) {
  if (files.empty()) return StandardInputBytes();
  int64_t total = 0;
  for (const auto& file : files) {
    if (IsStandardStream(file)) {
      total += StandardInputBytes();
      continue;
    }
    std::error_code error;
    auto size = std::filesystem::file_size(file, error);
    if (!error) total += static_cast<int64_t>(size);
  }
  return total;
}

}  // namespace

int Ingest(const GlobalOptions& global, const std::vector<std::string>& files,
           bool normal_durability) {
  StoreOptions options;
  options.durability = normal_durability ? Durability::kNormal : Durability::kFull;
  // Check every file before storing anything from the first.
  for (const auto& file : files) {
    if (IsStandardStream(file)) continue;
    std::ifstream probe(file);
    if (!probe) {
      std::fprintf(stderr, "extrace ingest: %s: cannot open the file\n", file.c_str());
      return ExitCodeFor(StatusCode::kNotFound);
    }
  }
  auto store = EventStore::Open(global.db_path, options);
  if (!store) {
    std::fprintf(stderr, "extrace ingest: %s\n", store.error().message.c_str());
    return ExitCodeFor(store.error().code);
  }
  ProgressLine progress("ingest");
  if (progress.active()) progress.SetTotalBytes(InputBytes(files));

  // Standard input read through iostreams: without this, every read also
  // synchronises with C stdio and ingest from a pipe runs at half speed.
  std::ios::sync_with_stdio(false);
  BatchQueue queue;
  Reader reader(queue);
  std::jthread reading([&] { reader.Run(files); });
  // However this loop ends (an error, or an exception on its way to main), the
  // reader must not stay blocked on a full queue: the join below would wait forever.
  struct CancelOnExit {
    BatchQueue& queue;
    ~CancelOnExit() { queue.Cancel(); }
  } cancel_on_exit{queue};
  Totals totals;
  int code = kExitOk;
  while (true) {
    Batch batch = queue.Pop();
    code = Commit(**store, batch, totals, progress);
    if (code != kExitOk) break;
    if (batch.stop) {
      progress.Finish();
      std::fprintf(stderr, "%s\n", batch.stop->first.c_str());
      code = batch.stop->second;
    }
    if (batch.end) break;
  }
  queue.Cancel();  // the reader stops at its next batch, if it has not ended
  reading.join();
  progress.Finish();
  std::printf("stored %lld events, %lld duplicates\n", static_cast<long long>(totals.stored),
              static_cast<long long>(totals.duplicates));
  return code;
}

}  // namespace extrace::cli
