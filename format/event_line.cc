// Event lines: see event_line.h.
#include "format/event_line.h"

#include "format/json_text.h"

namespace extrace {

void AppendEventLine(std::string& out, const Event& event) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("executionId");
  w.String(event.execution_id);
  w.Key("seq");
  w.Int(event.seq);
  w.Key("timestamp");
  w.Millis(event.timestamp_us);
  w.Key("type");
  w.String(EventTypeName(event.type));
  if (!event.node_id.empty()) {
    w.Key("nodeId");
    w.String(event.node_id);
  }
  w.Key("data");
  w.Raw(event.data_json.empty() ? "{}" : event.data_json);
  w.EndObject();
  out += '\n';
}

}  // namespace extrace
