// Shared test helpers: temporary folders and the test's stores in them
// (test_backend.h: SQLite files, or PostgreSQL databases), running the CLI as
// a real process, building event lines.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace extrace::testing {

// A fresh folder under /tmp, removed with everything in it on destruction,
// and the stores the test made through Store() (dropped with it).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  // The store called `name` that EventStore::Open and --db take: the file
  // File(name) in SQLite mode; in PostgreSQL mode (EXTRACE_TEST_BACKEND=postgres)
  // the URI of a fresh database made on first use of `name` and dropped with
  // this folder. Throws (failing the test) when PostgreSQL mode has no server.
  std::string Store(const std::string& name) const;
  // In PostgreSQL mode a SQLite database left in this folder fails the test (a
  // store that bypassed Store()); a test that means to make one says so here.
  void AllowSqliteFiles() { sqlite_files_allowed_ = true; }

 private:
  std::filesystem::path path_;
  mutable std::map<std::string, std::string> databases_;  // name -> PostgreSQL database
  bool sqlite_files_allowed_ = false;
};

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `program args...` with `input` on standard input; waits for it.
ProcessResult RunProcess(const std::string& program, const std::vector<std::string>& args,
                         const std::string& input = "");
// Runs the extrace CLI built beside the tests.
ProcessResult RunCli(const std::vector<std::string>& args, const std::string& input = "");

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);

}  // namespace extrace::testing

namespace extrace::testing {

// Runs `program args...` like RunProcess, with its environment changed: each
// `env` entry "NAME=value" sets NAME, a bare "NAME" removes it.
ProcessResult RunProcessWithEnv(const std::string& program, const std::vector<std::string>& args,
                                const std::vector<std::string>& env, const std::string& input = "");
ProcessResult RunCliWithEnv(const std::vector<std::string>& args,
                            const std::vector<std::string>& env, const std::string& input = "");
// This process's environment with `changes` applied, as "NAME=value" entries.
std::vector<std::string> ChangedEnvironment(const std::vector<std::string>& changes);

// A child process the test drives while it runs: reads its stdout line by line,
// writes to its stdin, kills it at a chosen moment. stderr is collected on the
// side so a chatty child never blocks on a full pipe. The destructor kills
// (SIGKILL) and reaps a child that is still running.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next stdout line without its newline; nullopt at end of output or once
  // `timeout` passed without a whole line.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);
  // True once stdout reached its end (ReadLine's nullopt then means no more).
  bool AtEnd() const { return out_eof_; }
  void Write(const std::string& text);
  void CloseStdin();
  void Kill(int signal);
  // Waits for the exit: the exit code, or 128 + the signal that ended it.
  int Wait();
  // Everything the child wrote to stderr; complete once Wait() returned.
  std::string Err();
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int in_fd_ = -1, out_fd_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  std::string out_buffer_;
  bool out_eof_ = false;
  std::mutex err_mu_;
  std::string err_;
  std::thread err_reader_;
};

}  // namespace extrace::testing
