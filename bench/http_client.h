// The benchmarks' small HTTP/1.1 client over POSIX sockets, for the server
// cases (bench/suite_serve.cc): a keep-alive connection that sends one request
// and reads its whole answer (Content-Length bodies, as `extrace serve`
// sends them), and an event-stream reader that reports each `id:` line with
// the time its bytes arrived. Loopback only (127.0.0.1). One object per
// thread; none is shared.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace extrace::bench {

struct HttpResponse {
  int status = 0;
  std::string body;
};

class HttpConnection {
 public:
  // Connects to 127.0.0.1:port (TCP_NODELAY); throws when it cannot.
  explicit HttpConnection(uint16_t port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends one request on the kept-alive connection and returns its answer;
  // reconnects first when the server closed the connection after the last
  // answer. Throws on a broken connection or a malformed answer.
  HttpResponse Request(std::string_view method, std::string_view target, std::string_view body = {},
                       std::string_view content_type = "application/x-ndjson");

 private:
  void Connect();
  void Close();
  // Reads more bytes into in_; false at the end of the stream.
  bool Fill();

  uint16_t port_;
  int fd_ = -1;
  std::string head_;  // the request line and headers, reused
  std::string in_;    // received bytes not consumed yet
};

// A subscriber of `GET target` (a `text/event-stream`): Open sends the
// request and reads the answer's headers; ReadUntilEnd then reads until the
// server closes the stream (after `event: end`).
class EventStreamReader {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  EventStreamReader(uint16_t port, std::string target);
  ~EventStreamReader();
  EventStreamReader(const EventStreamReader&) = delete;
  EventStreamReader& operator=(const EventStreamReader&) = delete;

  // The answer's status (200 for a stream).
  int Open();
  // Calls on_id(seq, when) for each `id:` line, `when` the time the read that
  // completed the line returned. Returns whether `event: end` came.
  bool ReadUntilEnd(const std::function<void(int64_t seq, TimePoint when)>& on_id);
  // Shuts the socket down, so that a ReadUntilEnd on another thread returns.
  void Abort();

 private:
  uint16_t port_;
  std::string target_;
  int fd_ = -1;
  std::string in_;
};

}  // namespace extrace::bench
