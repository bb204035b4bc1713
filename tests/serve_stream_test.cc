// The event streams of `extrace serve` (Server-Sent Events) against a real
// server: a subscriber that comes before, during or after a run's events sees
// every seq once and in order, a reconnect with Last-Event-ID resumes without
// a gap, child runs are announced, the stream ends with the run, and
// /v1/stream announces new runs.
#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <thread>

#include "serve_test_support.h"

namespace extrace {
namespace {

using namespace testing;
using namespace std::chrono_literals;

// Every message until the stream ends: the seqs of the events, in order.
struct Seen {
  std::vector<int64_t> seqs;
  std::vector<std::string> children;
  std::string end_status;
};

Seen ReadToEnd(SseReader& reader) {
  Seen seen;
  while (auto message = reader.Next(20s)) {
    if (message->event.empty()) {
      auto event = boost::json::parse(message->data).as_object();
      REQUIRE(message->id == std::to_string(event.at("seq").as_int64()));
      seen.seqs.push_back(event.at("seq").as_int64());
    } else if (message->event == "child-run") {
      seen.children.push_back(
          std::string(boost::json::parse(message->data).at("executionId").as_string()));
    } else if (message->event == "end") {
      seen.end_status = std::string(boost::json::parse(message->data).at("status").as_string());
    }
  }
  return seen;
}

std::vector<int64_t> OneTo(int64_t n) {
  std::vector<int64_t> seqs;
  for (int64_t i = 1; i <= n; ++i) seqs.push_back(i);
  return seqs;
}

}  // namespace

TEST_CASE("a run's event stream: before, during and after, each seq once, then the end") {
  TempDir dir;
  ServeProcess server(dir.Store("stream.db"));
  uint16_t port = server.port();
  auto lines = RunLines("run-live", "flow-f", 10);
  const auto total = static_cast<int64_t>(lines.size());

  SseReader before(port, "/v1/runs/run-live/stream");
  REQUIRE(before.status(10s) == 200);
  for (size_t i = 0; i < lines.size() / 2; ++i)
    REQUIRE(Http(port, "POST", "/v1/events", lines[i] + "\n").status == 200);
  SseReader during(port, "/v1/runs/run-live/stream");
  REQUIRE(during.status(10s) == 200);
  // A child run of node n1 starts while the parent runs.
  std::string child_started =
      R"({"executionId":"run-child","seq":1,"timestamp":1764000000100,"type":"started","data":{"rootNodeId":"c","parentExecutionId":"run-live","parentNodeId":"n1","nodes":[{"id":"c","name":"c","type":"t"}]}})";
  REQUIRE(Http(port, "POST", "/v1/events", child_started + "\n").status == 200);
  for (size_t i = lines.size() / 2; i < lines.size(); ++i)
    REQUIRE(Http(port, "POST", "/v1/events", lines[i] + "\n").status == 200);
  SseReader after(port, "/v1/runs/run-live/stream");

  for (SseReader* reader : {&before, &during, &after}) {
    Seen seen = ReadToEnd(*reader);
    CHECK(seen.seqs == OneTo(total));
    CHECK(seen.children == std::vector<std::string>{"run-child"});
    CHECK(seen.end_status == "completed");
    CHECK(reader->ended());
  }

  SECTION("Last-Event-ID resumes after that seq") {
    SseReader resumed(port, "/v1/runs/run-live/stream", "7");
    Seen seen = ReadToEnd(resumed);
    std::vector<int64_t> rest;
    for (int64_t i = 8; i <= total; ++i) rest.push_back(i);
    CHECK(seen.seqs == rest);
  }
  SECTION("a reconnect after the end gets 204, so EventSource stops reconnecting") {
    SseReader over(port, "/v1/runs/run-live/stream", std::to_string(total));
    CHECK(over.status(10s) == 204);
  }
  SECTION("latest and prefixes resolve; a missing latest is 404") {
    SseReader prefix(port, "/v1/runs/run-li/stream");
    CHECK(ReadToEnd(prefix).seqs == OneTo(total));
    TempDir other;
    ServeProcess empty(other.Store("empty.db"));
    auto missing = Http(empty.port(), "GET", "/v1/runs/latest/stream");
    CHECK(missing.status == 404);
  }
}

TEST_CASE("a subscriber that reconnects mid-run with Last-Event-ID misses nothing") {
  TempDir dir;
  ServeProcess server(dir.Store("resume.db"));
  uint16_t port = server.port();
  auto lines = RunLines("run-r", "flow-f", 30);
  std::vector<int64_t> seen;
  std::atomic<int> refused{0};  // Catch2's assertions belong to the main thread
  std::jthread producer([&] {
    for (const auto& line : lines) {
      if (Http(port, "POST", "/v1/events", line + "\n").status != 200) ++refused;
      std::this_thread::sleep_for(2ms);
    }
  });
  std::string last_id;
  for (int connection = 0; connection < 50; ++connection) {
    SseReader reader(port, "/v1/runs/run-r/stream", last_id);
    if (reader.status(10s) == 204) break;
    // Reads a few messages, then drops the connection, as a flaky network would.
    for (int i = 0; i < 4; ++i) {
      auto message = reader.Next(10s);
      if (!message) break;
      if (!message->event.empty()) continue;
      seen.push_back(std::stoll(message->id));
      last_id = message->id;
    }
    if (reader.ended()) break;
  }
  producer.join();
  CHECK(refused == 0);
  CHECK(seen == OneTo(static_cast<int64_t>(lines.size())));
}

TEST_CASE("/v1/stream announces the runs that begin after it") {
  TempDir dir;
  ServeProcess server(dir.Store("runs.db"));
  uint16_t port = server.port();
  REQUIRE(Http(port, "POST", "/v1/events", JoinLines(RunLines("old", "flow-f", 1), 0, 9)).status ==
          200);
  SseReader all(port, "/v1/stream");
  SseReader flow_g(port, "/v1/stream?flow=flow-g");
  REQUIRE(all.status(10s) == 200);
  REQUIRE(flow_g.status(10s) == 200);
  REQUIRE(Http(port, "POST", "/v1/events", RunLines("new-f", "flow-f", 1)[0] + "\n").status == 200);
  REQUIRE(Http(port, "POST", "/v1/events", RunLines("new-g", "flow-g", 1)[0] + "\n").status == 200);
  std::vector<std::string> announced;
  while (announced.size() < 2) {
    auto message = all.Next(10s);
    REQUIRE(message);
    CHECK(message->event == "run");
    announced.push_back(
        std::string(boost::json::parse(message->data).at("executionId").as_string()));
  }
  CHECK(announced == std::vector<std::string>{"new-f", "new-g"});
  auto only_g = flow_g.Next(10s);
  REQUIRE(only_g);
  CHECK(boost::json::parse(only_g->data).at("executionId").as_string() == "new-g");
}

TEST_CASE("serve caps its event streams with 503") {
  TempDir dir;
  ServeProcess server(dir.Store("cap.db"), {"--max-streams", "2"});
  SseReader one(server.port(), "/v1/stream");
  SseReader two(server.port(), "/v1/stream");
  REQUIRE(one.status(10s) == 200);
  REQUIRE(two.status(10s) == 200);
  auto third = Http(server.port(), "GET", "/v1/stream");
  CHECK(third.status == 503);
  CHECK(third.headers["retry-after"] == "1");
  CHECK(Http(server.port(), "GET", "/v1/health").status == 200);
}

}  // namespace extrace
