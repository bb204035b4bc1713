// Many producers over HTTP into one store, with the CLI's `ingest` writing at
// the same time, and the server killed (SIGKILL) at random moments: every
// event whose request got a 2xx is in the store, exactly once. SIGTERM drains.
#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "serve_test_support.h"
#include "storage/event_store.h"

namespace extrace {
namespace {

using namespace testing;
using namespace std::chrono_literals;

// Event `seq` of producer run `run`: `started` first, then progress of node n1.
std::string ProducerLine(const std::string& run, int64_t seq) {
  if (seq == 1)
    return fmt::format(
        R"({{"executionId":"{}","seq":1,"timestamp":1764000000000,"type":"started","data":{{"rootNodeId":"root","nodes":[{{"id":"root","name":"root","type":"group"}},{{"id":"n1","name":"n1","type":"task","parentId":"root"}}]}}}})",
        run);
  return fmt::format(
      R"({{"executionId":"{}","seq":{},"timestamp":{},"type":"progress","nodeId":"n1","data":{{"progress":{}}}}})",
      run, seq, 1'764'000'000'000 + seq, seq % 100);
}

std::string ProducerBatch(const std::string& run, int64_t first_seq, int64_t count) {
  std::string body;
  for (int64_t seq = first_seq; seq < first_seq + count; ++seq)
    body += ProducerLine(run, seq) + "\n";
  return body;
}

struct RunCount {
  int64_t events = 0;
  int64_t distinct_seqs = 0;
  int64_t max_seq = 0;
};

std::map<std::string, RunCount> CountsByRun(const std::string& db) {
  auto result =
      RunCli({"--db", db, "query", "--json",
              "SELECT execution_id, count(*) AS n, count(DISTINCT seq) AS d, max(seq) AS m "
              "FROM events GROUP BY execution_id"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  std::map<std::string, RunCount> counts;
  auto doc = boost::json::parse(result.out);
  const auto& rows = doc.is_object() ? doc.at("rows").as_array() : doc.as_array();
  for (const auto& row : rows) {
    const auto& r = row.as_object();
    counts[std::string(r.at("execution_id").as_string())] = {r.at("n").to_number<int64_t>(),
                                                             r.at("d").to_number<int64_t>(),
                                                             r.at("m").to_number<int64_t>()};
  }
  return counts;
}

}  // namespace

TEST_CASE("8 producers x 50,000 events over HTTP and a CLI ingest: each event stored once") {
  TempDir dir;
  std::string db = dir.Store("many.db");
  ServeProcess server(db);
  uint16_t port = server.port();
  constexpr int kProducers = 8;
  constexpr int64_t kEvents = 50'000;
  constexpr int64_t kBatch = 500;

  std::string cli_file = dir.File("cli.jsonl");
  WriteFile(cli_file, ProducerBatch("cli-run", 1, kEvents));
  std::atomic<int> errors{0};
  std::atomic<int64_t> acknowledged{0};
  std::mutex first_error_mutex;  // Catch2's assertions belong to the main thread
  std::string first_error;
  std::vector<std::jthread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      HttpClient client(port);
      std::string run = fmt::format("producer-{}", p);
      for (int64_t first = 1; first <= kEvents; first += kBatch) {
        auto response = client.Request("POST", "/v1/events", ProducerBatch(run, first, kBatch),
                                       {{"Content-Type", "application/x-ndjson"}});
        if (response.status != 200 ||
            response.body != fmt::format(R"({{"stored":{},"duplicates":0}})", kBatch)) {
          if (++errors == 1) {
            std::lock_guard lock(first_error_mutex);
            first_error = fmt::format("{} {}{}", response.status, response.body, response.error);
          }
          return;
        }
        acknowledged += kBatch;
      }
    });
  }
  auto ninth = RunCli({"--db", db, "ingest", cli_file});
  producers.clear();  // joins
  INFO(ninth.err);
  CHECK(ninth.exit_code == 0);
  INFO(first_error);
  REQUIRE(errors == 0);
  CHECK(acknowledged == kProducers * kEvents);

  auto counts = CountsByRun(db);
  REQUIRE(counts.size() == kProducers + 1);
  for (const auto& [run, count] : counts) {
    INFO(run);
    CHECK(count.events == kEvents);
    CHECK(count.distinct_seqs == kEvents);
    CHECK(count.max_seq == kEvents);
  }
  // Group commit: the writer merged requests that arrived together.
  auto health = boost::json::parse(Http(port, "GET", "/v1/health").body).as_object();
  const auto& ingest = health.at("ingest").as_object();
  CHECK(ingest.at("requests").as_int64() == kProducers * kEvents / kBatch);
  CHECK(ingest.at("commits").as_int64() < ingest.at("requests").as_int64());
}

TEST_CASE("SIGKILL of the server at random moments loses no acknowledged event") {
  TempDir dir;
  std::string db = dir.Store("killed.db");
  constexpr int kProducers = 4;
  constexpr int64_t kBatch = 100;
  constexpr int kKills = 50;
  std::mt19937 random(20261207);
  std::vector<int64_t> acked(kProducers, 0);  // per producer: its seqs 1..acked are acknowledged
  for (int kill = 0; kill < kKills; ++kill) {
    ServeProcess server(db);
    uint16_t port = server.port();
    std::atomic<bool> stop{false};
    std::vector<std::jthread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&, p] {
        HttpClient client(port);
        std::string run = fmt::format("killed-{}", p);
        while (!stop) {
          auto response =
              client.Request("POST", "/v1/events", ProducerBatch(run, acked[p] + 1, kBatch));
          if (response.status != 200) return;  // the server died: not acknowledged
          acked[p] += kBatch;
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 150 + 10));
    server.process().Kill(SIGKILL);
    server.process().Wait();
    stop = true;
    producers.clear();
    auto counts = CountsByRun(db);
    for (int p = 0; p < kProducers; ++p) {
      INFO("kill " << kill << ", producer " << p);
      const RunCount& count = counts[fmt::format("killed-{}", p)];
      // Everything acknowledged is there; a batch whose answer the kill cut
      // off may be there too (it is resent next round, as a duplicate).
      CHECK(count.max_seq >= acked[p]);
      CHECK(count.events == count.max_seq);
      CHECK(count.distinct_seqs == count.events);
    }
  }
  for (int64_t a : acked) CHECK(a > 0);
  // The store's own check (SQLite's integrity_check; PostgreSQL's invariants).
  StoreOptions reader;
  reader.read_only = true;
  auto store = EventStore::Open(db, reader);
  REQUIRE(store);
  auto integrity = (*store)->IntegrityCheck();
  REQUIRE(integrity);
  CHECK(*integrity == "ok");
}

TEST_CASE("SIGTERM drains: the request in flight is answered and stored, then exit 0") {
  TempDir dir;
  std::string db = dir.Store("drain.db");
  ServeProcess server(db);
  uint16_t port = server.port();
  std::string body = ProducerBatch("drained", 1, 50);
  RawConnection in_flight(port);
  in_flight.Send(
      fmt::format("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n",
                  body.size()) +
      body.substr(0, 100));
  SseReader stream(port, "/v1/stream");
  REQUIRE(stream.status(10s) == 200);
  std::this_thread::sleep_for(100ms);  // the headers are read: the request is in flight
  server.process().Kill(SIGTERM);
  std::this_thread::sleep_for(100ms);
  in_flight.Send(body.substr(100));
  const std::string& answer = in_flight.ReadUntil("}", 10s);
  INFO(answer);
  INFO(server.process().Err());
  CHECK(answer.starts_with("HTTP/1.1 200"));
  CHECK(answer.find(R"({"stored":50,"duplicates":0})") != std::string::npos);
  CHECK(server.process().Wait() == 0);
  CHECK(!stream.Next(5s));  // the stream was ended
  CHECK(CountsByRun(db)["drained"].events == 50);
}

}  // namespace extrace
