// The OTLP/JSON export: see otlp_trace.h. This file owns the id derivation,
// the span and span-event mapping and the attribute encoding; the flattening
// of the run into intervals is render/run_spans.h.
#include "render/otlp_trace.h"

#include <fmt/format.h>

#include <boost/json/object.hpp>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "format/event_json.h"
#include "format/json_text.h"
#include "render/run_spans.h"

namespace extrace {
namespace {

using render_internal::FlatRun;
using render_internal::kNoParent;
using render_internal::RunSpan;
using render_internal::SpanKind;

constexpr int kSpanKindInternal = 1;
constexpr int kStatusUnset = 0, kStatusOk = 1, kStatusError = 2;
// OTLP reads an all-zero id as "no id": a hash that comes out zero takes this.
constexpr uint64_t kNonZero = 0x9e3779b97f4a7c15ULL;

// FNV-1a 64 over each part as "<length>:<bytes>" (so that no two lists of
// parts hash the same text), then splitmix64's finalizer: FNV alone spreads
// short, similar ids poorly over the high bits.
uint64_t StableHash(std::initializer_list<std::string_view> parts) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  auto feed = [&hash](std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash ^= c;
      hash *= 0x100000001b3ULL;
    }
  };
  for (std::string_view part : parts) {
    feed(std::to_string(part.size()));
    feed(":");
    feed(part);
  }
  hash ^= hash >> 30;
  hash *= 0xbf58476d1ce4e5b9ULL;
  hash ^= hash >> 27;
  hash *= 0x94d049bb133111ebULL;
  hash ^= hash >> 31;
  return hash;
}

std::string Hex64(uint64_t value) { return fmt::format("{:016x}", value); }

std::string SpanIdOf(uint64_t hash) { return Hex64(hash != 0 ? hash : kNonZero); }

// OTLP times are unsigned nanoseconds: a time before the epoch is written as
// the epoch, one past what fits as the largest that does.
std::string UnixNanos(int64_t micros) {
  constexpr int64_t kMaxMicros = static_cast<int64_t>(std::numeric_limits<uint64_t>::max() / 1000);
  if (micros <= 0) return "0";
  uint64_t clamped = static_cast<uint64_t>(std::min(micros, kMaxMicros));
  return fmt::format("{}", clamped * 1000);
}

// Attributes in the OTLP/JSON form: {"key": k, "value": {"<type>Value": v}},
// intValue as a decimal string (a 64-bit integer does not survive a JSON number).
class Attributes {
 public:
  explicit Attributes(JsonWriter& w) : w_(w) {}

  void String(std::string_view key, std::string_view value) {
    Begin(key, "stringValue");
    w_.String(value);
    End();
  }
  void Int(std::string_view key, int64_t value) {
    Begin(key, "intValue");
    w_.String(std::to_string(value));
    End();
  }
  void Double(std::string_view key, double value) {
    if (!std::isfinite(value)) return;  // JSON has no NaN or infinity
    Begin(key, "doubleValue");
    w_.Double(value);
    End();
  }
  void Bool(std::string_view key, bool value) {
    Begin(key, "boolValue");
    w_.Bool(value);
    End();
  }
  // A number from an event's data: intValue when it is a whole number that a
  // double holds exactly, else doubleValue.
  void Number(std::string_view key, const boost::json::value& value) {
    constexpr double kExact = 9007199254740992.0;  // 2^53
    if (value.is_int64()) return Int(key, value.get_int64());
    if (value.is_uint64())
      return Int(key, static_cast<int64_t>(std::min<uint64_t>(value.get_uint64(), INT64_MAX)));
    double number = value.to_number<double>();
    if (number == std::trunc(number) && std::fabs(number) < kExact)
      Int(key, static_cast<int64_t>(number));
    else
      Double(key, number);
  }

 private:
  void Begin(std::string_view key, std::string_view type) {
    w_.BeginObject();
    w_.Key("key");
    w_.String(key);
    w_.Key("value");
    w_.BeginObject();
    w_.Key(type);
  }
  void End() {
    w_.EndObject();
    w_.EndObject();
  }

  JsonWriter& w_;
};

// `"attributes": [...]` with what `fill` adds.
template <typename Fill>
void WriteAttributes(JsonWriter& w, Fill&& fill) {
  w.Key("attributes");
  w.BeginArray();
  Attributes attributes(w);
  fill(attributes);
  w.EndArray();
}

void CopyString(Attributes& attributes, const boost::json::object& data, std::string_view key) {
  if (const auto* value = data.if_contains(key); value && value->is_string())
    attributes.String(key, value->get_string());
}

void CopyNumber(Attributes& attributes, const boost::json::object& data, std::string_view key) {
  if (const auto* value = data.if_contains(key); value && value->is_number())
    attributes.Number(key, *value);
}

// A node's own events: its state-changes and its progress.
void NodeEventAttributes(Attributes& attributes, const TraceEvent& event,
                         const boost::json::object& data) {
  if (event.type == EventType::kStateChange) {
    CopyString(attributes, data, "state");
    CopyString(attributes, data, "errorMessage");
  } else if (event.type == EventType::kProgress) {
    if (const auto* value = data.if_contains("progress"); value && value->is_number())
      attributes.Double("progress", value->to_number<double>());
    CopyString(attributes, data, "message");
  }
}

// A run's own events; the state-changes of its nodes are on the nodes' spans.
void RunEventAttributes(Attributes& attributes, const TraceEvent& event,
                        const boost::json::object& data) {
  switch (event.type) {
    case EventType::kStarted:
      CopyString(attributes, data, "rootNodeId");
      break;
    case EventType::kProgress:
      CopyString(attributes, data, "nodeId");
      CopyNumber(attributes, data, "progress");
      CopyString(attributes, data, "message");
      break;
    case EventType::kCompleted:
      CopyNumber(attributes, data, "nodesCompleted");
      CopyNumber(attributes, data, "nodesErrored");
      break;
    case EventType::kError:
      CopyString(attributes, data, "message");
      break;
    case EventType::kStateChange:
      break;
  }
}

void WriteSpanEvents(JsonWriter& w, const RunSpan& span) {
  bool run_level = span.kind != SpanKind::kNode;
  w.Key("events");
  w.BeginArray();
  for (const TraceEvent& event : *span.events) {
    if (run_level && event.type == EventType::kStateChange) continue;
    boost::json::object data = ParseDataObject(event.data_json);
    w.BeginObject();
    w.Key("timeUnixNano");
    w.String(UnixNanos(event.timestamp_us));
    w.Key("name");
    w.String(EventTypeName(event.type));
    WriteAttributes(w, [&](Attributes& attributes) {
      if (run_level)
        RunEventAttributes(attributes, event, data);
      else
        NodeEventAttributes(attributes, event, data);
    });
    w.EndObject();
  }
  w.EndArray();
}

void SpanAttributes(Attributes& attributes, const RunSpan& span, const ExecutionTrace& trace) {
  attributes.String("extrace.execution_id", span.execution_id);
  if (span.kind == SpanKind::kNode) {
    attributes.String("extrace.node.id", span.node_id);
    attributes.String("extrace.node.name", span.name);
    attributes.String("extrace.node.type", span.type);
    attributes.String("extrace.node.state", span.state);
    attributes.Double("extrace.node.progress", span.progress);
  } else {
    attributes.String("extrace.run.root_node_id", span.node_id);
    attributes.String("extrace.run.root_node_name", span.name);
    attributes.String("extrace.run.status", span.state == "executing" ? "incomplete" : span.state);
    attributes.Int("extrace.run.progress", std::llround(span.progress));
    if (span.kind == SpanKind::kRun && !trace.parent_execution_id.empty()) {
      attributes.String("extrace.run.parent_execution_id", trace.parent_execution_id);
      attributes.String("extrace.run.parent_node_id", trace.parent_node_id);
    }
  }
  if (span.state == "error") attributes.String("extrace.error.message", span.error_message);
  if (span.open) attributes.Bool("extrace.open", true);
  if (!span.start_us) attributes.Bool("extrace.started", false);
}

void WriteStatus(JsonWriter& w, const RunSpan& span) {
  w.Key("status");
  w.BeginObject();
  w.Key("code");
  if (span.state == "error") {
    w.Int(kStatusError);
    w.Key("message");
    w.String(span.error_message);
  } else {
    w.Int(span.state == "completed" ? kStatusOk : kStatusUnset);
  }
  w.EndObject();
}

std::string SpanIdFor(const RunSpan& span) {
  return span.kind == SpanKind::kNode ? OtlpNodeSpanId(span.execution_id, span.node_id)
                                      : OtlpRunSpanId(span.execution_id);
}

// A node that never started has no time of its own: it is drawn as a point at
// its end (skipped, or failed while pending), else where the run ends (or its
// log stops): by then it had not run.
void WriteTimes(JsonWriter& w, const RunSpan& span, int64_t fallback_us) {
  int64_t start = span.start_us.value_or(span.end_us.value_or(fallback_us));
  int64_t end = span.start_us ? *span.end_us : start;
  w.Key("startTimeUnixNano");
  w.String(UnixNanos(start));
  w.Key("endTimeUnixNano");
  w.String(UnixNanos(end));
}

void WriteSpan(JsonWriter& w, const FlatRun& flat, size_t i, const std::string& trace_id,
               const ExecutionTrace& trace) {
  const RunSpan& span = flat.spans[i];
  w.BeginObject();
  w.Key("traceId");
  w.String(trace_id);
  w.Key("spanId");
  w.String(SpanIdFor(span));
  if (span.parent != kNoParent) {
    w.Key("parentSpanId");
    w.String(SpanIdFor(flat.spans[span.parent]));
  }
  w.Key("name");
  w.String(span.DisplayName());
  w.Key("kind");
  w.Int(kSpanKindInternal);
  WriteTimes(w, span, *flat.spans[0].end_us);
  WriteAttributes(w, [&](Attributes& attributes) { SpanAttributes(attributes, span, trace); });
  WriteSpanEvents(w, span);
  WriteStatus(w, span);
  w.EndObject();
}

void WriteResource(JsonWriter& w, const ExecutionTrace& trace) {
  w.Key("resource");
  w.BeginObject();
  WriteAttributes(w, [&](Attributes& attributes) {
    // The flow is what people look runs up by: it is the "service" here.
    attributes.String("service.name", trace.root_node_id.empty() ? "extrace" : trace.root_node_id);
    attributes.String("extrace.execution_id", trace.execution_id);
  });
  w.EndObject();
}

}  // namespace

std::string OtlpTraceId(std::string_view execution_id) {
  uint64_t high = StableHash({"extrace.trace.high", execution_id});
  uint64_t low = StableHash({"extrace.trace.low", execution_id});
  if (high == 0 && low == 0) low = kNonZero;
  return Hex64(high) + Hex64(low);
}

std::string OtlpRunSpanId(std::string_view execution_id) {
  return SpanIdOf(StableHash({"extrace.run", execution_id}));
}

std::string OtlpNodeSpanId(std::string_view execution_id, std::string_view node_id) {
  return SpanIdOf(StableHash({"extrace.node", execution_id, node_id}));
}

std::string RenderOtlpTrace(const ExecutionTrace& trace) {
  FlatRun flat = render_internal::FlattenRun(trace);
  std::string trace_id = OtlpTraceId(trace.execution_id);
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("resourceSpans");
  w.BeginArray();
  w.BeginObject();
  WriteResource(w, trace);
  w.Key("scopeSpans");
  w.BeginArray();
  w.BeginObject();
  w.Key("scope");
  w.BeginObject();
  w.Key("name");
  w.String("extrace");
  w.Key("version");
  w.String(kOtlpScopeVersion);
  w.EndObject();
  w.Key("spans");
  w.BeginArray();
  for (size_t i = 0; i < flat.spans.size(); ++i) WriteSpan(w, flat, i, trace_id, trace);
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace extrace
