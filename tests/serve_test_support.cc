// Helpers for the `extrace serve` tests: see serve_test_support.h.
#include "serve_test_support.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <regex>

namespace extrace::testing {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

}  // namespace

ServeProcess::ServeProcess(const std::string& db, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--db", db, "serve"};
  if (std::find(extra.begin(), extra.end(), "--listen") == extra.end())
    args.insert(args.end(), {"--listen", "127.0.0.1:0"});
  args.insert(args.end(), extra.begin(), extra.end());
  process_ = std::make_unique<ChildProcess>(EXTRACE_CLI, args);
  auto line = process_->ReadLine(std::chrono::seconds(30));
  INFO("serve's stderr: " << (line ? "" : process_->Err()));
  REQUIRE(line);
  std::smatch match;
  static const std::regex kListening(R"(listening on http://[^/]+:(\d+)/)");
  REQUIRE(std::regex_search(*line, match, kListening));
  port_ = static_cast<uint16_t>(std::stoi(match[1]));
}

struct HttpClient::Impl {
  explicit Impl(uint16_t port) : port(port) {}
  uint16_t port;
  net::io_context io;
  std::optional<tcp::socket> socket;
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(uint16_t port) : impl_(std::make_unique<Impl>(port)) {}
HttpClient::~HttpClient() = default;

HttpResponse HttpClient::Request(const std::string& method, const std::string& target,
                                 const std::string& body, const Headers& headers) {
  HttpResponse out;
  for (int attempt = 0; attempt < 2; ++attempt) {
    beast::error_code ec;
    if (!impl_->socket) {
      impl_->socket.emplace(impl_->io);
      impl_->socket->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), impl_->port), ec);
      impl_->buffer.clear();
      if (ec) {
        impl_->socket.reset();
        out.error = "connect: " + ec.message();
        return out;
      }
    }
    http::request<http::string_body> request(http::string_to_verb(method), target, 11);
    request.set(http::field::host, "127.0.0.1:" + std::to_string(impl_->port));
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    http::write(*impl_->socket, request, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ULL << 32);
    parser.skip(method == "HEAD");
    if (!ec) http::read(*impl_->socket, impl_->buffer, parser, ec);
    if (ec) {
      impl_->socket.reset();
      out.error = ec.message();
      // A keep-alive connection the server closed meanwhile: once more, fresh.
      if (attempt == 0 && (ec == http::error::end_of_stream || ec == net::error::connection_reset ||
                           ec == net::error::broken_pipe))
        continue;
      return out;
    }
    auto response = parser.release();
    out.status = static_cast<int>(response.result_int());
    out.body = std::move(response.body());
    for (const auto& field : response) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(field.value());
    }
    if (!response.keep_alive()) impl_->socket.reset();
    out.error.clear();
    return out;
  }
  return out;
}

HttpResponse Http(uint16_t port, const std::string& method, const std::string& target,
                  const std::string& body, const Headers& headers) {
  HttpClient client(port);
  return client.Request(method, target, body, headers);
}

RawConnection::RawConnection(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd_ >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::Send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

const std::string& RawConnection::ReadUntil(const std::string& text,
                                            std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!closed_ && received_.find(text) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[16384];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      closed_ = true;
      break;
    }
    received_.append(buffer, static_cast<size_t>(n));
  }
  return received_;
}

bool RawConnection::ClosedWithin(std::chrono::milliseconds timeout) {
  // Nothing can match this: reads until the close or the deadline.
  ReadUntil(std::string(1, '\0') + "never", timeout);
  return closed_;
}

SseReader::SseReader(uint16_t port, const std::string& target, const std::string& last_event_id)
    : connection_(port) {
  std::string request =
      fmt::format("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n", target);
  if (!last_event_id.empty()) request += "Last-Event-ID: " + last_event_id + "\r\n";
  connection_.Send(request + "\r\n");
}

int SseReader::status(std::chrono::milliseconds timeout) {
  if (status_ != 0) return status_;
  const std::string& text = connection_.ReadUntil("\r\n\r\n", timeout);
  size_t end = text.find("\r\n\r\n");
  if (end == std::string::npos || text.size() < 12) return 0;
  status_ = std::stoi(text.substr(9, 3));
  body_start_ = end + 4;
  parsed_ = body_start_;
  return status_;
}

std::optional<SseMessage> SseReader::Next(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  if (status(timeout) == 0) return std::nullopt;
  for (;;) {
    const std::string& text = connection_.received();
    size_t end = text.find("\n\n", parsed_);
    if (end != std::string::npos) {
      std::string block = text.substr(parsed_, end - parsed_);
      parsed_ = end + 2;
      SseMessage message;
      bool any = false;
      size_t at = 0;
      while (at <= block.size()) {
        size_t eol = block.find('\n', at);
        std::string line =
            block.substr(at, eol == std::string::npos ? std::string::npos : eol - at);
        at = eol == std::string::npos ? block.size() + 1 : eol + 1;
        if (line.empty() || line[0] == ':') continue;
        size_t colon = line.find(": ");
        std::string field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 2);
        if (field == "id") message.id = value;
        if (field == "event") message.event = value;
        if (field == "data") message.data += value;
        any = true;
      }
      if (any) return message;
      continue;  // a comment (keep-alive)
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    size_t before = text.size();
    connection_.ReadUntil("\n\n" + std::string(1, '\0'),
                          std::min(left, std::chrono::milliseconds(50)));
    if (connection_.received().size() == before &&
        connection_.ClosedWithin(std::chrono::milliseconds(0))) {
      ended_ = true;
      return std::nullopt;
    }
  }
}

std::vector<std::string> RunLines(const std::string& execution_id, const std::string& flow,
                                  int nodes, int64_t start_ms) {
  std::vector<std::string> lines;
  int64_t seq = 0;
  int64_t ts = start_ms;
  std::string declared = fmt::format(R"({{"id":"{}","name":"{}","type":"group"}})", flow, flow);
  for (int i = 1; i <= nodes; ++i)
    declared += fmt::format(R"(,{{"id":"n{}","name":"node {}","type":"task","parentId":"{}"}})", i,
                            i, flow);
  lines.push_back(fmt::format(
      R"({{"executionId":"{}","seq":{},"timestamp":{},"type":"started","data":{{"rootNodeId":"{}","nodes":[{}]}}}})",
      execution_id, ++seq, ts, flow, declared));
  for (int i = 1; i <= nodes; ++i) {
    for (const char* state : {"executing", "completed"})
      lines.push_back(fmt::format(
          R"({{"executionId":"{}","seq":{},"timestamp":{},"type":"state-change","nodeId":"n{}","data":{{"state":"{}"}}}})",
          execution_id, ++seq, ts += 3, i, state));
  }
  lines.push_back(fmt::format(
      R"({{"executionId":"{}","seq":{},"timestamp":{},"type":"completed","data":{{}}}})",
      execution_id, ++seq, ts += 1));
  return lines;
}

std::string JoinLines(const std::vector<std::string>& lines, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end && i < lines.size(); ++i) out += lines[i] + "\n";
  return out;
}

int64_t StoredEvents(const std::string& db, const std::string& execution_id) {
  auto result =
      RunCli({"--db", db, "query",
              fmt::format("SELECT count(*) FROM events WHERE execution_id = '{}'", execution_id)});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  auto digits = result.out.find_first_of("0123456789");
  REQUIRE(digits != std::string::npos);
  return std::stoll(result.out.substr(digits));
}

}  // namespace extrace::testing
