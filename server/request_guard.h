// What a web page on another site could make a browser send to a server on
// this machine, refused before anything else is read: DNS rebinding (a page
// whose own host name now resolves to 127.0.0.1 reads the API: its Host is
// not ours) and cross-site writes (a page POSTs events: its Origin is not
// ours nor the --cors one). A token stops both too, so the Host check applies
// only to servers without one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/server_options.h"

namespace extrace::server {

// std::nullopt when the request may go on; else why not (a 403's message).
// `host` and `origin` are the headers' values (empty when absent); `writes`:
// the method changes something (anything but GET, HEAD, OPTIONS).
std::optional<std::string> ForeignRequest(const ServerOptions& options, std::string_view host,
                                          std::string_view origin, bool writes);

}  // namespace extrace::server
