// Route and IngestReply: see router.h.
#include "server/router.h"

#include <fmt/format.h>

#include <charconv>

#include "format/event_json.h"  // kMaxEventSeq
#include "query/run_resolution.h"

namespace extrace::server {
namespace {

std::string CountsMembers(int64_t stored, int64_t duplicates) {
  return fmt::format("\"stored\":{},\"duplicates\":{}", stored, duplicates);
}

Reply MethodNotAllowed(std::string_view allow) {
  Reply reply =
      ErrorReply(405, "method_not_allowed", fmt::format("this path takes {} only", allow));
  reply.headers.emplace_back("Allow", std::string(allow));
  return reply;
}

// Last-Event-ID: the seq the client has; anything else starts from the first event.
int64_t AfterSeq(std::string_view last_event_id) {
  int64_t seq = 0;
  auto [end, error] =
      std::from_chars(last_event_id.data(), last_event_id.data() + last_event_id.size(), seq);
  bool whole = end == last_event_id.data() + last_event_id.size();
  // Beyond every seq the format allows: the client has everything.
  if (error == std::errc::result_out_of_range && whole && !last_event_id.starts_with('-'))
    return kMaxEventSeq;
  if (error != std::errc() || !whole || seq < 0) return 0;
  return seq;
}

Action RouteRunStream(const std::string& spec, std::string_view last_event_id, ServerState& state,
                      CounterSlot slot) {
  auto store = state.pool.Borrow();
  if (!store) return ErrorReply(store.error());
  std::string execution_id = spec;
  if (auto run = ResolveRun(**store, spec); run) {
    execution_id = run->execution_id;
  } else if (run.error().code != StatusCode::kNotFound || spec == "latest") {
    return ErrorReply(run.error());
  }
  // An id not in the store yet is waited for: a subscriber may come before the run.
  int64_t after = AfterSeq(last_event_id);
  return StreamAction{MakeRunFeed(std::move(execution_id), after), after > 0, std::move(slot)};
}

}  // namespace

Action Route(const Request& request, ServerState& state) {
  auto target = ParseTarget(request.target);
  if (!target)
    return ErrorReply(400, "invalid_input", "the request target is not a path with valid escapes");
  const auto& parts = target->segments;
  bool get = request.method == "GET" || request.method == "HEAD";
  bool api = !parts.empty() && parts[0] == "v1";

  if (api && parts.size() == 2 && parts[1] == "events") {
    if (request.method != "POST") return MethodNotAllowed("POST");
    return IngestAction{ReadEventBody(request.body)};
  }
  bool run_stream = api && parts.size() == 4 && parts[1] == "runs" && parts[3] == "stream";
  bool runs_stream = api && parts.size() == 2 && parts[1] == "stream";
  if (run_stream || runs_stream) {
    if (request.method != "GET") return MethodNotAllowed("GET");
    CounterSlot slot = CounterSlot::TryTake(state.streams, state.options.max_subscribers);
    if (!slot.held())
      return ErrorReply(503, "busy",
                        fmt::format("{} event streams are open, the most this server allows",
                                    state.options.max_subscribers));
    if (runs_stream)
      return StreamAction{MakeRunsFeed(target->Param("flow").value_or("")), false, std::move(slot)};
    return RouteRunStream(parts[2], request.last_event_id, state, std::move(slot));
  }
  if (api) {
    if (!get) return MethodNotAllowed("GET");
    if (auto reply = RouteApi(*target, state)) return std::move(*reply);
    return ErrorReply(404, "not_found", fmt::format("no API path {}", target->path));
  }
  if (!get) return MethodNotAllowed("GET");
  if (auto reply = RouteWeb(*target)) return std::move(*reply);
  return ErrorReply(404, "not_found", fmt::format("no page {}", target->path));
}

Reply IngestReply(const EventBody& body, const IngestOutcome& outcome) {
  if (!outcome.status) {
    const Error& error = outcome.status.error();
    std::string message = error.message;
    // An event's own error names its line, as `ingest` does.
    if (error.code == StatusCode::kConflict || error.code == StatusCode::kInvalidInput)
      message = fmt::format("line {}: {}", body.lines[outcome.failed_index], message);
    return ErrorReply(Error{error.code, message},
                      CountsMembers(outcome.stored, outcome.duplicates));
  }
  if (body.stop) return ErrorReply(*body.stop, CountsMembers(outcome.stored, outcome.duplicates));
  return JsonReply("{" + CountsMembers(outcome.stored, outcome.duplicates) + "}");
}

}  // namespace extrace::server
