// The Host and Origin checks: see request_guard.h.
#include "server/request_guard.h"

#include <fmt/format.h>

namespace extrace::server {
namespace {

// "name:port" -> "name", "[::1]:port" -> "[::1]".
std::string_view HostName(std::string_view host) {
  if (host.starts_with('[')) {
    size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  return host.substr(0, host.find(':'));
}

bool IsLoopbackName(std::string_view name, const ServerOptions& options) {
  if (name == "localhost" || name == "[::1]" || name.starts_with("127.")) return true;
  return name == options.address || name == "[" + options.address + "]";
}

}  // namespace

std::optional<std::string> ForeignRequest(const ServerOptions& options, std::string_view host,
                                          std::string_view origin, bool writes) {
  if (options.token.empty() && !host.empty() && !IsLoopbackName(HostName(host), options))
    return fmt::format(
        "Host {} is not this server's: without --token-file only loopback names are served", host);
  if (!writes || origin.empty()) return std::nullopt;
  if (!options.cors_origin.empty() && origin == options.cors_origin) return std::nullopt;
  // The page's own origin (the server's pages post nothing, but a same-origin
  // fetch is no foreign request).
  for (std::string_view scheme : {"http://", "https://"})
    if (origin.starts_with(scheme) && origin.substr(scheme.size()) == host) return std::nullopt;
  return fmt::format("Origin {} may not write here (only this server's pages, or --cors)", origin);
}

}  // namespace extrace::server
