// `extrace serve`'s JSON API as a client sees it, over a real socket: every
// document equals the CLI's --json for the same question, byte for byte, and
// every error has its status, its JSON {"error", "code"} and its one line.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "serve_test_support.h"

namespace extrace {
namespace {

using namespace testing;

// The CLI's --json output without its line break.
std::string CliJson(const std::string& db, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db", db});
  auto result = RunCli(args);
  INFO(result.err);
  REQUIRE((result.exit_code == 0 || result.exit_code == 12));
  if (!result.out.empty() && result.out.back() == '\n') result.out.pop_back();
  return result.out;
}

std::string ErrorCode(const HttpResponse& response) {
  auto doc = boost::json::parse(response.body).as_object();
  REQUIRE(doc.contains("error"));
  REQUIRE(doc.at("error").is_string());
  return std::string(doc.at("code").as_string());
}

void Post(uint16_t port, const std::string& body) {
  auto response =
      Http(port, "POST", "/v1/events", body, {{"Content-Type", "application/x-ndjson"}});
  INFO(response.body);
  REQUIRE(response.status == 200);
}

}  // namespace

TEST_CASE("serve answers every API path with the CLI's document") {
  TempDir dir;
  std::string db = dir.Store("api.db");
  ServeProcess server(db);
  uint16_t port = server.port();
  Post(port, JoinLines(RunLines("run-a1", "flow-f", 3, 1'764'000'000'000), 0, 100));
  Post(port, JoinLines(RunLines("run-b2", "flow-f", 4, 1'764'000'100'000), 0, 100));
  auto open = RunLines("run-c3", "flow-g", 2, 1'764'000'200'000);
  Post(port, JoinLines(open, 0, open.size() - 1));  // no `completed`: incomplete

  struct Case {
    std::string path;
    std::vector<std::string> cli;
  };
  std::vector<Case> cases = {
      {"/v1/runs", {"list", "--json"}},
      {"/v1/runs?flow=flow-f&status=completed&limit=1",
       {"list", "--json", "--flow", "flow-f", "--status", "completed", "--limit", "1"}},
      {"/v1/runs?status=incomplete", {"list", "--json", "--status", "incomplete"}},
      {"/v1/runs?node=n4&state=completed",
       {"list", "--json", "--node", "n4", "--state", "completed"}},
      {"/v1/runs/run-a1", {"show", "run-a1", "--json"}},
      {"/v1/runs/latest", {"show", "latest", "--json"}},
      {"/v1/runs/latest?flow=flow-f", {"show", "latest", "--flow", "flow-f", "--json"}},
      {"/v1/runs/run-b", {"show", "run-b", "--json"}},
      {"/v1/runs/run-a1/bottlenecks?top=2", {"bottlenecks", "run-a1", "--top", "2", "--json"}},
      {"/v1/compare?a=run-a1&b=run-b2", {"compare", "run-a1", "run-b2", "--json"}},
      {"/v1/flows/flow-f/history?last=5", {"history", "flow-f", "--last", "5", "--json"}},
      {"/v1/flows/flow-f/regressions", {"regressions", "flow-f", "--json"}},
  };
  for (const auto& c : cases) {
    INFO(c.path);
    auto response = Http(port, "GET", c.path);
    REQUIRE(response.status == 200);
    CHECK(response.headers["content-type"] == "application/json");
    CHECK(response.body == CliJson(db, c.cli));
  }

  SECTION("events after a seq, as `extrace events` writes them") {
    auto response = Http(port, "GET", "/v1/runs/run-a1/events?afterSeq=3");
    REQUIRE(response.status == 200);
    CHECK(response.headers["content-type"] == "application/x-ndjson");
    auto all = RunCli({"--db", db, "events", "run-a1"});
    REQUIRE(all.exit_code == 0);
    std::string expected;
    size_t at = 0;
    for (int line = 1; at < all.out.size(); ++line) {
      size_t end = all.out.find('\n', at);
      if (line > 3) expected += all.out.substr(at, end - at + 1);
      at = end + 1;
    }
    CHECK(response.body == expected);
    CHECK(response.body.find("\"seq\":4,") != std::string::npos);
    CHECK(response.body.find("\"seq\":3,") == std::string::npos);
  }
  SECTION("flows and health") {
    auto flows = Http(port, "GET", "/v1/flows");
    REQUIRE(flows.status == 200);
    auto doc = boost::json::parse(flows.body).as_object();
    REQUIRE(doc.at("flows").as_array().size() == 2);
    CHECK(flows.body == CliJson(db, {"flows", "--json"}));
    auto health = Http(port, "GET", "/v1/health");
    REQUIRE(health.status == 200);
    auto h = boost::json::parse(health.body).as_object();
    CHECK(h.at("status").as_string() == "ok");
    CHECK(h.at("ingest").as_object().at("events").as_int64() == 8 + 10 + 5);
  }
  SECTION("HEAD answers GET's headers without the body") {
    auto get = Http(port, "GET", "/v1/runs");
    auto head = Http(port, "HEAD", "/v1/runs");
    REQUIRE(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.headers["content-length"] == std::to_string(get.body.size()));
  }
}

TEST_CASE("serve's API errors carry the status that fits and a JSON body") {
  TempDir dir;
  std::string db = dir.Store("errors.db");
  ServeProcess server(db);
  uint16_t port = server.port();
  Post(port, JoinLines(RunLines("run-a1", "flow-f", 2), 0, 100));
  Post(port, JoinLines(RunLines("run-a2", "flow-f", 2, 1'764'000'100'000), 0, 100));

  struct Case {
    std::string method, path;
    int status;
    std::string code;
  };
  std::vector<Case> cases = {
      {"GET", "/v1/runs/nope", 404, "not_found"},
      {"GET", "/v1/runs/nope/bottlenecks", 404, "not_found"},
      {"GET", "/v1/runs/latest?flow=nope", 404, "not_found"},
      {"GET", "/v1/flows/nope/history", 404, "not_found"},
      {"GET", "/v1/runs/run-a", 400, "invalid_input"},  // ambiguous prefix
      {"GET", "/v1/runs?status=bogus", 400, "invalid_input"},
      {"GET", "/v1/runs?limit=-1", 400, "invalid_input"},
      {"GET", "/v1/runs?since=yesterday", 400, "invalid_input"},
      {"GET", "/v1/runs?slowerThan=fast", 400, "invalid_input"},
      {"GET", "/v1/runs/run-a1/events?afterSeq=x", 400, "invalid_input"},
      {"GET", "/v1/compare?a=run-a1", 400, "invalid_input"},
      {"GET", "/v1/flows/flow-f/regressions?baseline=1", 400, "invalid_input"},
      {"GET", "/v1/nothing", 404, "not_found"},
      {"GET", "/nothing/here", 404, "not_found"},
      {"GET", "/v1/runs/run-a1/nothing", 404, "not_found"},
      {"DELETE", "/v1/runs", 405, "method_not_allowed"},
      {"PUT", "/v1/events", 405, "method_not_allowed"},
      {"GET", "/v1/events", 405, "method_not_allowed"},
      {"POST", "/v1/runs/run-a1", 405, "method_not_allowed"},
      {"GET", "/v1/runs/%zz", 400, "invalid_input"},
  };
  for (const auto& c : cases) {
    INFO(c.method << " " << c.path);
    auto response = Http(port, c.method, c.path);
    INFO(response.body);
    REQUIRE(response.status == c.status);
    CHECK(response.headers["content-type"] == "application/json");
    CHECK(ErrorCode(response) == c.code);
    if (c.status == 405) CHECK(!response.headers["allow"].empty());
  }
  CHECK(Http(port, "GET", "/v1/runs?status=bogus").body.find("status bogus") != std::string::npos);
  CHECK(Http(port, "GET", "/v1/runs/nope").body.find("nope") != std::string::npos);
}

TEST_CASE("POST /v1/events stores the lines before a bad one and answers 400 naming it") {
  TempDir dir;
  std::string db = dir.Store("ingest.db");
  ServeProcess server(db);
  uint16_t port = server.port();
  auto lines = RunLines("run-x", "flow-f", 2);
  std::string bad = R"({"executionId":"run-x","seq":3,"timestamp":"soon","type":"progress"})";

  SECTION("JSON Lines") {
    std::string body = lines[0] + "\n" + lines[1] + "\n" + bad + "\n" + lines[3] + "\n";
    auto response = Http(port, "POST", "/v1/events", body);
    REQUIRE(response.status == 400);
    auto doc = boost::json::parse(response.body).as_object();
    CHECK(std::string(doc.at("error").as_string()).starts_with("line 3: timestamp: "));
    CHECK(doc.at("code").as_string() == "invalid_input");
    CHECK(doc.at("stored").as_int64() == 2);
    CHECK(doc.at("duplicates").as_int64() == 0);
    CHECK(StoredEvents(db, "run-x") == 2);
    // The producer fixes the line and sends the whole batch again.
    auto again = Http(port, "POST", "/v1/events", JoinLines(lines, 0, lines.size()));
    REQUIRE(again.status == 200);
    CHECK(again.body == R"({"stored":4,"duplicates":2})");
    CHECK(StoredEvents(db, "run-x") == 6);
  }
  SECTION("a JSON array: element N is line N") {
    std::string body = "[" + lines[0] + "," + bad + "]";
    auto response = Http(port, "POST", "/v1/events", body, {{"Content-Type", "application/json"}});
    REQUIRE(response.status == 400);
    CHECK(response.body.find("\"error\":\"line 2: timestamp: ") != std::string::npos);
    CHECK(response.body.find("\"stored\":1") != std::string::npos);
    auto whole = Http(port, "POST", "/v1/events", "[" + lines[0] + "," + lines[1] + "]",
                      {{"Content-Type", "application/json"}});
    REQUIRE(whole.status == 200);
    CHECK(whole.body == R"({"stored":1,"duplicates":1})");
  }
  SECTION("not JSON at all") {
    auto response = Http(port, "POST", "/v1/events", "{{{\n");
    REQUIRE(response.status == 400);
    CHECK(response.body.find("line 1: (json): not valid JSON") != std::string::npos);
    auto array = Http(port, "POST", "/v1/events", "[1, 2");
    REQUIRE(array.status == 400);
    CHECK(array.body.find("line 1: (json): an event must be a JSON object") != std::string::npos);
    auto broken = Http(port, "POST", "/v1/events",
                       "[" + lines[0] + ",\n" + lines[1] + ",\n{\"executionId\":\"run-x\",}]");
    REQUIRE(broken.status == 400);
    CHECK(broken.body.find("\"error\":\"line 3: (json): not valid JSON") != std::string::npos);
    CHECK(broken.body.find("\"stored\":2") != std::string::npos);
  }
  SECTION("a conflict answers 409 naming both events, the lines before it stored") {
    REQUIRE(Http(port, "POST", "/v1/events", JoinLines(lines, 0, 2)).status == 200);
    std::string changed = lines[1];
    changed.replace(changed.find("executing"), 9, "completed");
    auto response = Http(port, "POST", "/v1/events", lines[2] + "\n" + changed + "\n");
    INFO(response.body);
    REQUIRE(response.status == 409);
    auto doc = boost::json::parse(response.body).as_object();
    std::string error(doc.at("error").as_string());
    CHECK(error.starts_with("line 2: seq: conflict: "));
    CHECK(error.find("is stored as") != std::string::npos);
    CHECK(error.find("the new event is") != std::string::npos);
    CHECK(doc.at("code").as_string() == "conflict");
    CHECK(doc.at("stored").as_int64() == 1);
    CHECK(StoredEvents(db, "run-x") == 3);
  }
  SECTION("an empty body stores nothing and is no error") {
    auto response = Http(port, "POST", "/v1/events", "");
    REQUIRE(response.status == 200);
    CHECK(response.body == R"({"stored":0,"duplicates":0})");
  }
}

TEST_CASE("serve answers 503 with Retry-After while another process holds the store",
          "[sqlite-only]") {
  TempDir dir;
  std::string db = dir.File("busy.db");
  ServeProcess server(db, {"--busy-budget-ms", "300"});
  auto lines = RunLines("run-busy", "flow-f", 1);
  REQUIRE(Http(server.port(), "POST", "/v1/events", lines[0] + "\n").status == 200);
  ChildProcess holder("/usr/bin/sqlite3", {db});
  holder.Write(".timeout 5000\nBEGIN IMMEDIATE;\nSELECT 'locked';\n");
  REQUIRE(holder.ReadLine(std::chrono::seconds(10)) == std::optional<std::string>("locked"));
  auto response = Http(server.port(), "POST", "/v1/events", lines[1] + "\n");
  INFO(response.body);
  REQUIRE(response.status == 503);
  CHECK(response.headers["retry-after"] == "1");
  CHECK(ErrorCode(response) == "busy");
  holder.Write("ROLLBACK;\n.quit\n");
  holder.Wait();
  // Once the lock is gone the same request is stored.
  REQUIRE(Http(server.port(), "POST", "/v1/events", lines[1] + "\n").status == 200);
  CHECK(StoredEvents(db, "run-busy") == 2);
}

}  // namespace extrace
