// The event stream session: after its response header, writes what its feed
// reads from the store, each time a commit of this server wakes it or, for
// writers in other processes, every 250 ms; a comment line every 15 s shows a
// proxy the stream is alive. It ends with the feed, when the client goes
// (a readable socket: the client closed its side), or when the server drains.
#include <chrono>

#include "server/sessions.h"

namespace extrace::server {
namespace {

using std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(250);
constexpr auto kHeartbeatInterval = std::chrono::seconds(15);
// A client that reads nothing for this long loses its stream (and its slot).
constexpr auto kWriteDeadline = std::chrono::seconds(30);

class EventStreamSession final : public Subscriber,
                                 public std::enable_shared_from_this<EventStreamSession> {
 public:
  EventStreamSession(beast::tcp_stream stream, ServerState& state, CounterSlot connection,
                     CounterSlot stream_slot, std::unique_ptr<StreamFeed> feed,
                     std::string cors_headers, bool gone_if_over)
      : stream_(std::move(stream)),
        timer_(stream_.get_executor()),
        state_(state),
        connection_(std::move(connection)),
        stream_slot_(std::move(stream_slot)),
        feed_(std::move(feed)),
        cors_headers_(std::move(cors_headers)),
        gone_if_over_(gone_if_over) {}

  void Start() {
    stream_.expires_never();
    state_.subscribers.Add(weak_from_this());
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Begin(); });
  }

  void Wake() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->wake_ = true;
      self->timer_.cancel();
    });
  }

 private:
  // The feed's new messages, read on the blocking pool (one poll at a time:
  // the next is asked for only once this one's messages are written), then
  // `then` on the stream's strand.
  template <typename Then>
  void PollThen(Then then) {
    net::post(state_.blocking, [self = shared_from_this(), then] {
      auto messages = std::make_shared<std::string>();
      auto over = std::make_shared<Result<FeedPoll>>(self->Poll(*messages));
      net::post(self->stream_.get_executor(),
                [self, then, messages, over] { (self.get()->*then)(std::move(*messages), *over); });
    });
  }

  void Begin() { PollThen(&EventStreamSession::Answer); }

  void Answer(const std::string& messages, const Result<FeedPoll>& over) {
    if (!over) return Close();
    if (gone_if_over_ && over->over && over->events == 0) {
      out_ = "HTTP/1.1 204 No Content\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n" +
             cors_headers_ + "\r\n";
      over_ = true;
    } else {
      out_ =
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
          "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\nX-Content-Type-Options: nosniff\r\n"
          "Connection: close\r\n" +
          cors_headers_ + "\r\n" + messages;
      over_ = over->over;
    }
    wake_ = over->more;
    // The client sends nothing more: its socket turning readable means it closed.
    stream_.socket().async_wait(tcp::socket::wait_read,
                                [self = shared_from_this()](beast::error_code) { self->Close(); });
    Write();
  }

  // The feed's new messages, read through a borrowed connection.
  Result<FeedPoll> Poll(std::string& out) {
    auto store = state_.pool.Borrow();
    if (!store) return tl::unexpected(store.error());
    return feed_->Poll(**store, out);
  }

  void Write() {
    last_write_ = steady_clock::now();
    stream_.expires_after(kWriteDeadline);
    net::async_write(stream_, net::buffer(out_),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->stream_.expires_never();  // the deadline is for writes only
                       self->out_.clear();
                       if (self->over_) return self->Close();
                       self->Wait();
                     });
  }

  void Wait() {
    if (closed_) return;
    if (state_.draining) return Close();
    if (wake_) return Next();
    timer_.expires_after(kPollInterval);
    timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Next(); });
  }

  void Next() {
    if (closed_) return;
    wake_ = false;
    PollThen(&EventStreamSession::Polled);
  }

  void Polled(std::string messages, const Result<FeedPoll>& over) {
    if (closed_) return;
    if (!over) return Close();
    out_ = std::move(messages);
    over_ = over->over;
    wake_ = wake_ || over->more;
    if (out_.empty() && steady_clock::now() - last_write_ >= kHeartbeatInterval)
      out_ = ": keep-alive\n\n";
    if (out_.empty()) return Wait();
    Write();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  net::steady_timer timer_;
  ServerState& state_;
  CounterSlot connection_;
  CounterSlot stream_slot_;
  std::unique_ptr<StreamFeed> feed_;
  const std::string cors_headers_;
  const bool gone_if_over_;
  std::string out_;
  steady_clock::time_point last_write_;
  bool wake_ = false;
  bool over_ = false;
  bool closed_ = false;
};

}  // namespace

void StartEventStream(beast::tcp_stream stream, ServerState& state, CounterSlot connection,
                      CounterSlot stream_slot, std::unique_ptr<StreamFeed> feed,
                      std::string cors_headers, bool gone_if_over) {
  std::make_shared<EventStreamSession>(std::move(stream), state, std::move(connection),
                                       std::move(stream_slot), std::move(feed),
                                       std::move(cors_headers), gone_if_over)
      ->Start();
}

}  // namespace extrace::server
