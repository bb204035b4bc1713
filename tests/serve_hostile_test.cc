// Clients that do not play by the rules, against a real `extrace serve`: each
// gets its 4xx (or is cut off after its deadline) while the server keeps
// answering everybody else; and the token a non-loopback address needs.
#include <fmt/format.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <thread>

#include "serve_test_support.h"

namespace extrace {
namespace {

using namespace testing;
using namespace std::chrono_literals;

int StatusOf(const std::string& response) {
  if (response.size() < 12 || !response.starts_with("HTTP/1.1 ")) return 0;
  return std::stoi(response.substr(9, 3));
}

void RequireServing(uint16_t port) {
  auto health = Http(port, "GET", "/v1/health");
  REQUIRE(health.status == 200);
}

}  // namespace

TEST_CASE("hostile clients get their 4xx and the server keeps serving the others") {
  TempDir dir;
  ServeProcess server(dir.Store("hostile.db"), {"--max-body-bytes", "4096", "--header-timeout",
                                                "0.5", "--body-timeout", "0.5"});
  uint16_t port = server.port();

  SECTION("a body over the limit: 413 before it is read") {
    std::string big(10'000, 'x');
    auto response = Http(port, "POST", "/v1/events", big);
    CHECK(response.status == 413);
    CHECK(response.body.find("\"code\":\"body_too_large\"") != std::string::npos);
    // Chunked, so that no Content-Length announces it.
    RawConnection chunked(port);
    chunked.Send(
        "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    std::string chunk = fmt::format("{:x}\r\n{}\r\n", 3000, std::string(3000, 'y'));
    chunked.Send(chunk);
    chunked.Send(chunk);
    CHECK(StatusOf(chunked.ReadUntil("\r\n\r\n", 5s)) == 413);
  }
  SECTION("a header flood: 431") {
    RawConnection flood(port);
    std::string request = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (int i = 0; i < 200; ++i)
      request += fmt::format("X-Flood-{}: {}\r\n", i, std::string(200, 'a'));
    flood.Send(request + "\r\n");
    CHECK(StatusOf(flood.ReadUntil("\r\n\r\n", 5s)) == 431);
    CHECK(flood.ClosedWithin(5s));
  }
  SECTION("malformed requests: 400") {
    RawConnection garbage(port);
    garbage.Send("THIS IS NOT HTTP\r\n\r\n");
    CHECK(StatusOf(garbage.ReadUntil("\r\n\r\n", 5s)) == 400);
    RawConnection bad_length(port);
    bad_length.Send("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: nope\r\n\r\n");
    CHECK(StatusOf(bad_length.ReadUntil("\r\n\r\n", 5s)) == 400);
  }
  SECTION("a slow body is cut off at its deadline, and others are served meanwhile") {
    RawConnection slow(port);
    slow.Send("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"exec");
    auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) RequireServing(port);
    // Its deadline closes the connection (nothing more can be said on it).
    CHECK(slow.ClosedWithin(10s));
    CHECK(slow.received().empty());
    CHECK(std::chrono::steady_clock::now() - started < 8s);
  }
  SECTION("headers that never end are cut off too") {
    RawConnection slowloris(port);
    slowloris.Send("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (int i = 0; i < 3; ++i) {
      std::this_thread::sleep_for(100ms);
      slowloris.Send("X-Slow: 1\r\n");
      RequireServing(port);
    }
    CHECK(slowloris.ClosedWithin(10s));
  }
  SECTION("asset paths cannot leave the compiled-in assets") {
    for (const char* path :
         {"/assets/../../../../etc/passwd", "/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
          "/assets/..%2f..%2fserver.cc", "/assets/app.js/../../etc/passwd", "/assets/",
          "/assets/%00app.js", "/../../etc/passwd"}) {
      INFO(path);
      auto response = Http(port, "GET", path);
      CHECK((response.status == 404 || response.status == 400));
      CHECK(response.body.find("root:") == std::string::npos);
    }
    auto app = Http(port, "GET", "/assets/app.js");
    CHECK(app.status == 200);
    CHECK(app.headers["content-type"].starts_with("text/javascript"));
    CHECK(app.headers["x-content-type-options"] == "nosniff");
    auto page = Http(port, "GET", "/runs/some-run");
    CHECK(page.status == 200);
    CHECK(page.headers["content-type"].starts_with("text/html"));
    CHECK(page.headers["content-security-policy"].find("default-src 'self'") != std::string::npos);
  }
  SECTION("pages of other sites: no DNS rebinding, no cross-site writes") {
    auto rebound = Http(port, "GET", "/v1/runs", "", {{"Host", "attacker.example:7117"}});
    CHECK(rebound.status == 403);
    CHECK(rebound.body.find("\"code\":\"forbidden\"") != std::string::npos);
    CHECK(Http(port, "GET", "/v1/health", "", {{"Host", "localhost:7117"}}).status == 200);
    CHECK(Http(port, "GET", "/v1/health", "", {{"Host", "[::1]:7117"}}).status == 200);
    std::string line = RunLines("cross", "flow-f", 1)[0] + "\n";
    auto cross = Http(port, "POST", "/v1/events", line,
                      {{"Origin", "http://evil.example"}, {"Content-Type", "text/plain"}});
    CHECK(cross.status == 403);
    std::string self = fmt::format("http://127.0.0.1:{}", port);
    auto own = Http(port, "POST", "/v1/events", line, {{"Origin", self}});
    CHECK(own.status == 200);
  }
  SECTION("Expect: 100-continue gets its 100 before the body is sent") {
    std::string line = RunLines("continued", "flow-f", 1)[0] + "\n";
    RawConnection client(port);
    client.Send(
        fmt::format("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                    "{}\r\nExpect: 100-continue\r\n\r\n",
                    line.size()));
    CHECK(StatusOf(client.ReadUntil("\r\n\r\n", 5s)) == 100);
    client.Send(line);
    CHECK(client.ReadUntil("}", 5s).find("HTTP/1.1 200 OK") != std::string::npos);
  }
  SECTION("no CORS headers unless asked for") {
    auto response = Http(port, "GET", "/v1/health", "", {{"Origin", "http://evil.example"}});
    CHECK(response.headers.count("access-control-allow-origin") == 0);
  }
  RequireServing(port);
}

TEST_CASE("serve with --cors answers the preflight and names the origin") {
  TempDir dir;
  ServeProcess server(dir.Store("cors.db"), {"--cors", "http://app.example"});
  auto preflight =
      Http(server.port(), "OPTIONS", "/v1/events", "",
           {{"Origin", "http://app.example"}, {"Access-Control-Request-Method", "POST"}});
  CHECK(preflight.status == 204);
  CHECK(preflight.headers["access-control-allow-origin"] == "http://app.example");
  CHECK(preflight.headers["access-control-allow-methods"].find("POST") != std::string::npos);
  auto get = Http(server.port(), "GET", "/v1/health");
  CHECK(get.headers["access-control-allow-origin"] == "http://app.example");
}

TEST_CASE("serve on a non-loopback address needs a token, and checks it on every request") {
  TempDir dir;
  std::string db = dir.Store("token.db");
  auto refused = RunCli({"--db", db, "serve", "--listen", "0.0.0.0:0"});
  CHECK(refused.exit_code == 3);
  CHECK(refused.err.find("--token-file") != std::string::npos);

  std::string secret = "s3cret-token-0123456789";
  WriteFile(dir.File("token"), secret + "\n");
  WriteFile(dir.File("short"), "abc\n");
  auto too_short =
      RunCli({"--db", db, "serve", "--listen", "0.0.0.0:0", "--token-file", dir.File("short")});
  CHECK(too_short.exit_code == 3);
  CHECK(too_short.err.find("abc") == std::string::npos);

  ServeProcess server(db, {"--listen", "0.0.0.0:0", "--token-file", dir.File("token")});
  uint16_t port = server.port();
  auto none = Http(port, "GET", "/v1/health");
  CHECK(none.status == 401);
  CHECK(none.body.find("\"code\":\"unauthorized\"") != std::string::npos);
  CHECK(Http(port, "GET", "/v1/health", "", {{"Authorization", "Bearer wrong-token-0123456789"}})
            .status == 401);
  CHECK(Http(port, "GET", "/v1/health", "", {{"Authorization", "Bearer " + secret + "x"}}).status ==
        401);
  CHECK(Http(port, "POST", "/v1/events", RunLines("r", "f", 1)[0]).status == 401);
  CHECK(Http(port, "GET", "/assets/app.js").status == 401);
  CHECK(Http(port, "GET", "/v1/health", "", {{"Authorization", "Bearer " + secret}}).status == 200);
  CHECK(Http(port, "GET", "/v1/health", "", {{"Cookie", "a=b; extrace_token=" + secret}}).status ==
        200);
  auto browser = Http(port, "GET", "/", "", {{"Accept", "text/html"}});
  CHECK(browser.status == 401);
  CHECK(browser.headers["content-type"].starts_with("text/html"));
  CHECK(browser.body.find(secret) == std::string::npos);
  server.process().Kill(SIGTERM);
  CHECK(server.process().Wait() == 0);
  CHECK(server.process().Err().find(secret) == std::string::npos);
}

}  // namespace extrace
