// `extrace serve` on a store whose disk fills up: the request that does not
// fit answers 503 disk_full with Retry-After, every event acknowledged before
// it is still there and readable, and the server goes on serving reads. The
// disk is a real tmpfs of 600 KiB (mounting needs root: elsewhere the test
// says so and checks nothing).
#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>

#include "serve_test_support.h"
#include "small_disk.h"

namespace extrace {
namespace {

using namespace testing;

std::string Batch(int64_t first, int64_t count) {
  std::string body;
  for (int64_t seq = first; seq < first + count; ++seq) {
    if (seq == 1)
      body +=
          R"({"executionId":"full","seq":1,"timestamp":1764000000000,"type":"started","data":{"rootNodeId":"r","nodes":[{"id":"r","name":"r","type":"group"},{"id":"n","name":"n","type":"task","parentId":"r"}]}})"
          "\n";
    else
      body += fmt::format(
          R"({{"executionId":"full","seq":{},"timestamp":{},"type":"progress","nodeId":"n","data":{{"progress":{},"message":"{}"}}}})"
          "\n",
          seq, 1'764'000'000'000 + seq, seq % 100, std::string(200, 'x'));
  }
  return body;
}

}  // namespace

TEST_CASE("a full disk answers 503 disk_full, and everything acknowledged stays readable",
          "[sqlite-only]") {
  TempDir dir;
  SmallDisk disk(dir.File("disk"), 600 << 10);
  if (!disk.mounted()) {
    WARN("cannot mount a tmpfs (not root?): the full-disk case was not run");
    return;
  }
  ServeProcess server(dir.File("disk") + "/full.db");
  uint16_t port = server.port();
  int64_t acknowledged = 0;
  HttpResponse refused;
  for (int batch = 0; batch < 1000; ++batch) {
    auto response = Http(port, "POST", "/v1/events", Batch(acknowledged + 1, 100));
    if (response.status != 200) {
      refused = response;
      break;
    }
    acknowledged += 100;
  }
  INFO(refused.body);
  REQUIRE(acknowledged > 0);
  REQUIRE(refused.status == 503);
  CHECK(refused.headers["retry-after"] == "1");
  auto doc = boost::json::parse(refused.body).as_object();
  CHECK(doc.at("code").as_string() == "disk_full");
  CHECK(doc.at("stored").as_int64() == 0);
  // The store's folder is the server's business: the message names the file only.
  CHECK(std::string(doc.at("error").as_string()).starts_with("full.db: "));
  // Everything acknowledged is there, in order, and the server still reads.
  auto events = Http(port, "GET", "/v1/runs/full/events");
  REQUIRE(events.status == 200);
  int64_t lines = std::count(events.body.begin(), events.body.end(), '\n');
  CHECK(lines == acknowledged);
  CHECK(events.body.find(fmt::format("\"seq\":{},", acknowledged)) != std::string::npos);
  CHECK(Http(port, "GET", "/v1/health").status == 200);
  server.process().Kill(SIGTERM);
  CHECK(server.process().Wait() == 0);
}

}  // namespace extrace
