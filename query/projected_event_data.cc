// The contract's data of projected events: see projected_event_data.h.
#include "query/projected_event_data.h"

#include "format/json_text.h"

namespace extrace {

std::string NodeEventData(const Event& event) {
  return event.data_json.empty() ? "{}" : event.data_json;
}

bool HasMessage(const DataMembers& data) {
  std::string_view message = data.Find("message");
  return !message.empty() && message != "null";
}

std::string NodeProgressData(const Event& event, const DataMembers& data) {
  if (HasMessage(data)) return NodeEventData(event);
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  if (std::string_view progress = data.Find("progress"); !progress.empty()) {
    w.Key("progress");
    w.Raw(progress);
  }
  w.Key("message");
  w.String("");
  for (const auto& [key, value] : data.all()) {
    if (key == "progress" || key == "message") continue;
    w.Key(key);
    w.Raw(value);
  }
  w.EndObject();
  return out;
}

std::string WithNodeId(const std::string& node_id, const DataMembers& data) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("nodeId");
  w.String(node_id);
  for (const auto& [key, value] : data.all()) {
    if (key == "nodeId") continue;
    w.Key(key);
    w.Raw(value);
  }
  w.EndObject();
  return out;
}

std::string CompletedData(int64_t total_duration_us, int64_t nodes_completed, int64_t nodes_errored,
                          const DataMembers& data) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("totalDuration");
  w.Millis(total_duration_us);
  w.Key("nodesCompleted");
  w.Int(nodes_completed);
  w.Key("nodesErrored");
  w.Int(nodes_errored);
  for (const auto& [key, value] : data.all()) {
    if (key == "totalDuration" || key == "nodesCompleted" || key == "nodesErrored") continue;
    w.Key(key);
    w.Raw(value);
  }
  w.EndObject();
  return out;
}

}  // namespace extrace
