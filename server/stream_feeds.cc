// The feeds behind the event streams: see stream_feeds.h.
#include "server/stream_feeds.h"

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <set>
#include <unordered_set>

#include "format/event_line.h"
#include "format/json_text.h"
#include "render/list_json.h"

namespace extrace::server {
namespace {

// Newest runs a runs feed looks at per poll: more new runs than this between
// two polls (250 ms or one commit apart) are announced only in part.
constexpr size_t kRunsPerPoll = 200;
// Events one poll reads at most, so that a stream of a long run is written in
// pieces of bounded size (the next piece is read once this one is written).
constexpr size_t kEventsPerPoll = 2000;
// How long a missing seq below sent ones is waited for.
constexpr auto kHoleGrace = std::chrono::seconds(2);

std::string ExecutionIdJson(const std::string& id) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("executionId");
  w.String(id);
  w.EndObject();
  return out;
}

// Sends each event once, in seq order as it finds them. Events may commit out
// of seq order (two requests of one run, a writer in another process): the
// watermark is the highest seq below which every event was sent, and it is
// what `id:` says, so that a reconnect resumes below any hole. A hole open
// longer than kHoleGrace is taken as a seq that never comes.
class RunFeed final : public StreamFeed {
 public:
  RunFeed(std::string execution_id, int64_t after_seq)
      : execution_id_(std::move(execution_id)), watermark_(after_seq) {}

  Result<FeedPoll> Poll(EventStore& store, std::string& out) override {
    FeedPoll poll;
    std::optional<EventType> end;
    size_t read = 0;
    auto status =
        store.ForEachEventAfter(execution_id_, watermark_, kEventsPerPoll, [&](Event&& event) {
          ++read;
          if (!sent_above_.insert(event.seq).second) return;  // sent while a hole was open
          Advance();
          fmt::format_to(std::back_inserter(out), "id: {}\ndata: ", watermark_);
          AppendEventLine(out, event);  // one line, ending in its line break
          out += '\n';
          ++poll.events;
          if (event.type == EventType::kCompleted || event.type == EventType::kError)
            end = event.type;
        });
    if (!status) return tl::unexpected(status.error());
    poll.more = read == kEventsPerPoll;
    CloseOldHole();
    auto children = store.ChildRuns(execution_id_);
    if (!children) return tl::unexpected(children.error());
    for (const std::string& child : *children) {
      if (!announced_.insert(child).second) continue;
      out += "event: child-run\ndata: ";
      out += ExecutionIdJson(child);
      out += "\n\n";
    }
    if (!end && first_poll_) {
      // A reconnect after the run's last event: nothing new, and the run is over.
      auto run = store.GetRun(execution_id_);
      if (!run) return tl::unexpected(run.error());
      if (*run && (*run)->end_type && (*run)->max_seq <= watermark_) end = (*run)->end_type;
    }
    first_poll_ = false;
    if (!end) return poll;
    out += fmt::format("event: end\ndata: {{\"status\":\"{}\"}}\n\n",
                       *end == EventType::kCompleted ? "completed" : "error");
    poll.over = true;
    return poll;
  }

 private:
  void Advance() {
    while (!sent_above_.empty() && *sent_above_.begin() == watermark_ + 1) {
      ++watermark_;
      sent_above_.erase(sent_above_.begin());
    }
  }

  void CloseOldHole() {
    if (sent_above_.empty()) {
      hole_since_.reset();
      return;
    }
    auto now = std::chrono::steady_clock::now();
    if (!hole_since_) hole_since_ = now;
    if (now - *hole_since_ < kHoleGrace) return;
    watermark_ = *sent_above_.begin() - 1;
    Advance();
    hole_since_.reset();
  }

  const std::string execution_id_;
  int64_t watermark_;
  std::set<int64_t> sent_above_;  // sent seqs above the watermark (a hole below them)
  std::optional<std::chrono::steady_clock::time_point> hole_since_;
  std::unordered_set<std::string> announced_;
  bool first_poll_ = true;
};

class RunsFeed final : public StreamFeed {
 public:
  explicit RunsFeed(std::string flow) : flow_(std::move(flow)) {}

  Result<FeedPoll> Poll(EventStore& store, std::string& out) override {
    RunFilter filter;
    filter.flow = flow_;
    filter.limit = kRunsPerPoll;
    auto runs = store.ListRuns(filter);
    if (!runs) return tl::unexpected(runs.error());
    // Newest first: announced oldest first, as they began.
    for (auto it = runs->rbegin(); it != runs->rend(); ++it) {
      if (!known_.insert(it->execution_id).second || first_poll_) continue;
      std::string element = RunListJson({*it});
      out += "event: run\ndata: ";
      out.append(element, 1, element.size() - 2);  // the array's one element
      out += "\n\n";
    }
    first_poll_ = false;  // the runs there before the stream began are not news
    return FeedPoll{};
  }

 private:
  const std::string flow_;
  std::unordered_set<std::string> known_;
  bool first_poll_ = true;
};

}  // namespace

std::unique_ptr<StreamFeed> MakeRunFeed(std::string execution_id, int64_t after_seq) {
  return std::make_unique<RunFeed>(std::move(execution_id), after_seq);
}

std::unique_ptr<StreamFeed> MakeRunsFeed(std::string flow) {
  return std::make_unique<RunsFeed>(std::move(flow));
}

}  // namespace extrace::server
