// The flows document: see flows_json.h.
#include "render/flows_json.h"

#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "format/json_text.h"
#include "render/list_json.h"

namespace extrace {
namespace {

struct FlowSummary {
  const RunSummary* newest = nullptr;
  int64_t runs = 0, completed = 0, error = 0, incomplete = 0;
  std::vector<int64_t> durations_us;  // newest first, at most kFlowRecentDurations
};

}  // namespace

std::string FlowsJson(const std::vector<RunSummary>& top_level_runs) {
  std::vector<FlowSummary> flows;  // in the order of their newest run
  std::unordered_map<std::string_view, size_t> index;
  for (const RunSummary& run : top_level_runs) {
    if (run.root_node_id.empty()) continue;
    auto [at, added] = index.try_emplace(run.root_node_id, flows.size());
    if (added) flows.emplace_back().newest = &run;
    FlowSummary& flow = flows[at->second];
    ++flow.runs;
    switch (run.status) {
      case RunStatus::kCompleted:
        ++flow.completed;
        break;
      case RunStatus::kError:
        ++flow.error;
        break;
      case RunStatus::kIncomplete:
        ++flow.incomplete;
        break;
    }
    if (run.start_us && run.end_us && flow.durations_us.size() < kFlowRecentDurations)
      flow.durations_us.push_back(*run.end_us - *run.start_us);
  }
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("flows");
  w.BeginArray();
  for (const FlowSummary& flow : flows) {
    w.BeginObject();
    w.Key("flow");
    w.String(flow.newest->root_node_id);
    w.Key("runs");
    w.Int(flow.runs);
    w.Key("completed");
    w.Int(flow.completed);
    w.Key("error");
    w.Int(flow.error);
    w.Key("incomplete");
    w.Int(flow.incomplete);
    w.Key("lastRun");
    WriteRunListItem(w, *flow.newest);
    w.Key("recentDurationsMs");
    w.BeginArray();
    for (auto duration = flow.durations_us.rbegin(); duration != flow.durations_us.rend();
         ++duration)
      w.Millis(*duration);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace extrace
