// The server's connections: an HTTP session reads requests on one socket and
// answers them (http_session.cc); a request for an event stream hands the
// socket to a stream session that writes Server-Sent Events until the feed
// ends or the client goes (sse_session.cc).
#pragma once

#include <memory>
#include <string>

#include "server/beast.h"
#include "server/server_state.h"
#include "server/stream_feeds.h"

namespace extrace::server {

// Serves requests on an accepted connection until it closes. `slot` counts
// the connection against the cap for as long as the socket is open.
void StartHttpSession(tcp::socket socket, ServerState& state, CounterSlot slot);

// Writes the stream's response header and then the feed's messages as they
// come. `cors_headers` are CRLF-terminated header lines (empty: none).
// `gone_if_over`: answer 204 (EventSource then stops reconnecting) instead of
// 200 when the feed's first poll is already its end and nothing else.
void StartEventStream(beast::tcp_stream stream, ServerState& state, CounterSlot connection,
                      CounterSlot stream_slot, std::unique_ptr<StreamFeed> feed,
                      std::string cors_headers, bool gone_if_over);

}  // namespace extrace::server
