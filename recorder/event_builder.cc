// Recorder events: see event_builder.h.
#include "recorder/event_builder.h"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <iterator>
#include <random>

#include "format/event_json.h"
#include "format/json_text.h"

namespace extrace::recorder {

int64_t NowMicros() {
  // Straight to the vDSO: system_clock::now() is the same clock.
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

std::string NewExecutionId() {
  static thread_local std::mt19937_64 random{std::random_device{}() ^
                                             static_cast<uint64_t>(NowMicros())};
  return fmt::format("exec_{:016x}{:016x}", random(), random());
}

double ClampProgress(double progress) {
  return std::clamp(progress == progress ? progress : 0.0, 0.0, 100.0);
}

Status CheckExecutionId(std::string_view execution_id) {
  if (execution_id.empty()) return MakeError(StatusCode::kInvalidInput, "executionId: empty");
  size_t characters = 0;
  for (char c : execution_id)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++characters;
  if (characters > kMaxExecutionIdLength)
    return MakeError(StatusCode::kInvalidInput,
                     fmt::format("executionId: longer than {} characters", kMaxExecutionIdLength));
  return {};
}

void StateChangeData(NodeState state, std::string_view error_message, std::string& out) {
  out.assign(R"({"state":")");
  out += NodeStateName(state);
  out += '"';
  if (!error_message.empty()) {
    out += R"(,"errorMessage":)";
    AppendJsonString(out, error_message);
  }
  out += '}';
}

void ProgressData(double progress, std::string_view message, std::string& out) {
  out.assign(R"({"progress":)");
  // Same text as AppendJsonDouble (fmt's shortest round trip; never NaN or
  // infinite once clamped), written in place instead of through a temporary.
  fmt::format_to(std::back_inserter(out), "{}", ClampProgress(progress));
  if (!message.empty()) {
    out += R"(,"message":)";
    AppendJsonString(out, message);
  }
  out += '}';
}

void ErrorData(std::string_view message, std::string& out) {
  out.assign(R"({"message":)");
  AppendJsonString(out, message);
  out += '}';
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
  if (auto checked = CheckExecutionId(execution_id); !checked)
    return tl::unexpected(checked.error());
  return Event{execution_id, 0, NowMicros(), EventType::kStarted, {}, std::move(data)};
}

Event ProgressEvent(const std::string& execution_id, const std::string& node_id, double progress,
                    std::string_view message) {
  Event event{execution_id, 0, NowMicros(), EventType::kProgress, node_id, {}};
  ProgressData(progress, message, event.data_json);
  return event;
}

}  // namespace extrace::recorder
