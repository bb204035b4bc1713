// GET /v1/...: the JSON API's documents, each the same bytes as the CLI's
// --json for the same question (render/documents.h serializes both). Query
// parameters are checked here and refused with 400 naming the parameter.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "format/event_json.h"  // kMaxEventSeq
#include "format/json_text.h"
#include "query/run_filter_text.h"
#include "render/documents.h"
#include "server/router.h"

namespace extrace::server {
namespace {

Reply Document(Result<std::string> document) {
  if (!document) return ErrorReply(document.error());
  return JsonReply(std::move(*document));
}

Reply BadParam(std::string_view name, std::string_view value, std::string_view expected) {
  return ErrorReply(400, "invalid_input", fmt::format("{} {}: expected {}", name, value, expected));
}

// A whole number in [min, max]; `fallback` when the parameter is absent.
std::variant<int64_t, Reply> IntParam(const Target& target, std::string_view name, int64_t fallback,
                                      int64_t min, int64_t max) {
  auto text = target.Param(name);
  if (!text) return fallback;
  int64_t value = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < min || value > max)
    return BadParam(name, *text, fmt::format("a whole number from {} to {}", min, max));
  return value;
}

std::variant<double, Reply> NumberParam(const Target& target, std::string_view name,
                                        double fallback) {
  auto text = target.Param(name);
  if (!text) return fallback;
  double value = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || !std::isfinite(value) ||
      value < 0)
    return BadParam(name, *text, "a number, 0 or more");
  return value;
}

Reply Runs(const Target& target, ServerState& state) {
  RunFilterText text;
  text.flow = target.Param("flow").value_or("");
  text.status = target.Param("status").value_or("");
  text.since = target.Param("since").value_or("");
  text.until = target.Param("until").value_or("");
  text.node = target.Param("node").value_or("");
  text.state = target.Param("state").value_or("");
  text.error = target.Param("error").value_or("");
  auto limit = IntParam(target, "limit", 0, 0, std::numeric_limits<int32_t>::max());
  if (auto* bad = std::get_if<Reply>(&limit)) return std::move(*bad);
  text.limit = static_cast<size_t>(std::get<int64_t>(limit));
  if (target.Param("slowerThan")) {
    auto slower = NumberParam(target, "slowerThan", 0);
    if (auto* bad = std::get_if<Reply>(&slower)) return std::move(*bad);
    text.slower_than_ms = std::get<double>(slower);
  }
  auto filter = ParseRunFilter(text, FilterNames::kQueryParams);
  if (!filter) return ErrorReply(filter.error());
  auto store = state.pool.Borrow();
  if (!store) return ErrorReply(store.error());
  return Document(RunListDocument(**store, *filter));
}

Reply Health(ServerState& state) {
  IngestWriter::Figures figures = state.writer ? state.writer->figures() : IngestWriter::Figures{};
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("status");
  w.String(state.draining ? "draining" : "ok");
  w.Key("version");
  w.String(EXTRACE_VERSION);
  w.Key("ingest");
  w.BeginObject();
  w.Key("requests");
  w.Int(figures.requests);
  w.Key("commits");
  w.Int(figures.commits);
  w.Key("events");
  w.Int(figures.events);
  w.Key("queued");
  w.Int(figures.queued);
  w.EndObject();
  w.Key("connections");
  w.Int(static_cast<int64_t>(state.connections.load()));
  w.Key("streams");
  w.Int(static_cast<int64_t>(state.streams.load()));
  w.EndObject();
  return JsonReply(std::move(out));
}

// /v1/runs/{id}[/events|/bottlenecks|/report]
std::optional<Reply> RunRoutes(const Target& target, ServerState& state) {
  const auto& parts = target.segments;
  const std::string& spec = parts[2];
  std::string_view what = parts.size() == 4 ? std::string_view(parts[3]) : "";
  if (parts.size() > 4 ||
      (parts.size() == 4 && what != "events" && what != "bottlenecks" && what != "report"))
    return std::nullopt;
  std::variant<int64_t, Reply> number = int64_t{0};
  if (what == "events") number = IntParam(target, "afterSeq", 0, 0, kMaxEventSeq);
  if (what == "bottlenecks") number = IntParam(target, "top", 10, 1, 100'000);
  if (auto* bad = std::get_if<Reply>(&number)) return std::move(*bad);
  int64_t value = std::get<int64_t>(number);
  auto store = state.pool.Borrow();
  if (!store) return ErrorReply(store.error());
  if (what.empty())
    return Document(TraceDocument(**store, spec, target.Param("flow").value_or("")));
  if (what == "bottlenecks")
    return Document(BottlenecksDocument(**store, spec, static_cast<size_t>(value)));
  if (what == "report") return Document(RunReportDocument(**store, spec));
  auto lines = EventLinesDocument(**store, spec, value, target.Param("node").value_or(""));
  if (!lines) return ErrorReply(lines.error());
  Reply reply = JsonReply(std::move(*lines));
  reply.content_type = "application/x-ndjson";
  return reply;
}

// /v1/compare[/report]?a=&b=
Reply Compare(const Target& target, bool report, ServerState& state) {
  auto a = target.Param("a");
  auto b = target.Param("b");
  if (!a || !b || a->empty() || b->empty())
    return ErrorReply(400, "invalid_input", "a and b: both runs are required (?a=ID&b=ID)");
  auto store = state.pool.Borrow();
  if (!store) return ErrorReply(store.error());
  return Document(report ? CompareReportDocument(**store, *a, *b)
                         : CompareDocument(**store, *a, *b));
}

// /v1/flows/{flow}/history|regressions
std::optional<Reply> FlowRoutes(const Target& target, ServerState& state) {
  const auto& parts = target.segments;
  const std::string& flow = parts[2];
  if (parts[3] == "history") {
    auto last = IntParam(target, "last", 50, 1, 100'000);
    if (auto* bad = std::get_if<Reply>(&last)) return std::move(*bad);
    auto store = state.pool.Borrow();
    if (!store) return ErrorReply(store.error());
    return Document(HistoryDocument(**store, flow, static_cast<size_t>(std::get<int64_t>(last))));
  }
  if (parts[3] != "regressions") return std::nullopt;
  RegressionRule rule;
  auto baseline =
      IntParam(target, "baseline", 10, static_cast<int64_t>(rule.min_spread_samples), 100'000);
  if (auto* bad = std::get_if<Reply>(&baseline)) return std::move(*bad);
  auto threshold = NumberParam(target, "threshold", rule.threshold);
  if (auto* bad = std::get_if<Reply>(&threshold)) return std::move(*bad);
  rule.threshold = std::get<double>(threshold);
  if (rule.threshold <= 0)
    return BadParam("threshold", *target.Param("threshold"), "a ratio above 0");
  auto store = state.pool.Borrow();
  if (!store) return ErrorReply(store.error());
  // A regression found is data: 200 either way.
  auto found = RegressionsDocument(**store, flow, target.Param("run").value_or(""),
                                   static_cast<size_t>(std::get<int64_t>(baseline)), rule);
  if (!found) return ErrorReply(found.error());
  return JsonReply(std::move(found->json));
}

}  // namespace

std::optional<Reply> RouteApi(const Target& target, ServerState& state) {
  const auto& parts = target.segments;
  if (parts.size() == 2 && parts[1] == "health") return Health(state);
  if (parts.size() == 2 && parts[1] == "runs") return Runs(target, state);
  if (parts.size() >= 3 && parts[1] == "runs") return RunRoutes(target, state);
  if (parts.size() == 2 && parts[1] == "compare") return Compare(target, false, state);
  if (parts.size() == 3 && parts[1] == "compare" && parts[2] == "report")
    return Compare(target, true, state);
  if (parts.size() == 2 && parts[1] == "flows") {
    auto store = state.pool.Borrow();
    if (!store) return ErrorReply(store.error());
    return Document(FlowsDocument(**store));
  }
  if (parts.size() == 4 && parts[1] == "flows") return FlowRoutes(target, state);
  return std::nullopt;
}

}  // namespace extrace::server
