// Which handler a request goes to, and the handlers that need no I/O of their
// own: the JSON API's documents (api_routes.cc), the web pages and their
// assets (web_routes.cc). POST /v1/events and the event streams become actions
// the HTTP session carries out (the writer, a stream session). Every error is
// a JSON reply (reply.h); docs/http-api.md lists the paths.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "server/event_body.h"
#include "server/ingest_writer.h"
#include "server/query_string.h"
#include "server/reply.h"
#include "server/server_state.h"
#include "server/stream_feeds.h"

namespace extrace::server {

struct Request {
  std::string_view method;
  std::string_view target;
  std::string_view body;
  std::string_view last_event_id;
};

// Store these events, then answer with IngestReply.
struct IngestAction {
  EventBody body;
};
// Hand the connection to an event stream.
struct StreamAction {
  std::unique_ptr<StreamFeed> feed;
  bool gone_if_over = false;
  CounterSlot slot;  // its place under --max-streams, taken when it was routed
};
using Action = std::variant<Reply, IngestAction, StreamAction>;

Action Route(const Request& request, ServerState& state);

// The answer to POST /v1/events once the writer is done with its events:
// 200 {"stored", "duplicates"}; 400 for the body's bad line (the lines before
// it stored); 409 for a conflict; 503 with Retry-After for a busy or full store.
Reply IngestReply(const EventBody& body, const IngestOutcome& outcome);

// GET (and HEAD) /v1/... documents; std::nullopt when the path is not one.
std::optional<Reply> RouteApi(const Target& target, ServerState& state);
// GET (and HEAD) of the web pages and /assets/...; std::nullopt when not one.
std::optional<Reply> RouteWeb(const Target& target);

}  // namespace extrace::server
