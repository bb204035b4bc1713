// Helpers for the `extrace serve` tests: a real server process on an ephemeral
// loopback port, a small HTTP/1.1 client (Boost.Beast, keep-alive), a raw
// socket for hostile clients and event streams, and event lines to post.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "test_support.h"

namespace extrace::testing {

// `extrace serve --listen 127.0.0.1:0 --db DB EXTRA...`, started and waited for
// until it listens. The destructor kills it (SIGKILL) if it still runs.
class ServeProcess {
 public:
  ServeProcess(const std::string& db, const std::vector<std::string>& extra = {});
  uint16_t port() const { return port_; }
  ChildProcess& process() { return *process_; }

 private:
  std::unique_ptr<ChildProcess> process_;
  uint16_t port_ = 0;
};

struct HttpResponse {
  int status = 0;  // 0: no response (the connection failed or closed)
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string error;                           // why status is 0
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// One keep-alive connection; reconnects when the server closed it.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  HttpResponse Request(const std::string& method, const std::string& target,
                       const std::string& body = "", const Headers& headers = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection.
HttpResponse Http(uint16_t port, const std::string& method, const std::string& target,
                  const std::string& body = "", const Headers& headers = {});

// A plain TCP connection for what a well-behaved client would not send.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  // False once the peer closed or reset the connection.
  bool Send(const std::string& bytes);
  // Reads until `text` appears in everything read so far, the peer closes, or
  // the timeout passes; returns everything read so far.
  const std::string& ReadUntil(const std::string& text, std::chrono::milliseconds timeout);
  // True when the peer closed the connection within the timeout.
  bool ClosedWithin(std::chrono::milliseconds timeout);
  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  bool closed_ = false;
  std::string received_;
};

// One Server-Sent Events message.
struct SseMessage {
  std::string id;     // empty: none
  std::string event;  // empty: the default type
  std::string data;
};

// GET an event stream and parse its messages as they come.
class SseReader {
 public:
  SseReader(uint16_t port, const std::string& target, const std::string& last_event_id = "");
  // The status line's code once the header arrived (0 until then or on failure).
  int status(std::chrono::milliseconds timeout);
  // The next message; nullopt once the stream ended or the timeout passed.
  std::optional<SseMessage> Next(std::chrono::milliseconds timeout);
  bool ended() const { return ended_; }

 private:
  RawConnection connection_;
  size_t parsed_ = 0;  // bytes of the body turned into messages
  size_t body_start_ = std::string::npos;
  int status_ = 0;
  bool ended_ = false;
};

// Event lines of one run of flow `flow`: started with `nodes` nodes
// (n1..nN under root `flow`), each executing then completed, then completed.
// `first_seq` numbers them from there; ts from `start_ms`.
std::vector<std::string> RunLines(const std::string& execution_id, const std::string& flow,
                                  int nodes, int64_t start_ms = 1'764'000'000'000);
std::string JoinLines(const std::vector<std::string>& lines, size_t begin, size_t end);

// The store's event count of a run, through the CLI (`extrace query`).
int64_t StoredEvents(const std::string& db, const std::string& execution_id);

}  // namespace extrace::testing
