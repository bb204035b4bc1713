// The Chrome trace export: see chrome_trace.h. This file owns the track
// (tid) assignment and the event list; the flattening of the run into
// intervals is render/run_spans.h.
#include "render/chrome_trace.h"

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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

constexpr int kPid = 1;
constexpr int kRunTid = 1;

int64_t Start(const RunSpan& span) { return *span.start_us; }
int64_t End(const RunSpan& span) { return *span.end_us; }

// Whether two intervals can sit on one track side by side. A zero-length
// interval at the edge of another is drawn inside it, so it counts as meeting
// it; two intervals with a length may touch.
bool Disjoint(const RunSpan& a, const RunSpan& b) {
  if (End(a) < Start(b) || End(b) < Start(a)) return true;
  bool both_long = End(a) > Start(a) && End(b) > Start(b);
  return both_long && (End(a) == Start(b) || End(b) == Start(a));
}

bool Contains(const RunSpan& outer, const RunSpan& inner) {
  return Start(outer) <= Start(inner) && End(inner) <= End(outer);
}

// Greedy track assignment in pre-order. A span may join a track when every
// span already there is either apart from it or one of its ancestors that
// contains it: the X events of a track then nest properly, and a span is never
// drawn inside something that is not its ancestor. Tried in order: the nearest
// drawn ancestor's track, then every track from the first, then a new one.
class TrackAssigner {
 public:
  explicit TrackAssigner(const std::vector<RunSpan>& spans)
      : spans_(spans), tid_(spans.size(), 0), on_path_(spans.size(), false) {}

  std::vector<int> Assign() {
    std::vector<size_t> path;  // the ancestors of the span being placed
    for (size_t i = 0; i < spans_.size(); ++i) {
      while (!path.empty() && path.back() != spans_[i].parent) {
        on_path_[path.back()] = false;
        path.pop_back();
      }
      if (spans_[i].start_us) tid_[i] = Place(i, NearestDrawnTrack(i));
      path.push_back(i);
      on_path_[i] = true;
    }
    return tid_;
  }

  [[nodiscard]] size_t TrackCount() const { return tracks_.size(); }

 private:
  [[nodiscard]] int NearestDrawnTrack(size_t i) const {
    for (size_t p = spans_[i].parent; p != kNoParent; p = spans_[p].parent)
      if (tid_[p] != 0) return tid_[p];
    return 0;
  }

  [[nodiscard]] bool Fits(int tid, size_t i) const {
    for (size_t j : tracks_[static_cast<size_t>(tid - 1)]) {
      if (Disjoint(spans_[i], spans_[j])) continue;
      if (!on_path_[j] || !Contains(spans_[j], spans_[i])) return false;
    }
    return true;
  }

  int Place(size_t i, int preferred) {
    int tid = 0;
    if (preferred != 0 && Fits(preferred, i)) tid = preferred;
    for (int t = 1; tid == 0 && t <= static_cast<int>(tracks_.size()); ++t)
      if (Fits(t, i)) tid = t;
    if (tid == 0) {
      tracks_.emplace_back();
      tid = static_cast<int>(tracks_.size());
    }
    tracks_[static_cast<size_t>(tid - 1)].push_back(i);
    return tid;
  }

  const std::vector<RunSpan>& spans_;
  std::vector<int> tid_;  // per span; 0: not drawn (never started)
  std::vector<bool> on_path_;
  std::vector<std::vector<size_t>> tracks_;  // the spans on tid = index + 1
};

// The track a span's instants go on: its own, else its nearest drawn ancestor's.
int InstantTrack(const std::vector<RunSpan>& spans, const std::vector<int>& tid, size_t i) {
  for (size_t p = i; p != kNoParent; p = spans[p].parent)
    if (tid[p] != 0) return tid[p];
  return kRunTid;
}

// Collects the events, one JSON object per line of the output.
class EventList {
 public:
  // Starts an event with the fields every phase has.
  JsonWriter& Begin(std::string_view phase, std::string_view name, int tid) {
    text_.clear();
    writer_.emplace(text_);
    writer_->BeginObject();
    writer_->Key("name");
    writer_->String(name);
    writer_->Key("ph");
    writer_->String(phase);
    writer_->Key("pid");
    writer_->Int(kPid);
    if (tid != 0) {
      writer_->Key("tid");
      writer_->Int(tid);
    }
    return *writer_;
  }

  void End() {
    writer_->EndObject();
    lines_.push_back(std::move(text_));
  }

  [[nodiscard]] std::string Document(std::string_view execution_id) const {
    std::string out = "{\"traceEvents\":[\n";
    for (size_t i = 0; i < lines_.size(); ++i) {
      out += lines_[i];
      out += i + 1 < lines_.size() ? ",\n" : "\n";
    }
    out += "],\"displayTimeUnit\":\"ms\",\"otherData\":{\"exporter\":\"extrace\",\"executionId\":";
    AppendJsonString(out, execution_id);
    out += "}}\n";
    return out;
  }

 private:
  std::string text_;
  std::optional<JsonWriter> writer_;
  std::vector<std::string> lines_;
};

// A process_name or thread_name event.
void NameMetadata(EventList& list, std::string_view what, int tid, const std::string& name) {
  JsonWriter& w = list.Begin("M", what, tid);
  w.Key("args");
  w.BeginObject();
  w.Key("name");
  w.String(name);
  w.EndObject();
  list.End();
}

// Keeps the tracks in tid order whatever their names.
void SortIndexMetadata(EventList& list, int tid) {
  JsonWriter& w = list.Begin("M", "thread_sort_index", tid);
  w.Key("args");
  w.BeginObject();
  w.Key("sort_index");
  w.Int(tid);
  w.EndObject();
  list.End();
}

void WriteMetadata(EventList& list, const FlatRun& flat, size_t tracks) {
  const RunSpan& run = flat.spans[0];
  NameMetadata(list, "process_name", 0, "extrace run " + run.name + " " + run.execution_id);
  for (int tid = 1; tid <= static_cast<int>(tracks); ++tid) {
    NameMetadata(list, "thread_name", tid,
                 tid == kRunTid ? run.name : "parallel " + std::to_string(tid - 1));
    SortIndexMetadata(list, tid);
  }
}

void CompleteEvent(EventList& list, const RunSpan& span, int tid) {
  std::string_view category = span.kind == SpanKind::kRun        ? "run"
                              : span.kind == SpanKind::kChildRun ? "child-run"
                                                                 : "node";
  JsonWriter& w = list.Begin("X", span.DisplayName(), tid);
  w.Key("cat");
  w.String(category);
  w.Key("ts");
  w.Int(Start(span));
  w.Key("dur");
  w.Int(End(span) - Start(span));
  w.Key("args");
  w.BeginObject();
  // The run's slice names its root as rootNodeId: nodeId is only ever a node's
  // own slice, so a reader looking a node up finds its times, not the run's.
  w.Key(span.kind == SpanKind::kRun ? "rootNodeId" : "nodeId");
  w.String(span.node_id);
  w.Key("name");
  w.String(span.name);
  w.Key("type");
  w.String(span.type);
  w.Key("state");
  w.String(span.state);
  w.Key("executionId");
  w.String(span.execution_id);
  w.Key("progress");
  w.Double(span.progress);
  if (!span.error_message.empty()) {
    w.Key("error");
    w.String(span.error_message);
  }
  if (span.open) {
    w.Key("open");
    w.Bool(true);
  }
  w.EndObject();
  list.End();
}

// scope: "p" (the whole process: the exported run) or "t" (one track).
void Instant(EventList& list, std::string_view name, int64_t at_us, std::string_view scope, int tid,
             const RunSpan& span, std::string_view error) {
  JsonWriter& w = list.Begin("i", name, tid);
  w.Key("cat");
  w.String(span.kind == SpanKind::kNode ? "node" : "run");
  w.Key("ts");
  w.Int(at_us);
  w.Key("s");
  w.String(scope);
  w.Key("args");
  w.BeginObject();
  w.Key(span.kind == SpanKind::kRun ? "rootNodeId" : "nodeId");
  w.String(span.node_id);
  w.Key("executionId");
  w.String(span.execution_id);
  if (!error.empty()) {
    w.Key("error");
    w.String(error);
  }
  w.EndObject();
  list.End();
}

// A run's start and end (or where its log stops); the exported run's are
// process-wide, a child run's sit on its track.
void RunInstants(EventList& list, const RunSpan& span, int tid) {
  bool top = span.kind == SpanKind::kRun;
  std::string prefix = top ? "run " : "child run " + span.name + " ";
  std::string_view scope = top ? "p" : "t";
  Instant(list, prefix + "started", Start(span), scope, tid, span, "");
  if (span.open)
    Instant(list, prefix + "still open where the log ends", End(span), scope, tid, span, "");
  else
    Instant(list, prefix + (span.state == "error" ? "error" : "completed"), End(span), scope, tid,
            span, span.error_message);
}

void WriteInstants(EventList& list, const FlatRun& flat, const std::vector<int>& tid) {
  for (size_t i = 0; i < flat.spans.size(); ++i) {
    const RunSpan& span = flat.spans[i];
    if (span.kind != SpanKind::kNode) {
      if (span.start_us) RunInstants(list, span, tid[i]);
    } else if (span.state == "error" && span.end_us) {
      Instant(list, "error: " + span.name, *span.end_us, "t", InstantTrack(flat.spans, tid, i),
              span, span.error_message);
    }
  }
}

void CounterPoint(EventList& list, int64_t at_us, const boost::json::value& progress) {
  JsonWriter& w = list.Begin("C", "progress", 0);
  w.Key("ts");
  w.Int(at_us);
  w.Key("args");
  w.BeginObject();
  w.Key("progress");
  w.Value(progress);
  w.EndObject();
  list.End();
}

// The run's overall progress: 0 at its start, the value after each progress
// event (the run-level `progress` of the ExecutionTrace), and the final value
// at its end.
void WriteProgressCounter(EventList& list, const ExecutionTrace& trace) {
  CounterPoint(list, trace.start_us, boost::json::value(0));
  for (const TraceEvent& event : trace.events) {
    if (event.type != EventType::kProgress) continue;
    boost::json::object data = ParseDataObject(event.data_json);
    if (const auto* value = data.if_contains("progress"); value && value->is_number())
      CounterPoint(list, event.timestamp_us, *value);
  }
  if (trace.end_us) CounterPoint(list, *trace.end_us, boost::json::value(trace.overall_progress));
}

}  // namespace

std::string RenderChromeTrace(const ExecutionTrace& trace) {
  FlatRun flat = render_internal::FlattenRun(trace);
  TrackAssigner assigner(flat.spans);
  std::vector<int> tid = assigner.Assign();
  EventList list;
  WriteMetadata(list, flat, assigner.TrackCount());
  for (size_t i = 0; i < flat.spans.size(); ++i)
    if (tid[i] != 0) CompleteEvent(list, flat.spans[i], tid[i]);
  WriteInstants(list, flat, tid);
  WriteProgressCounter(list, trace);
  return list.Document(trace.execution_id);
}

}  // namespace extrace
