// `extrace serve`: the HTTP server over one store (docs/http-api.md). RunServer
// listens, serves until SIGTERM or SIGINT, then drains: stops accepting,
// finishes the requests in flight (their events committed), ends the event
// streams, and returns. No exception leaves it.
#pragma once

#include "extrace/status.h"
#include "server/server_options.h"

namespace extrace::server {

// kInvalidInput for options that cannot be served (a non-loopback address
// without a token, an address that is not one), the store's error when it
// cannot be opened for writing, kIoError when the address cannot be bound.
[[nodiscard]] Status RunServer(const ServerOptions& options, const ListeningCallback& on_listening);

}  // namespace extrace::server
