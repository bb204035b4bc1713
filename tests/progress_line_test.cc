// The progress line (tools/progress_line.h) in memory: its text, its rate
// limit, and how it finishes.
#include "tools/progress_line.h"

#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;

TEST_CASE("progress line: text, rate limit, finish", "[progress][no-store]") {
  int master = -1, slave = -1;
  winsize size{};
  size.ws_row = 24;
  size.ws_col = 100;
  REQUIRE(openpty(&master, &slave, nullptr, nullptr, &size) == 0);
  auto read_all = [&] {
    std::string text;
    char buffer[4096];
    pollfd fd{master, POLLIN, 0};
    while (poll(&fd, 1, 50) > 0) {
      ssize_t n = read(master, buffer, sizeof buffer);
      if (n <= 0) break;
      text.append(buffer, static_cast<size_t>(n));
    }
    return text;
  };
  {
    cli::ProgressOptions options;
    options.fd = slave;
    options.first_delay = std::chrono::milliseconds(0);
    options.interval = std::chrono::hours(1);
    cli::ProgressLine line("load", options);
    REQUIRE(line.active());
    line.SetTotalBytes(4000);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    line.Update(1234567, 1000);
    line.Update(1234568, 2000);  // within the interval: not drawn
    std::string drawn = read_all();
    CHECK(drawn.starts_with("\rload: 1,234,567 events  "));
    CHECK_THAT(drawn, Contains("events/s  25% of 3.9 KiB  ETA "));
    CHECK(drawn.ends_with("\x1b[K"));
    CHECK(drawn.find("1,234,568") == std::string::npos);
    line.Finish();
    CHECK(read_all() == "\r\x1b[K");
    line.Update(2000000, 3000);  // after Finish: nothing
  }
  CHECK(read_all().empty());  // the destructor has nothing more to erase

  SECTION("events total: the percentage follows events") {
    cli::ProgressOptions options;
    options.fd = slave;
    cli::ProgressLine line("reindex", options);
    line.SetTotalEvents(400);
    std::string text = line.Text(100, 0);
    CHECK(text.starts_with("reindex: 100 / 400 events"));
    CHECK_THAT(text, Contains("  25%"));
  }
  SECTION("never wider than the terminal, less one column") {
    cli::ProgressOptions options;
    options.fd = slave;
    options.first_delay = std::chrono::milliseconds(0);
    cli::ProgressLine line(std::string(300, 'x'), options);
    line.Update(1, 1);
    std::string drawn = read_all();
    CHECK(drawn == "\r" + std::string(99, 'x') + "\x1b[K");
  }
  SECTION("not a terminal: inactive, silent") {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    {
      cli::ProgressOptions options;
      options.fd = pipe_fds[1];
      options.first_delay = std::chrono::milliseconds(0);
      cli::ProgressLine line("load", options);
      CHECK_FALSE(line.active());
      line.Update(10, 10);
    }
    close(pipe_fds[1]);
    char c;
    CHECK(read(pipe_fds[0], &c, 1) == 0);
    close(pipe_fds[0]);
  }
  close(slave);
  close(master);
}

}  // namespace
}  // namespace extrace
