// `extrace compare --json`: see compare_json.h.
#include "render/compare_json.h"

#include "format/json_text.h"

namespace extrace {

std::string ComparisonJson(const RunComparison& c) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("a");
  w.String(c.a.execution_id);
  w.Key("b");
  w.String(c.b.execution_id);
  w.Key("flowA");
  w.StringOrNull(c.a.root_node_id);
  w.Key("flowB");
  w.StringOrNull(c.b.root_node_id);
  w.Key("statusA");
  w.String(RunStatusName(c.a.status));
  w.Key("statusB");
  w.String(RunStatusName(c.b.status));
  w.Key("durationA");
  w.MillisOrNull(c.duration_a_us);
  w.Key("durationB");
  w.MillisOrNull(c.duration_b_us);
  w.Key("durationDelta");
  w.MillisOrNull(c.duration_delta_us);
  w.Key("nodes");
  w.BeginArray();
  for (const NodeDelta& node : c.nodes) {
    w.BeginObject();
    w.Key("nodeId");
    w.String(node.node_id);
    w.Key("path");
    w.String(node.path);
    w.Key("nodeName");
    w.String(node.name);
    w.Key("kind");
    w.String(node.group ? "group" : "leaf");
    w.Key("durationA");
    w.MillisOrNull(node.duration_a_us);
    w.Key("durationB");
    w.MillisOrNull(node.duration_b_us);
    w.Key("delta");
    w.MillisOrNull(node.delta_us);
    w.Key("ratio");
    w.DecimalOrNull(node.ratio, 6);
    w.Key("stateA");
    w.StringOrNull(node.state_a ? NodeStateName(*node.state_a) : "");
    w.Key("stateB");
    w.StringOrNull(node.state_b ? NodeStateName(*node.state_b) : "");
    w.EndObject();
  }
  w.EndArray();
  w.Key("onlyInA");
  w.Strings(c.only_in_a);
  w.Key("onlyInB");
  w.Strings(c.only_in_b);
  w.Key("diagnostics");
  w.Strings(c.diagnostics);
  w.EndObject();
  return out;
}

}  // namespace extrace
