// What `extrace serve` is told on its command line: where it listens, which
// store it serves, and the limits that keep one client from hurting the others.
// Every default is the safe one (loopback, no CORS, bounded everything).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "extrace/durability.h"

namespace extrace::server {

struct ServerOptions {
  // Address and port; port 0 picks a free one (reported through on_listening).
  // Default: 127.0.0.1:7117. Any address but a loopback one needs `token`.
  std::string address = "127.0.0.1";
  uint16_t port = 7117;
  std::string db_path = "./extrace.db";
  Durability durability = Durability::kFull;
  // Bearer token every request must carry (Authorization: Bearer, or the
  // `extrace_token` cookie the browser pages set); empty: none required.
  std::string token;
  // Origin allowed by CORS; empty: no CORS headers at all.
  std::string cors_origin;
  // Request limits. A body over max_body_bytes is refused with 413 before it is read.
  size_t max_body_bytes = size_t{64} << 20;
  size_t max_header_bytes = 16 << 10;
  std::chrono::milliseconds header_timeout{10'000};  // for the request line and headers
  std::chrono::milliseconds body_timeout{60'000};    // for the whole body, after the headers
  std::chrono::milliseconds idle_timeout{30'000};    // keep-alive wait for the next request
  size_t max_connections = 256;                      // beyond: 503 and close
  size_t max_subscribers = 64;                       // open event streams; beyond: 503
  // How long a write keeps retrying a store another process holds before its
  // requests are answered 503 with Retry-After.
  int busy_budget_ms = 10'000;
  // Threads serving requests (reads of the store run on them); 0: 4.
  unsigned threads = 0;
  // How long SIGTERM waits for in-flight requests before it gives up on them.
  std::chrono::milliseconds drain_timeout{30'000};
};

// Called once the server listens, with the port it got (before any request is served).
using ListeningCallback = std::function<void(const std::string& address, uint16_t port)>;

}  // namespace extrace::server
