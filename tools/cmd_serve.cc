// `extrace serve`: reads the command's options into server/'s ServerOptions
// (the address, the token from its file, the limits) and runs the server
// until SIGTERM or SIGINT drains it.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include "server/server.h"
#include "tools/cli_support.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"

namespace extrace::cli {
namespace {

// HOST:PORT, [V6]:PORT or PORT alone (loopback).
bool ParseListen(const std::string& text, server::ServerOptions& options) {
  std::string host = "127.0.0.1";
  std::string port = text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find("]:");
    if (close == std::string::npos) return false;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (size_t colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    // An IPv6 address takes brackets: "::1" alone would read as host "::", port 1.
    if (host.find(':') != std::string::npos) return false;
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host.empty() || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos)
    return false;
  int number = std::stoi(port);
  if (number > 65535) return false;
  options.address = host;
  options.port = static_cast<uint16_t>(number);
  return true;
}

// The token is the file's first line without surrounding blanks. It travels in
// a header and a cookie, so it must be printable ASCII without the characters
// those forbid.
Result<std::string> ReadToken(const std::string& file) {
  std::ifstream in(file);
  if (!in)
    return MakeError(StatusCode::kIoError, fmt::format("--token-file {}: cannot read it", file));
  std::string token;
  std::getline(in, token);
  size_t begin = token.find_first_not_of(" \t\r");
  size_t end = token.find_last_not_of(" \t\r");
  token = begin == std::string::npos ? "" : token.substr(begin, end - begin + 1);
  if (token.size() < 16)
    return MakeError(
        StatusCode::kInvalidInput,
        fmt::format("--token-file {}: the token must be at least 16 characters", file));
  for (char c : token)
    if (c <= ' ' || c > '~' || c == ';' || c == ',' || c == '"' || c == '\\')
      return MakeError(StatusCode::kInvalidInput,
                       fmt::format("--token-file {}: the token may hold printable ASCII except "
                                   "blanks and ; , \" \\",
                                   file));
  return token;
}

}  // namespace

int Serve(const GlobalOptions& global, const ServeOptions& options) {
  server::ServerOptions server_options;
  server_options.db_path = global.db_path;
  if (!ParseListen(options.listen, server_options))
    return Usage("serve", fmt::format("--listen {}: expected HOST:PORT, [IPv6]:PORT or PORT (HOST "
                                      "an IP address or localhost)",
                                      options.listen));
  if (!options.token_file.empty()) {
    auto token = ReadToken(options.token_file);
    if (!token) return Fail("serve", token.error());
    server_options.token = std::move(*token);
  }
  // An origin is scheme://host[:port], nothing else: it goes into a header.
  static const std::regex kOrigin(
      R"(https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?)");
  if (!options.cors_origin.empty() && !std::regex_match(options.cors_origin, kOrigin))
    return Usage("serve", fmt::format("--cors {}: expected an origin, scheme://host[:port]",
                                      options.cors_origin));
  server_options.cors_origin = options.cors_origin;
  if (options.normal_durability) server_options.durability = Durability::kNormal;
  if (options.max_body_bytes == 0 || options.max_connections == 0 || options.max_streams == 0)
    return Usage("serve", "--max-body-bytes, --max-connections and --max-streams must be above 0");
  server_options.max_body_bytes = options.max_body_bytes;
  server_options.max_connections = options.max_connections;
  server_options.max_subscribers = options.max_streams;
  server_options.threads = options.threads;
  if (!(options.header_timeout_s > 0 && options.header_timeout_s <= 3600) ||
      !(options.body_timeout_s > 0 && options.body_timeout_s <= 3600) || options.busy_budget_ms < 0)
    return Usage("serve",
                 "--header-timeout and --body-timeout take seconds from above 0 to 3600, "
                 "--busy-budget-ms 0 or more");
  auto millis = [](double seconds) {
    return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  };
  server_options.header_timeout = millis(options.header_timeout_s);
  server_options.idle_timeout =
      std::max(server_options.idle_timeout, millis(options.header_timeout_s));
  server_options.body_timeout = millis(options.body_timeout_s);
  server_options.busy_budget_ms = options.busy_budget_ms;
  auto status = server::RunServer(server_options, [&](const std::string& address, uint16_t port) {
    bool v6 = address.find(':') != std::string::npos;
    // Standard output, first line: scripts and tests read the port from it.
    std::printf("extrace serve: listening on http://%s%s%s:%u/ (store %s)\n", v6 ? "[" : "",
                address.c_str(), v6 ? "]" : "", static_cast<unsigned>(port),
                EventStore::DisplayName(global.db_path).c_str());
    std::fflush(stdout);
  });
  if (!status) return Fail("serve", status.error());
  std::fprintf(stderr, "extrace serve: drained and stopped\n");
  return kExitOk;
}

}  // namespace extrace::cli
