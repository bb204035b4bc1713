// Runs the real extrace CLI as a child process and measures it whole: wall
// time from spawn to exit, and the child's peak resident memory (wait4's
// rusage); and keeps `extrace serve` running for the server cases
// (ServeProcess). Used from one thread at a time.
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

// `extrace ... serve --listen 127.0.0.1:0 ...` as a child process (spawned
// directly, without the RSS probe, so that SIGTERM reaches it): the
// constructor waits for its first line on standard output and reads the port
// from it; Stop drains it with SIGTERM. Its standard error goes to a
// temporary file, quoted when it fails.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& argv);
  ~ServeProcess();  // kills it when Stop was not called
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  uint16_t port() const { return port_; }

  struct Stopped {
    int exit_code = -1;      // -1: killed by a signal
    double cpu_seconds = 0;  // user + system over its whole life
  };
  // SIGTERM, then waits for the drain; throws unless it exits 0.
  Stopped Stop();

 private:
  std::string Stderr() const;

  int pid_ = -1;
  int stdout_fd_ = -1;
  uint16_t port_ = 0;
  std::string err_path_;
};

}  // namespace extrace::bench
