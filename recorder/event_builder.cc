// Recorder events: see event_builder.h.
#include "recorder/event_builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <chrono>
#include <random>

#include "storage/event_json.h"
#include "storage/json_text.h"

namespace extrace::recorder {

int64_t NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string NewExecutionId() {
  static thread_local std::mt19937_64 random{std::random_device{}() ^
                                             static_cast<uint64_t>(NowMicros())};
  return fmt::format("exec_{:016x}{:016x}", random(), random());
}

Result<Event> StartedEvent(const RunStart& run, const std::string& execution_id) {
  boost::system::error_code ec;
  boost::json::value config =
      boost::json::parse(run.config_json.empty() ? "{}" : run.config_json, ec);
  if (ec || !config.is_object())
    return MakeError(StatusCode::kInvalidInput, "config: must be a JSON object");
  std::string data;
  JsonWriter w(data);
  w.BeginObject();
  w.Key("rootNodeId");
  w.String(run.root_node_id);
  if (!run.parent_execution_id.empty() || !run.parent_node_id.empty()) {
    w.Key("parentExecutionId");
    w.String(run.parent_execution_id);
    w.Key("parentNodeId");
    w.String(run.parent_node_id);
  }
  w.Key("config");
  w.Value(config);
  w.Key("nodes");
  w.BeginArray();
  for (const GraphNode& node : run.nodes) {
    w.BeginObject();
    w.Key("id");
    w.String(node.id);
    w.Key("name");
    w.String(node.name);
    w.Key("type");
    w.String(node.type);
    if (!node.parent_id.empty()) {
      w.Key("parentId");
      w.String(node.parent_id);
    }
    w.Key("weight");
    w.Double(node.weight);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  auto info = ReadStartedInfo(ParseDataObject(data));
  if (!info) return tl::unexpected(info.error());
  if (execution_id.size() > kMaxExecutionIdLength)
    return MakeError(StatusCode::kInvalidInput, "executionId: longer than 256 characters");
  return Event{execution_id, 0, NowMicros(), EventType::kStarted, {}, std::move(data)};
}

Event StateChangeEvent(const std::string& execution_id, const std::string& node_id, NodeState state,
                       std::string_view error_message) {
  std::string data;
  JsonWriter w(data);
  w.BeginObject();
  w.Key("state");
  w.String(NodeStateName(state));
  if (!error_message.empty()) {
    w.Key("errorMessage");
    w.String(error_message);
  }
  w.EndObject();
  return Event{execution_id, 0, NowMicros(), EventType::kStateChange, node_id, std::move(data)};
}

Event ProgressEvent(const std::string& execution_id, const std::string& node_id, double progress,
                    std::string_view message) {
  std::string data;
  JsonWriter w(data);
  w.BeginObject();
  w.Key("progress");
  w.Double(std::clamp(progress == progress ? progress : 0.0, 0.0, 100.0));
  if (!message.empty()) {
    w.Key("message");
    w.String(message);
  }
  w.EndObject();
  return Event{execution_id, 0, NowMicros(), EventType::kProgress, node_id, std::move(data)};
}

Event CompletedEvent(const std::string& execution_id) {
  return Event{execution_id, 0, NowMicros(), EventType::kCompleted, {}, {}};
}

Event ErrorEvent(const std::string& execution_id, std::string_view message) {
  std::string data;
  JsonWriter w(data);
  w.BeginObject();
  w.Key("message");
  w.String(message);
  w.EndObject();
  return Event{execution_id, 0, NowMicros(), EventType::kError, {}, std::move(data)};
}

}  // namespace extrace::recorder
