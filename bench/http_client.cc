// The benchmarks' HTTP client over POSIX sockets: see http_client.h.
#include "bench/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace extrace::bench {
namespace {

int ConnectLoopback(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  return fd;
}

// Writes every byte of the iovecs; throws when the peer went away.
void SendAll(int fd, iovec* parts, int count) {
  while (count > 0) {
    ssize_t n = writev(fd, parts, count);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("the server closed the connection while sending");
    auto left = static_cast<size_t>(n);
    while (count > 0 && left >= parts->iov_len) {
      left -= parts->iov_len;
      ++parts;
      --count;
    }
    if (count > 0) {
      parts->iov_base = static_cast<char*>(parts->iov_base) + left;
      parts->iov_len -= left;
    }
  }
}

// Appends what one recv gives; false at the end of the stream.
bool ReceiveInto(int fd, std::string& in) {
  char buffer[64 * 1024];
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("recv failed");
    in.append(buffer, static_cast<size_t>(n));
    return n > 0;
  }
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

struct Head {
  int status = 0;
  size_t content_length = 0;
  bool close = false;
};

// The status line and the headers this client needs.
Head ParseHead(std::string_view head) {
  Head h;
  if (!head.starts_with("HTTP/1.1 ") || head.size() < 12)
    throw std::runtime_error("not an HTTP/1.1 answer: " + std::string(head.substr(0, 80)));
  h.status = std::atoi(std::string(head.substr(9, 3)).c_str());
  size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at + 2 < head.size()) {
    size_t end = head.find("\r\n", at + 2);
    std::string_view line = head.substr(at + 2, end - at - 2);
    if (StartsWithNoCase(line, "content-length:"))
      h.content_length = std::strtoull(std::string(line.substr(15)).c_str(), nullptr, 10);
    else if (StartsWithNoCase(line, "connection:") && line.find("close") != std::string_view::npos)
      h.close = true;
    at = end;
  }
  return h;
}

}  // namespace

HttpConnection::HttpConnection(uint16_t port) : port_(port) { Connect(); }

HttpConnection::~HttpConnection() { Close(); }

void HttpConnection::Connect() {
  fd_ = ConnectLoopback(port_);
  in_.clear();
}

void HttpConnection::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool HttpConnection::Fill() { return ReceiveInto(fd_, in_); }

HttpResponse HttpConnection::Request(std::string_view method, std::string_view target,
                                     std::string_view body, std::string_view content_type) {
  if (fd_ < 0) Connect();
  head_.assign(method);
  head_ += ' ';
  head_ += target;
  head_ += " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (method == "POST") {
    head_ += "Content-Type: ";
    head_ += content_type;
    head_ += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  head_ += "\r\n";
  iovec parts[2] = {{head_.data(), head_.size()}, {const_cast<char*>(body.data()), body.size()}};
  SendAll(fd_, parts, body.empty() ? 1 : 2);

  size_t head_end;
  while ((head_end = in_.find("\r\n\r\n")) == std::string::npos)
    if (!Fill()) throw std::runtime_error("the server closed the connection before answering");
  const Head head = ParseHead(std::string_view(in_).substr(0, head_end + 2));
  const size_t body_start = head_end + 4;
  while (in_.size() < body_start + head.content_length)
    if (!Fill()) throw std::runtime_error("the server closed the connection inside an answer");
  HttpResponse response;
  response.status = head.status;
  response.body = in_.substr(body_start, head.content_length);
  in_.erase(0, body_start + head.content_length);
  if (head.close) Close();
  return response;
}

EventStreamReader::EventStreamReader(uint16_t port, std::string target)
    : port_(port), target_(std::move(target)) {}

EventStreamReader::~EventStreamReader() {
  if (fd_ >= 0) close(fd_);
}

int EventStreamReader::Open() {
  fd_ = ConnectLoopback(port_);
  std::string request =
      "GET " + target_ + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
  iovec part{request.data(), request.size()};
  SendAll(fd_, &part, 1);
  size_t head_end;
  while ((head_end = in_.find("\r\n\r\n")) == std::string::npos)
    if (!ReceiveInto(fd_, in_))
      throw std::runtime_error("the server closed the stream before answering");
  const Head head = ParseHead(std::string_view(in_).substr(0, head_end + 2));
  in_.erase(0, head_end + 4);
  return head.status;
}

void EventStreamReader::Abort() {
  if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);
}

bool EventStreamReader::ReadUntilEnd(
    const std::function<void(int64_t seq, TimePoint when)>& on_id) {
  bool ended = false;
  TimePoint when = std::chrono::steady_clock::now();
  for (;;) {
    size_t start = 0;
    for (size_t nl = in_.find('\n'); nl != std::string::npos; nl = in_.find('\n', start)) {
      std::string_view line(in_.data() + start, nl - start);
      if (line.starts_with("id: ")) on_id(std::strtoll(line.data() + 4, nullptr, 10), when);
      if (line == "event: end") ended = true;
      start = nl + 1;
    }
    in_.erase(0, start);
    if (!ReceiveInto(fd_, in_)) return ended;
    when = std::chrono::steady_clock::now();
  }
}

}  // namespace extrace::bench
