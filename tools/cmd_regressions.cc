// `extrace regressions FLOW [--run ID] [--baseline N] [--threshold R] [--json]`:
// the nodes of a run (default the flow's latest) that got slower than in the
// completed runs before it (the rule: query/regressions.h), worst first.
//
// Exit codes: 0 nothing got slower, 12 (kExitRegression) something did, also
// when only 1 or 2 earlier completed runs exist (judged by the ratio alone: a
// new flow is when a 3x slowdown must not pass); 0 when there is no earlier
// completed run (a new flow must not fail a CI gate: the output says "not
// enough runs to judge"); 5 unknown flow or run; 2 a bad --baseline (< 3),
// --threshold (<= 0) or run argument.
//
// --json: render/regressions_json.h (through render/documents.h).
#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "query/regressions.h"
#include "query/run_loaders.h"
#include "render/documents.h"
#include "storage/event_store.h"
#include "tools/cli_support.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/text_format.h"

namespace extrace::cli {
namespace {

void PrintReport(const RegressionReport& report) {
  const RunSummary& run = report.run;
  std::string duration = run.start_us && run.end_us ? HumanDuration(*run.end_us - *run.start_us)
                                                    : std::string("no end yet");
  std::printf("run %s of flow %s: %s, started %s, %s\n", run.execution_id.c_str(),
              report.flow.c_str(), std::string(RunStatusName(run.status)).c_str(),
              IsoTime(*run.start_us).c_str(), duration.c_str());
  if (!report.enough_runs) {
    std::printf(
        "not enough runs to judge: no completed run of flow %s started before it, need at least "
        "1\n",
        report.flow.c_str());
    return;
  }
  const size_t baseline_runs = report.baseline_runs.size();
  std::printf("baseline: the %zu completed run%s before it (newest %s)\n", baseline_runs,
              baseline_runs == 1 ? "" : "s", report.baseline_runs.front().c_str());
  const bool ratio = *report.basis == JudgementBasis::kRatio;
  if (ratio) {
    std::printf("slower: >= %gx the baseline median and > median + %g x max(1%% of median, 1 ms)\n",
                report.rule.threshold, report.rule.k);
    std::printf(
        "spread unknown: judged by the ratio alone (%zu baseline run%s; the spread is measured "
        "from %zu)\n",
        baseline_runs, baseline_runs == 1 ? "" : "s", report.rule.min_spread_samples);
  } else {
    std::printf(
        "slower: >= %gx the baseline median and > median + %g x max(1.4826 x MAD, 1%% of "
        "median, 1 ms)\n",
        report.rule.threshold, report.rule.k);
  }
  if (run.status == RunStatus::kIncomplete)
    std::printf("the run has not ended: only the nodes it completed are judged\n");
  std::string judged =
      fmt::format("{} node{} judged", report.judged_nodes, report.judged_nodes == 1 ? "" : "s");
  if (report.unjudged_nodes > 0)
    judged += ratio ? fmt::format("; {} left out: not completed in this run, or in no baseline run",
                                  report.unjudged_nodes)
                    : fmt::format(
                          "; {} left out: not completed in this run, or in fewer than {} "
                          "baseline runs",
                          report.unjudged_nodes, report.rule.min_spread_samples);
  if (report.regressions.empty()) {
    std::printf("\nno node got slower (%s)\n", judged.c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : report.regressions) {
    std::string name = r.name;
    if (r.name != r.node_id) name += " (" + r.node_id + ")";
    std::string explains;
    for (const auto& id : r.explains) explains += (explains.empty() ? "" : ", ") + id;
    rows.push_back({name, HumanDuration(r.baseline_us), HumanDuration(r.latest_us),
                    r.ratio ? fmt::format("{:.2f}x", *r.ratio) : "-",
                    "+" + HumanDuration(r.latest_us - r.baseline_us),
                    r.mad_us ? HumanDuration(*r.mad_us) : "-", explains});
  }
  std::printf("\n%s",
              RenderTable({"NODE", "BASELINE", "LATEST", "RATIO", "ADDED", "MAD", "SLOWS GROUPS"},
                          rows, {false, true, true, true, true, true, false})
                  .c_str());
  std::printf("\n%zu node%s got slower (%s)\n", report.regressions.size(),
              report.regressions.size() == 1 ? "" : "s", judged.c_str());
}

}  // namespace

int Regressions(const GlobalOptions& global, const RegressionOptions& options) {
  RegressionRule rule;
  // A short history is judged by the ratio; asking for one would give up the
  // spread test for good.
  if (options.baseline < static_cast<int>(rule.min_spread_samples))
    return Usage("regressions", fmt::format("--baseline must be at least {}, got {}",
                                            rule.min_spread_samples, options.baseline));
  if (!std::isfinite(options.threshold) || options.threshold <= 0)
    return Usage("regressions",
                 fmt::format("--threshold must be a ratio above 0, got {}", options.threshold));
  rule.threshold = options.threshold;

  auto store = OpenForReading(global);
  if (!store) return Fail("regressions", store.error());
  const auto baseline = static_cast<size_t>(options.baseline);
  if (options.json) {
    auto document = RegressionsDocument(**store, options.flow, options.run, baseline, rule);
    if (!document) return Fail("regressions", document.error());
    PrintJsonLine(std::move(document->json));
    return document->regressed ? kExitRegression : kExitOk;
  }
  auto report = LoadRegressions(**store, options.flow, options.run, baseline, rule);
  if (!report) return Fail("regressions", report.error());
  PrintReport(*report);
  return report->regressions.empty() ? kExitOk : kExitRegression;
}

}  // namespace extrace::cli
