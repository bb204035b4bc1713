// The JSON Lines input pipeline: see line_batcher.h.
#include "format/line_batcher.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "format/event_json.h"

namespace extrace {
std::string AtLine(const std::string& source, int64_t line, const std::string& message) {
  std::string text = fmt::format("line {}: {}", line, message);
  if (!source.empty()) text += fmt::format(" ({})", source);
  return text;
}

LineBatcher::LineBatcher(std::vector<std::string> inputs, BatchLimits limits)
    : inputs_(std::move(inputs)), limits_(limits), reader_([this] { Read(); }) {}

// Then reader_, the last member, joins first among them: the reader never
// outlives the queue it pushes to.
LineBatcher::~LineBatcher() { Cancel(); }

EventBatch LineBatcher::Next() {
  std::unique_lock lock(mutex_);
  not_empty_.wait(lock, [&] { return !queue_.empty(); });
  EventBatch batch = std::move(queue_.front());
  queue_.pop_front();
  not_full_.notify_one();
  return batch;
}

void LineBatcher::Cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  not_full_.notify_all();
}

// Blocks while the queue is full, so that a slow consumer holds the reader back
// instead of filling memory; false once the consumer has gone.
bool LineBatcher::Push(EventBatch&& batch) {
  std::unique_lock lock(mutex_);
  not_full_.wait(lock, [&] { return queue_.size() < limits_.in_flight || cancelled_; });
  if (cancelled_) return false;
  queue_.push_back(std::move(batch));
  not_empty_.notify_one();
  return true;
}

void LineBatcher::Read() {
  if (inputs_.empty()) {
    if (!Stream(std::cin, "")) return;
  } else {
    for (const auto& input : inputs_) {
      if (IsStandardStream(input)) {
        if (!Stream(std::cin, "")) return;
        continue;
      }
      std::ifstream in(input, std::ios::binary);
      if (!Stream(in, input)) return;
    }
  }
  batch_.end = true;
  Push(std::move(batch_));
}

// False when reading stopped (bad line, read error, or the consumer went away).
bool LineBatcher::Stream(std::istream& in, const std::string& source) {
  EventParser parser;
  std::string line;
  int64_t number = 0;
  batch_.source = source;
  while (std::getline(in, line)) {
    ++number;
    batch_.bytes += static_cast<int64_t>(line.size()) + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    auto event = parser.Parse(line);
    if (!event)
      return Stop(Error{event.error().code, AtLine(source, number, event.error().message)});
    batch_bytes_ += line.size();
    batch_.events.push_back(std::move(*event));
    batch_.lines.push_back(number);
    if (batch_.events.size() >= limits_.max_events || batch_bytes_ >= limits_.max_bytes) {
      if (!Hand(source)) return false;
    }
  }
  if (in.bad())
    return Stop(Error{StatusCode::kIoError,
                      fmt::format("{}: read error after line {}",
                                  source.empty() ? "standard input" : source, number)});
  // A batch never spans two inputs: its error messages name one source.
  return batch_.events.empty() || Hand(source);
}

bool LineBatcher::Hand(const std::string& source) {
  bool taken = Push(std::move(batch_));
  batch_ = EventBatch{};
  batch_.source = source;
  batch_bytes_ = 0;
  return taken;
}

bool LineBatcher::Stop(Error error) {
  batch_.stop = std::move(error);
  batch_.end = true;
  Push(std::move(batch_));
  return false;
}

}  // namespace extrace
