// RunServer: see server.h. The io_context's threads run every connection (a
// strand each); the writer has its own thread; signals start the drain.
#include "server/server.h"

#include <fmt/format.h>

#include <csignal>
#include <thread>
#include <vector>

#include "server/reply.h"
#include "server/sessions.h"

namespace extrace::server {
namespace {

constexpr unsigned kDefaultThreads = 4;
constexpr unsigned kIoThreads = 2;
constexpr auto kDrainPoll = std::chrono::milliseconds(20);

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& io, tcp::acceptor& acceptor, ServerState& state)
      : io_(io), acceptor_(acceptor), state_(state) {}

  void Accept() {
    acceptor_.async_accept(net::make_strand(io_),
                           [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                             self->OnAccept(ec, std::move(socket));
                           });
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      if (state_.connections.load() >= state_.options.max_connections)
        RefuseOverCap(std::move(socket));
      else
        StartHttpSession(std::move(socket), state_, CounterSlot(state_.connections));
    }
    Accept();
  }

  // Over the connection cap: a short 503 and close, without reading the request.
  void RefuseOverCap(tcp::socket socket) {
    auto held = std::make_shared<tcp::socket>(std::move(socket));
    static const std::string kReply = [] {
      std::string body =
          ErrorReply(503, "busy", "too many connections: the server is at its limit, retry later")
              .body;
      return fmt::format(
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
          "Retry-After: 1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
          body.size(), body);
    }();
    net::async_write(*held, net::buffer(kReply), [held](beast::error_code, size_t) {
      beast::error_code ignored;
      held->shutdown(tcp::socket::shutdown_both, ignored);
      held->close(ignored);
    });
  }

  net::io_context& io_;
  tcp::acceptor& acceptor_;
  ServerState& state_;
};

bool IsLoopback(const net::ip::address& address) { return address.is_loopback(); }

// Stops accepting, lets the requests in flight finish (up to the drain
// timeout), ends the streams, then stops the threads.
class Drain : public std::enable_shared_from_this<Drain> {
 public:
  Drain(net::io_context& io, tcp::acceptor& acceptor, ServerState& state)
      : io_(io),
        acceptor_(acceptor),
        state_(state),
        timer_(io),
        deadline_(std::chrono::steady_clock::now() + state.options.drain_timeout) {}

  void Start() {
    state_.draining = true;
    beast::error_code ignored;
    acceptor_.close(ignored);
    state_.subscribers.WakeAll();
    Check();
  }

 private:
  void Check() {
    if (state_.in_flight.load() == 0 || std::chrono::steady_clock::now() >= deadline_) {
      io_.stop();
      return;
    }
    timer_.expires_after(kDrainPoll);
    timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Check(); });
  }

  net::io_context& io_;
  tcp::acceptor& acceptor_;
  ServerState& state_;
  net::steady_timer timer_;
  const std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

Status RunServer(const ServerOptions& options, const ListeningCallback& on_listening) {
  try {
    beast::error_code ec;
    auto address = net::ip::make_address(options.address, ec);
    if (ec)
      return MakeError(StatusCode::kInvalidInput,
                       fmt::format("--listen {}: not an IP address", options.address));
    if (!IsLoopback(address) && options.token.empty())
      return MakeError(StatusCode::kInvalidInput,
                       fmt::format("--listen {}: an address other than loopback needs "
                                   "--token-file (every request must then carry the token)",
                                   options.address));
    StoreOptions store_options;
    store_options.durability = options.durability;
    // A busy store answers 503 with Retry-After within seconds, not a minute.
    store_options.busy_retry_budget_ms = options.busy_budget_ms;
    auto store = EventStore::Open(options.db_path, store_options);
    if (!store) return tl::unexpected(store.error());

    unsigned workers = options.threads == 0 ? kDefaultThreads : options.threads;
    ServerState state(options, options.db_path, workers);
    auto writer = std::make_unique<IngestWriter>(std::move(*store),
                                                 [&state] { state.subscribers.WakeAll(); });
    state.writer = writer.get();

    // The connections' I/O only: reads of the store and parsing run on `workers`.
    unsigned threads = kIoThreads;
    net::io_context io(static_cast<int>(threads));
    tcp::acceptor acceptor(io);
    tcp::endpoint endpoint(address, options.port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      return MakeError(
          StatusCode::kIoError,
          fmt::format("cannot listen on {}:{}: {}", options.address, options.port, ec.message()));
    net::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](beast::error_code error, int) {
      if (!error) std::make_shared<Drain>(io, acceptor, state)->Start();
    });
    std::make_shared<Listener>(io, acceptor, state)->Accept();
    // A request waiting for the writer has no I/O pending: without this the
    // threads could run out of work and return; only the drain stops them.
    auto keep_running = net::make_work_guard(io);
    if (on_listening) on_listening(options.address, acceptor.local_endpoint().port());

    std::vector<std::jthread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
    io.run();
    pool.clear();  // joins
    // Whatever is still queued (a drain that timed out) is committed; its
    // answers go to the stopped io_context, which drops them.
    state.writer = nullptr;
    writer.reset();
    return {};
  } catch (const std::exception& e) {
    return MakeError(StatusCode::kInternal, fmt::format("serve: {}", e.what()));
  }
}

}  // namespace extrace::server
