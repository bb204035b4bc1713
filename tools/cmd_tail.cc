// `extrace tail`: follows one run straight from the store file while another
// process records it, until the run ends or a signal stops it. It polls the
// store's change counter (PRAGMA data_version, a read of one page header) every
// kPollInterval and reads only the events after the last seq it has when that
// changed, so following costs almost nothing while the run is quiet and never
// re-reads the run. A shared store out of reach for a moment (a PostgreSQL
// server restarting) is waited for; see kOutagePatience.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "format/event_line.h"
#include "query/run_resolution.h"
#include "query/trace_loader.h"
#include "render/terminal_timeline.h"
#include "tools/cli_support.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/progress_line.h"
#include "tools/tail_view.h"

namespace extrace::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Between two polls: a new event shows within this (plus one read), well
// inside the 100 ms the command promises.
constexpr auto kPollInterval = std::chrono::milliseconds(25);
// While waiting for `latest` to exist: nothing to show yet, so a slower poll.
constexpr auto kWaitInterval = std::chrono::milliseconds(50);
// The least time between two projections of a changing run on a terminal.
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
// Output is written (and flushed) at least this often while a read goes on.
constexpr size_t kPrintChunk = 64 * 1024;
// A quiet run still gets its elapsed time redrawn this often.
constexpr auto kTickInterval = std::chrono::seconds(1);
// A shared store out of reach (a PostgreSQL server restarting) is waited for
// this long, polled every kOutageInterval, before tail gives up on it.
constexpr auto kOutagePatience = std::chrono::seconds(60);
constexpr auto kOutageInterval = std::chrono::milliseconds(250);

volatile sig_atomic_t g_stop_signal = 0;

void OnStopSignal(int signal) { g_stop_signal = signal; }

// SIGINT and SIGTERM only set a flag: the loop finishes the frame it is
// drawing, restores the terminal and exits 128 + the signal.
class StopSignals {
 public:
  StopSignals() {
    struct sigaction action {};
    action.sa_handler = OnStopSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  static bool Stopped() { return g_stop_signal != 0; }
  static int ExitCode() { return 128 + g_stop_signal; }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

bool IsLatest(const std::string& spec) { return spec == "latest"; }

// The store and the run to follow. `latest` waits (for the store file, then for
// a run of the flow) rather than failing: tail may start before the engine.
// Anything else must resolve now, as in `show`. nullopt after a stop signal.
struct Followed {
  std::unique_ptr<EventStore> store;
  RunSummary run;
};
Result<std::optional<Followed>> OpenAndResolve(const GlobalOptions& global,
                                               const TailOptions& options) {
  bool said_waiting = false;
  auto wait = [&](const std::string& why) {
    if (!said_waiting)
      std::fprintf(stderr, "extrace tail: %s; waiting for one (Ctrl-C to stop)\n", why.c_str());
    said_waiting = true;
    std::this_thread::sleep_for(kWaitInterval);
  };
  std::unique_ptr<EventStore> store;
  while (!StopSignals::Stopped()) {
    if (!store) {
      auto opened = OpenForReading(global);
      if (opened) {
        store = std::move(*opened);
      } else if (IsLatest(options.id) && opened.error().code == StatusCode::kNotFound) {
        wait(opened.error().message);
        continue;
      } else {
        return tl::unexpected(opened.error());
      }
    }
    auto run = ResolveRun(*store, options.id, options.flow);
    if (run) return Followed{std::move(store), std::move(*run)};
    if (!IsLatest(options.id) || run.error().code != StatusCode::kNotFound)
      return tl::unexpected(run.error());
    wait(run.error().message);
  }
  return std::nullopt;
}

// Follows one run: reads what is new when the store changed, prints it in the
// chosen form, and knows when the run ended.
class Follower {
 public:
  enum class Mode { kTimeline, kEvents, kJson };

  Follower(EventStore& store, const RunSummary& run, Mode mode)
      : store_(store), run_(run), mode_(mode), frame_(STDOUT_FILENO) {}

  // Until the run ends (0, or kExitRunFailed), a signal (128 + it) or an error.
  int Run() {
    int64_t counter = -1;
    while (!StopSignals::Stopped()) {
      // The counter is read before the events: a commit between the two
      // changes it again, and the next poll reads what that commit added.
      auto now_counter = store_.ChangeCounter();
      if (!now_counter) {
        if (!WithinOutage(now_counter.error())) return Fail("tail", now_counter.error());
        std::this_thread::sleep_for(kOutageInterval);
        continue;
      }
      outage_since_.reset();
      if (*now_counter != counter) {
        counter = *now_counter;
        if (auto status = ReadNew(); !status) return Fail("tail", status.error());
      }
      if (mode_ == Mode::kTimeline) {
        if (auto status = MaybeRedraw(); !status) return Fail("tail", status.error());
      }
      if (ended_) return Finish();
      std::this_thread::sleep_for(kPollInterval);
    }
    frame_.Finish();
    return StopSignals::ExitCode();
  }

 private:
  // Whether `error` is a store out of reach that tail still waits for: the
  // run goes on being recorded meanwhile, and the store (reads reconnect)
  // shows it again when it is back.
  bool WithinOutage(const Error& error) {
    if (error.code != StatusCode::kUnavailable) return false;
    const auto now = Clock::now();
    if (!outage_since_) outage_since_ = now;
    return now - *outage_since_ < kOutagePatience;
  }

  // Streams out what is new, in pieces of about kPrintChunk: a long run that
  // ended before tail began is never held whole as text.
  Status ReadNew() {
    std::vector<RunSummary> children;
    if (mode_ == Mode::kEvents) {
      auto fresh = NewChildRuns();
      if (!fresh) return tl::unexpected(fresh.error());
      children = std::move(*fresh);
    }
    size_t next_child = 0;
    std::string out;
    // A child run's line goes among the event lines at its start time.
    auto announce_children_before = [&](int64_t time_us) {
      for (; next_child < children.size() && children[next_child].start_us < time_us; ++next_child)
        out += TailChildRunLine(children[next_child], run_.start_us.value_or(time_us));
    };
    auto status = store_.ForEachEventAfter(run_.execution_id, last_seq_, 0, [&](Event&& event) {
      last_seq_ = event.seq;
      ++events_;
      if (!run_.start_us) run_.start_us = event.timestamp_us;
      if (event.type == EventType::kCompleted || event.type == EventType::kError) ended_ = true;
      if (mode_ == Mode::kJson) AppendEventLine(out, event);
      if (mode_ == Mode::kEvents) {
        announce_children_before(event.timestamp_us);
        out += TailEventLine(event, *run_.start_us);
      }
      if (out.size() >= kPrintChunk) {
        Print(out);
        out.clear();
      }
    });
    if (!status) return status;
    dirty_ = true;
    announce_children_before(INT64_MAX);
    if (!out.empty()) Print(out);
    return {};
  }

  // The child runs of the run not announced yet, by start time. One that
  // starts while the events are read is announced on the next poll: its
  // commit changes the counter again.
  Result<std::vector<RunSummary>> NewChildRuns() {
    auto ids = store_.ChildRuns(run_.execution_id);
    if (!ids) return tl::unexpected(ids.error());
    std::vector<RunSummary> children;
    for (const auto& id : *ids) {
      if (children_seen_.contains(id)) continue;
      auto child = store_.GetRun(id);
      if (!child) return tl::unexpected(child.error());
      if (!*child || !(*child)->start_us) continue;
      children_seen_.insert(id);
      children.push_back(std::move(**child));
    }
    std::stable_sort(children.begin(), children.end(),
                     [](const auto& a, const auto& b) { return a.start_us < b.start_us; });
    return children;
  }

  // Re-projects at most every kRedrawInterval while the run changes; redraws
  // the last projection every kTickInterval so the elapsed time moves.
  Status MaybeRedraw() {
    auto now = Clock::now();
    bool due = dirty_ && (ended_ || now - drawn_at_ >= kRedrawInterval);
    if (!due && !(trace_ && now - drawn_at_ >= kTickInterval)) return {};
    if (due) {
      auto trace = LoadTrace(store_, run_.execution_id);
      if (!trace) return tl::unexpected(trace.error());
      trace_ = std::move(*trace);
      dirty_ = false;
    }
    int columns = TerminalColumns(STDOUT_FILENO);
    std::string frame = FitWidth(TailHeader(*trace_, events_, NowMicros()), columns) + "\n" +
                        RenderTerminalTimeline(*trace_, columns, ColourWanted(STDOUT_FILENO));
    frame_.Draw(frame, ended_);
    drawn_at_ = now;
    return {};
  }

  int Finish() {
    frame_.Finish();
    auto summary = store_.GetRun(run_.execution_id);
    if (!summary) return Fail("tail", summary.error());
    RunStatus status = *summary ? (*summary)->status : RunStatus::kIncomplete;
    if (mode_ == Mode::kEvents)
      Print(fmt::format("run {} ended: status {}\n", run_.execution_id, RunStatusName(status)));
    return status == RunStatus::kError ? kExitRunFailed : kExitOk;
  }

  EventStore& store_;
  RunSummary run_;
  Mode mode_;
  TailFrame frame_;
  int64_t last_seq_ = 0;
  int64_t events_ = 0;
  bool ended_ = false;
  bool dirty_ = false;
  std::set<std::string> children_seen_;
  std::optional<ExecutionTrace> trace_;
  Clock::time_point drawn_at_{};
  std::optional<Clock::time_point> outage_since_;  // since when the store is out of reach
};

}  // namespace

int Tail(const GlobalOptions& global, const TailOptions& options) {
  StopSignals signals;
  auto followed = OpenAndResolve(global, options);
  if (!followed) return Fail("tail", followed.error());
  if (!*followed) return StopSignals::ExitCode();
  Follower::Mode mode = options.json                               ? Follower::Mode::kJson
                        : options.events || !isatty(STDOUT_FILENO) ? Follower::Mode::kEvents
                                                                   : Follower::Mode::kTimeline;
  return Follower(*(*followed)->store, (*followed)->run, mode).Run();
}

}  // namespace extrace::cli
