// Runs the real extrace CLI as a child process and measures it whole: wall
// time from spawn to exit, and the child's peak resident memory (wait4's
// rusage). Used from one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace extrace::bench {

// Runs every child through extrace-rss-probe (bench/rss_probe.cc) at `path`,
// so that max_rss_bytes is the child's own peak and not the driver's.
void SetRssProbe(const std::string& path);

struct ProcessResult {
  int exit_code = -1;         // -1: killed by a signal
  double wall_seconds = 0;    // from spawn to exit of the command itself
  int64_t max_rss_bytes = 0;  // 0 without the probe
  std::string err;            // its standard error, for the message when it fails
};

// Standard output goes to `stdout_path`. With `feed`, the child's standard
// input is a pipe that `feed` writes to (its argument: the pipe's fd); the
// pipe is closed when `feed` returns.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::string& stdout_path = "/dev/null",
                         const std::function<void(int)>& feed = {});

// Writes all of `data` to `fd`; throws when the reader went away.
void WriteAll(int fd, const char* data, size_t size);

// Runs the child and throws std::runtime_error naming it unless it exits
// with one of `ok_codes`.
ProcessResult RunChecked(const std::vector<std::string>& argv, std::vector<int> ok_codes = {0},
                         const std::string& stdout_path = "/dev/null",
                         const std::function<void(int)>& feed = {});

}  // namespace extrace::bench
