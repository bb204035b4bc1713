// The HTTP session: reads one request at a time on its connection, with a
// deadline for the headers and another for the body, refuses what is over the
// limits before reading it (431 for headers, 413 for a body), checks the
// token before the body, answers, and reads the next request (keep-alive)
// unless the server is draining. A POST /v1/events waits for the writer off
// the session's threads; an event stream takes the socket over.
#include <fmt/format.h>

#include "server/auth.h"
#include "server/request_guard.h"
#include "server/router.h"
#include "server/sessions.h"
#include "storage/event_store.h"

namespace extrace::server {
namespace {

// The page a browser gets with its 401: asks for the token and keeps it in a
// cookie (SameSite=Strict: other sites' pages cannot send it), which every
// later request, EventSource's too, then carries.
constexpr std::string_view kLoginPage = R"(<!doctype html>
<html><head><meta charset="utf-8"><title>extrace: token needed</title></head>
<body style="font-family:sans-serif;margin:3em">
<h1>extrace</h1><p>This server needs its access token.</p>
<form id="login"><input id="token" type="password" size="40" autofocus>
<button type="submit">Open</button></form>
<script>
document.getElementById('login').addEventListener('submit', function (e) {
  e.preventDefault();
  document.cookie = 'extrace_token=' + document.getElementById('token').value +
      '; path=/; SameSite=Strict';
  location.reload();
});
</script></body></html>
)";

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, ServerState& state, CounterSlot slot)
      : stream_(std::move(socket)), state_(state), connection_(std::move(slot)) {}

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

 private:
  const ServerOptions& options() const { return state_.options; }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(options().max_header_bytes));
    parser_->body_limit(options().max_body_bytes);
    stream_.expires_after(requests_ == 0 ? options().header_timeout : options().idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        (ec == beast::error::timeout && buffer_.size() == 0))
      return Close();
    in_flight_ = CounterSlot(state_.in_flight);
    ++requests_;
    // A Content-Length over the limit fails the header read already.
    if (ec == http::error::body_limit) return BodyTooLarge();
    if (ec == http::error::header_limit)
      return Send(ErrorReply(431, "headers_too_large",
                             fmt::format("the request's headers are over the limit of {} bytes",
                                         options().max_header_bytes)),
                  false);
    // A deadline passed: tcp_stream has closed the socket, nothing can be answered.
    if (ec == beast::error::timeout) return;
    if (ec) return Send(ErrorReply(400, "invalid_input", "malformed HTTP request"), false);
    const auto& header = parser_->get();
    bool writes = header.method() != http::verb::get && header.method() != http::verb::head &&
                  header.method() != http::verb::options;
    if (auto foreign = ForeignRequest(options(), header[http::field::host],
                                      header[http::field::origin], writes))
      return Send(ErrorReply(403, "forbidden", *foreign), false);
    // A preflight carries no credentials: answered before the token is asked for.
    if (header.method() == http::verb::options && !options().cors_origin.empty())
      return Send(Preflight(), false);
    if (!Authorized(options().token, header[http::field::authorization],
                    header[http::field::cookie])) {
      Reply reply = ErrorReply(401, "unauthorized", "missing or wrong bearer token");
      reply.headers.emplace_back("WWW-Authenticate", "Bearer");
      if (header[http::field::accept].find("text/html") != beast::string_view::npos) {
        reply.content_type = "text/html; charset=utf-8";
        reply.body = std::string(kLoginPage);
      }
      return Send(std::move(reply), false);
    }
    auto length = parser_->content_length();
    if (length && *length > options().max_body_bytes) return BodyTooLarge();
    // What this body may take while it is read, parsed and stored: its length,
    // or the limit for a chunked one.
    size_t reserve =
        length ? static_cast<size_t>(*length) : (parser_->chunked() ? options().max_body_bytes : 0);
    if (reserve > 0) {
      body_bytes_ = CounterSlot(state_.body_bytes, reserve);
      if (state_.body_bytes.load() > kBodyBudgetFactor * options().max_body_bytes)
        return Send(ErrorReply(503, "busy", "too many request bodies in flight: retry later"),
                    false);
    }
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      // The client waits for this before it sends the body (curl does, for large ones).
      continue_.emplace(http::status::continue_, 11);
      return http::async_write(stream_, *continue_,
                               [self = shared_from_this()](beast::error_code ec, size_t) {
                                 if (ec) return self->Close();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_after(options().body_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void BodyTooLarge() {
    Send(ErrorReply(413, "body_too_large",
                    fmt::format("the request body is over the limit of {} bytes",
                                options().max_body_bytes)),
         false);
  }

  void OnBody(beast::error_code ec) {
    if (ec == http::error::body_limit) return BodyTooLarge();
    if (ec == beast::error::timeout) return;  // closed by its deadline, as above
    if (ec) return Close();
    request_ = parser_->release();
    // Routing reads the store or parses the body: on the blocking pool, and
    // back on this connection's strand with what to do.
    net::post(state_.blocking, [self = shared_from_this()] {
      Request request{self->request_.method_string(), self->request_.target(),
                      self->request_.body(), self->request_["Last-Event-ID"]};
      auto action = std::make_shared<Action>(Route(request, self->state_));
      net::post(self->stream_.get_executor(),
                [self, action] { self->Dispatch(std::move(*action)); });
    });
  }

  void Dispatch(Action action) {
    if (auto* reply = std::get_if<Reply>(&action))
      return Send(std::move(*reply), request_.keep_alive());
    if (auto* ingest = std::get_if<IngestAction>(&action)) return Ingest(std::move(*ingest));
    auto& stream = std::get<StreamAction>(action);
    in_flight_.Release();  // a stream is not a request a drain waits for
    StartEventStream(std::move(stream_), state_, std::move(connection_), std::move(stream.slot),
                     std::move(stream.feed), CorsHeaderLines(), stream.gone_if_over);
  }

  void Ingest(IngestAction action) {
    auto body = std::make_shared<EventBody>(std::move(action.body));
    bool keep_alive = request_.keep_alive();
    if (body->events.empty() || state_.writer == nullptr)
      return Send(IngestReply(*body, IngestOutcome{}), keep_alive);
    std::vector<Event> events = std::move(body->events);
    // The events' lines stay in `body`, for the reply's line numbers.
    state_.writer->Submit(std::move(events),
                          [self = shared_from_this(), body, keep_alive](IngestOutcome outcome) {
                            net::post(self->stream_.get_executor(),
                                      [self, body, keep_alive, outcome = std::move(outcome)] {
                                        self->Send(IngestReply(*body, outcome), keep_alive);
                                      });
                          });
  }

  Reply Preflight() const {
    Reply reply;
    reply.status = 204;
    reply.content_type.clear();
    reply.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    reply.headers.emplace_back("Access-Control-Allow-Headers",
                               "Authorization, Content-Type, Last-Event-ID");
    reply.headers.emplace_back("Access-Control-Max-Age", "600");
    return reply;
  }

  std::string CorsHeaderLines() const {
    if (options().cors_origin.empty()) return "";
    return fmt::format("Access-Control-Allow-Origin: {}\r\nVary: Origin\r\n",
                       options().cors_origin);
  }

  // Where the store is is the server's business: error messages name its file
  // (or PostgreSQL database) only, never its folder, host or user.
  void WithoutStorePath(Reply& reply) const {
    const std::string path = EventStore::DisplayName(options().db_path);
    if (reply.status < 400 || path.empty()) return;
    std::string name = path.substr(0, path.find('?'));
    if (size_t slash = name.find_last_of('/'); slash != std::string::npos)
      name = name.substr(slash + 1);
    for (size_t at = reply.body.find(path); at != std::string::npos;
         at = reply.body.find(path, at + name.size()))
      reply.body.replace(at, path.size(), name);
  }

  void Send(Reply reply, bool keep_alive) {
    WithoutStorePath(reply);
    keep_alive = keep_alive && !state_.draining;
    response_.emplace();
    auto& res = *response_;
    res.version(11);
    res.result(static_cast<unsigned>(reply.status));
    if (!reply.content_type.empty()) res.set(http::field::content_type, reply.content_type);
    res.set("X-Content-Type-Options", "nosniff");
    if (reply.content_type.starts_with("text/html"))
      res.set("Content-Security-Policy", reply.status == 401
                                             ? "default-src 'none'; script-src 'unsafe-inline'"
                                             : "default-src 'self'; img-src 'self' data:");
    bool has_cache_control = false;
    for (auto& [name, value] : reply.headers) {
      res.set(name, value);
      has_cache_control = has_cache_control || name == "Cache-Control";
    }
    if (!has_cache_control) res.set(http::field::cache_control, "no-store");
    if (!options().cors_origin.empty()) {
      res.set(http::field::access_control_allow_origin, options().cors_origin);
      res.set(http::field::vary, "Origin");
    }
    bool head = request_.method() == http::verb::head;
    res.keep_alive(keep_alive);
    res.body() = std::move(reply.body);
    res.prepare_payload();
    if (head) res.body().clear();  // the length of what GET would send, no body
    keep_alive_ = keep_alive;
    stream_.expires_after(options().body_timeout);
    http::async_write(stream_, res, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnWritten(ec);
    });
  }

  void OnWritten(beast::error_code ec) {
    in_flight_.Release();
    body_bytes_.Release();
    response_.reset();
    request_ = {};
    if (ec || !keep_alive_) return Close();
    ReadHeader();
  }

  // A lingering close: the client may still be sending a body we refused;
  // closing at once would reset the connection before it read our answer.
  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(2));
    Discard();
  }

  void Discard() {
    discard_.resize(16 << 10);
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec || ++self->discarded_reads_ > 1024)
                                return self->stream_.close();
                              self->Discard();
                            });
  }

  beast::tcp_stream stream_;
  ServerState& state_;
  CounterSlot connection_;
  CounterSlot in_flight_;
  CounterSlot body_bytes_;
  std::optional<http::response<http::empty_body>> continue_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  std::optional<http::response<http::string_body>> response_;
  std::vector<char> discard_;
  int discarded_reads_ = 0;
  int64_t requests_ = 0;
  bool keep_alive_ = false;
};

}  // namespace

void StartHttpSession(tcp::socket socket, ServerState& state, CounterSlot slot) {
  std::make_shared<HttpSession>(std::move(socket), state, std::move(slot))->Start();
}

}  // namespace extrace::server
