// `extrace regressions --json`: see regressions_json.h.
#include "render/regressions_json.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

#include "format/json_text.h"

namespace extrace {
namespace {

std::string_view Verdict(const RegressionReport& report) {
  if (!report.enough_runs) return "not-enough-runs";
  return report.regressions.empty() ? "ok" : "regressed";
}

void WriteRegression(JsonWriter& w, const Regression& r) {
  w.BeginObject();
  w.Key("nodeId");
  w.String(r.node_id);
  w.Key("nodeName");
  w.String(r.name);
  w.Key("parentId");
  w.StringOrNull(r.parent_id);
  w.Key("group");
  w.Bool(r.group);
  w.Key("basis");
  w.String(JudgementBasisName(r.basis));
  w.Key("baseline");
  w.Millis(r.baseline_us);
  w.Key("latest");
  w.Millis(r.latest_us);
  w.Key("ratio");
  std::optional<double> ratio;
  if (r.ratio) ratio = std::round(*r.ratio * 1000) / 1000;
  w.DoubleOrNull(ratio);
  w.Key("added");
  w.Millis(r.latest_us - r.baseline_us);
  w.Key("mad");
  w.MillisOrNull(r.mad_us);
  w.Key("spread");
  w.MillisOrNull(r.spread_us);
  w.Key("samples");
  w.Int(static_cast<int64_t>(r.samples));
  w.Key("explains");
  w.Strings(r.explains);
  w.EndObject();
}

}  // namespace

std::string RegressionsJson(const RegressionReport& report) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("flow");
  w.String(report.flow);
  w.Key("run");
  w.String(report.run.execution_id);
  w.Key("runStatus");
  w.String(RunStatusName(report.run.status));
  w.Key("status");
  w.String(Verdict(report));
  w.Key("basis");
  w.StringOrNull(report.basis ? JudgementBasisName(*report.basis) : "");
  // The run-level word on the spread: null while it is unknown (fewer than
  // minSpreadRuns baseline runs), "measured" when each finding carries its own.
  w.Key("spread");
  w.StringOrNull(report.basis == JudgementBasis::kMedianMad ? "measured" : "");
  w.Key("threshold");
  w.Double(report.rule.threshold);
  w.Key("k");
  w.Double(report.rule.k);
  // Fewer baseline runs than this: not-enough-runs; fewer than minSpreadRuns: "ratio".
  w.Key("minBaselineRuns");
  w.Int(1);
  w.Key("minSpreadRuns");
  w.Int(static_cast<int64_t>(report.rule.min_spread_samples));
  w.Key("baselineRuns");
  w.Strings(report.baseline_runs);
  w.Key("judgedNodes");
  w.Int(static_cast<int64_t>(report.judged_nodes));
  w.Key("unjudgedNodes");
  w.Int(static_cast<int64_t>(report.unjudged_nodes));
  w.Key("regressions");
  w.BeginArray();
  for (const Regression& r : report.regressions) WriteRegression(w, r);
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace extrace
