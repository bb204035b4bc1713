// A CLI process on a pseudo-terminal that a test drives while it runs: its
// stdout and stderr are the terminal, its stdin a pipe; the test reads what
// the terminal received until what it waits for shows up, signals the
// process, waits for its exit. The destructor kills (SIGKILL) and reaps a
// process still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace extrace::testing {

class PtyProcess {
 public:
  // The extrace CLI with `args`, its environment changed by `env` ("NAME=value"
  // sets, "NAME" removes), on a terminal of 40 rows and `columns` columns.
  PtyProcess(const std::vector<std::string>& args, const std::vector<std::string>& env,
             unsigned short columns = 120);
  ~PtyProcess();
  PtyProcess(const PtyProcess&) = delete;
  PtyProcess& operator=(const PtyProcess&) = delete;

  // The write end of the process's standard input.
  int input() const { return input_; }
  void CloseInput();
  // Reads until `seen(output())` holds, the terminal closes (the process and
  // all it started exited) or `timeout` passes; returns whether `seen` held.
  bool ReadUntil(const std::function<bool(const std::string&)>& seen,
                 std::chrono::milliseconds timeout);
  // Reads until the terminal closes or `timeout` passes.
  void ReadToEnd(std::chrono::milliseconds timeout);
  // Everything the terminal received so far (stdout and stderr, "\n" as "\r\n").
  const std::string& output() const { return output_; }
  void Signal(int signal);
  // Waits for the exit: the exit code, or 128 + the signal that ended it.
  int Wait();

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  int input_ = -1;
  bool closed_ = false;
  bool reaped_ = false;
  int exit_code_ = -1;
  std::string output_;
};

}  // namespace extrace::testing
