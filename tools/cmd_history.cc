// `extrace history FLOW [--last N] [--json]`: how a flow's runs and each of its
// nodes behaved over its N latest runs (query/history.h computes, this prints).
//
// Text: a header with the run durations' spread and a sparkline of the runs,
// then one line per node, worst first (nodes that failed, then by p95).
// Sparklines run oldest to newest with ▁▂▃▄▅▆▇█, scaled to the line's
// durations (failures left out) from the smaller of their minimum and half
// their maximum up to their maximum, so a few percent of jitter stays flat and
// a doubling spans the whole height; ✗ marks a failure (a run that ended in
// error, a node in error), · a run or node without a duration (incomplete,
// pending, skipped), a blank a run that did not have the node.
//
// --json: render/history_json.h (through render/documents.h).
//
// Exit codes: 0; 5 when the flow has no runs (one line on stderr); 2 for
// --last below 1.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "query/history.h"
#include "render/documents.h"
#include "storage/event_store.h"
#include "tools/cli_support.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/text_format.h"

namespace extrace::cli {
namespace {

// Wider sparklines stop fitting a terminal line: the newest this many.
constexpr size_t kSparklineRuns = 60;
constexpr const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
constexpr const char* kFailedMark = "✗";
constexpr const char* kNoDurationMark = "·";

struct SparkPoint {
  bool present = true;  // false: blank
  bool failed = false;
  std::optional<int64_t> duration_us;
};

std::string Sparkline(const std::vector<SparkPoint>& points) {
  size_t from = points.size() > kSparklineRuns ? points.size() - kSparklineRuns : 0;
  int64_t top = 0, bottom = INT64_MAX;
  for (size_t i = from; i < points.size(); ++i)
    if (points[i].duration_us && !points[i].failed) {
      top = std::max(top, *points[i].duration_us);
      bottom = std::min(bottom, *points[i].duration_us);
    }
  // The scale reaches down to at least half the largest value: jitter of a few
  // percent stays flat near the top, while a doubling spans the whole height.
  bottom = std::min(bottom, top / 2);
  const double span = static_cast<double>(top - bottom);
  std::string line;
  for (size_t i = from; i < points.size(); ++i) {
    const SparkPoint& p = points[i];
    if (!p.present) {
      line += ' ';
    } else if (p.failed) {
      line += kFailedMark;
    } else if (!p.duration_us) {
      line += kNoDurationMark;
    } else {
      int level = span <= 0 ? 7
                            : static_cast<int>(std::ceil(
                                  static_cast<double>(*p.duration_us - bottom) * 8.0 / span)) -
                                  1;
      line += kBlocks[std::clamp(level, 0, 7)];
    }
  }
  return line;
}

std::string Duration(const std::optional<int64_t>& micros) {
  return micros ? HumanDuration(*micros) : "-";
}

// What the node did in the newest run, for the LATEST column.
std::string LatestCell(const NodeHistory& node) {
  if (!node.latest_state) return "-";  // the newest run lacks the node
  bool failed = *node.latest_state == NodeState::kError;
  if (!node.latest_us) return std::string(NodeStateName(*node.latest_state));
  return HumanDuration(*node.latest_us) + (failed ? " (error)" : "");
}

void PrintHistory(const FlowHistory& history) {
  const auto& runs = history.runs;
  int64_t completed =
      static_cast<int64_t>(runs.size()) - history.failed_runs - history.incomplete_runs;
  std::printf("flow %s: %zu runs from %s to %s: %lld completed, %lld failed, %lld incomplete\n",
              history.flow.c_str(), runs.size(),
              runs.front().start_us ? IsoTime(*runs.front().start_us).c_str() : "?",
              runs.back().start_us ? IsoTime(*runs.back().start_us).c_str() : "?",
              static_cast<long long>(completed), static_cast<long long>(history.failed_runs),
              static_cast<long long>(history.incomplete_runs));
  const DurationSummary& s = history.run_stats;
  if (s.samples > 0)
    std::printf("run duration  p50 %s  p95 %s  max %s  (over the completed runs)\n",
                Duration(s.p50_us).c_str(), Duration(s.p95_us).c_str(), Duration(s.max_us).c_str());
  std::vector<SparkPoint> points;
  points.reserve(runs.size());
  for (const auto& run : runs)
    points.push_back({true, run.status == RunStatus::kError, run.duration_us});
  std::string note = runs.size() > kSparklineRuns
                         ? fmt::format("the newest {}, oldest to newest", kSparklineRuns)
                         : std::string("oldest to newest");
  std::printf("runs          %s  (%s; %s failed, %s no end)\n", Sparkline(points).c_str(),
              note.c_str(), kFailedMark, kNoDurationMark);
  const HistoryRun& newest = runs.back();
  std::printf("newest run    %s  %s  %s\n\n", newest.execution_id.c_str(),
              std::string(RunStatusName(newest.status)).c_str(),
              newest.duration_us ? HumanDuration(*newest.duration_us).c_str() : "no end yet");

  // Worst first: nodes that failed, then the slowest by p95.
  std::vector<const NodeHistory*> order;
  for (const auto& node : history.nodes) order.push_back(&node);
  std::stable_sort(order.begin(), order.end(), [](const NodeHistory* a, const NodeHistory* b) {
    if (a->failures != b->failures) return a->failures > b->failures;
    return a->stats.p95_us.value_or(-1) > b->stats.p95_us.value_or(-1);
  });
  std::vector<std::vector<std::string>> rows;
  for (const NodeHistory* node : order) {
    std::string name = node->name;
    if (node->name != node->node_id) name += " (" + node->node_id + ")";
    std::vector<SparkPoint> trend;
    for (const auto& sample : node->samples)
      trend.push_back({sample.declared, sample.state == NodeState::kError, sample.duration_us});
    rows.push_back({name, std::to_string(node->runs), std::to_string(node->failures),
                    Duration(node->stats.p50_us), Duration(node->stats.p95_us),
                    Duration(node->stats.max_us), LatestCell(*node),
                    node->latest_rank ? fmt::format("{:.0f}%", *node->latest_rank) : "-",
                    Sparkline(trend)});
  }
  std::fputs(RenderTable({"NODE", "RUNS", "FAILED", "P50", "P95", "MAX", "LATEST", "RANK", "TREND"},
                         rows, {false, true, true, true, true, true, true, true, false})
                 .c_str(),
             stdout);
  std::printf(
      "\nP50/P95/MAX: over the runs where the node completed. RANK: the newest run's duration "
      "among them (50%% typical, 100%% the slowest). TREND: as the runs line (%s failed, %s no "
      "duration, blank: not in that run).\n",
      kFailedMark, kNoDurationMark);
}

}  // namespace

int History(const GlobalOptions& global, const std::string& flow, int last, bool json) {
  if (last < 1) {
    std::fprintf(stderr, "extrace history: --last must be at least 1, got %d\n", last);
    return kExitUsage;
  }
  auto store = OpenForReading(global);
  if (!store) return Fail("history", store.error());
  if (json) {
    auto document = HistoryDocument(**store, flow, static_cast<size_t>(last));
    if (!document) return Fail("history", document.error());
    PrintJsonLine(std::move(*document));
    return kExitOk;
  }
  auto history = LoadHistory(**store, flow, static_cast<size_t>(last));
  if (!history) return Fail("history", history.error());
  PrintHistory(*history);
  return kExitOk;
}

}  // namespace extrace::cli
