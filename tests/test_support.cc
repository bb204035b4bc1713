// Test helpers: see test_support.h.
#include "test_support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "test_backend.h"

extern char** environ;

namespace extrace::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "extrace-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

namespace {

// The SQLite database files under `folder` (by their header).
std::vector<std::string> SqliteFilesUnder(const std::filesystem::path& folder) {
  static constexpr char kHeader[16] = "SQLite format 3";  // and its '\0'
  std::vector<std::string> found;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(folder, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file(error)) continue;
    std::ifstream in(it->path(), std::ios::binary);
    char header[16] = {};
    if (in.read(header, sizeof header) && std::equal(header, header + 16, kHeader))
      found.push_back(it->path().string());
  }
  return found;
}

}  // namespace

TempDir::~TempDir() {
  for (const auto& [name, database] : databases_) DropTestDatabase(database);
  // A PostgreSQL run of a test that still made a SQLite store (a path that
  // did not go through Store()) would pass on SQLite without saying so.
  if (PostgresBackend() && !sqlite_files_allowed_)
    for (const auto& file : SqliteFilesUnder(path_))
      FAIL_CHECK("a SQLite database in PostgreSQL mode: "
                 << file << " (take the store from TempDir::Store)");
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::Store(const std::string& name) const {
  if (!PostgresBackend()) return File(name);
  auto found = databases_.find(name);
  if (found == databases_.end()) found = databases_.emplace(name, CreateTestDatabase()).first;
  return PostgresUri(found->second);
}

namespace {

std::string Drain(int fd) {
  std::string text;
  char buffer[65536];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  close(fd);
  return text;
}

}  // namespace

namespace {

// A started child process and our ends of its standard input, output and error.
struct Spawned {
  pid_t pid;
  int in_fd;
  int out_fd;
  int err_fd;
};

Spawned Spawn(const std::string& program, const std::vector<std::string>& args, char* const* envp) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC))
    throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw std::runtime_error("posix_spawn failed: " + program);
  }
  return {pid, in_pipe[1], out_pipe[0], err_pipe[0]};
}

// Runs `program args...` with environment `envp` and `input` on standard input.
ProcessResult SpawnAndWait(const std::string& program, const std::vector<std::string>& args,
                           char* const* envp, const std::string& input) {
  Spawned child = Spawn(program, args, envp);
  std::thread feeder([&] {
    size_t done = 0;
    while (done < input.size()) {
      ssize_t n = write(child.in_fd, input.data() + done, input.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(child.in_fd);
  });
  ProcessResult result;
  std::thread err_reader([&] { result.err = Drain(child.err_fd); });
  result.out = Drain(child.out_fd);
  err_reader.join();
  feeder.join();
  int status = 0;
  waitpid(child.pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace

ProcessResult RunProcess(const std::string& program, const std::vector<std::string>& args,
                         const std::string& input) {
  return SpawnAndWait(program, args, environ, input);
}

ProcessResult RunCli(const std::vector<std::string>& args, const std::string& input) {
  return RunProcess(EXTRACE_CLI, args, input);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace extrace::testing

namespace extrace::testing {

std::vector<std::string> ChangedEnvironment(const std::vector<std::string>& changes) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  for (const auto& change : changes) {
    std::string name = change.substr(0, change.find('='));
    std::erase_if(
        env, [&](const std::string& e) { return e.compare(0, name.size() + 1, name + "=") == 0; });
    if (change.find('=') != std::string::npos) env.push_back(change);
  }
  return env;
}

ProcessResult RunProcessWithEnv(const std::string& program, const std::vector<std::string>& args,
                                const std::vector<std::string>& env, const std::string& input) {
  std::vector<std::string> strings = ChangedEnvironment(env);
  std::vector<char*> envp;
  for (auto& s : strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  return SpawnAndWait(program, args, envp.data(), input);
}

ProcessResult RunCliWithEnv(const std::vector<std::string>& args,
                            const std::vector<std::string>& env, const std::string& input) {
  return RunProcessWithEnv(EXTRACE_CLI, args, env, input);
}

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args) {
  // Writing to a child that already exited must fail the write, not kill the test.
  signal(SIGPIPE, SIG_IGN);
  Spawned child = Spawn(program, args, environ);
  pid_ = child.pid;
  in_fd_ = child.in_fd;
  out_fd_ = child.out_fd;
  int err_fd = child.err_fd;
  err_reader_ = std::thread([this, err_fd] {
    char buffer[4096];
    ssize_t n;
    while ((n = read(err_fd, buffer, sizeof buffer)) > 0) {
      std::lock_guard lock(err_mu_);
      err_.append(buffer, static_cast<size_t>(n));
    }
    close(err_fd);
  });
}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    Kill(SIGKILL);
    Wait();
  }
  if (in_fd_ >= 0) close(in_fd_);
  if (out_fd_ >= 0) close(out_fd_);
  if (err_reader_.joinable()) err_reader_.join();
}

std::optional<std::string> ChildProcess::ReadLine(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (auto newline = out_buffer_.find('\n'); newline != std::string::npos) {
      std::string line = out_buffer_.substr(0, newline);
      out_buffer_.erase(0, newline + 1);
      return line;
    }
    if (out_eof_) return std::nullopt;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd fd{out_fd_, POLLIN, 0};
    int ready = poll(&fd, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char buffer[4096];
    ssize_t n = read(out_fd_, buffer, sizeof buffer);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      out_eof_ = true;
    } else {
      out_buffer_.append(buffer, static_cast<size_t>(n));
    }
  }
}

void ChildProcess::Write(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(in_fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("cannot write to the child's stdin");
    done += static_cast<size_t>(n);
  }
}

void ChildProcess::CloseStdin() {
  if (in_fd_ >= 0) close(in_fd_);
  in_fd_ = -1;
}

void ChildProcess::Kill(int signal) {
  if (!reaped_) kill(pid_, signal);
}

int ChildProcess::Wait() {
  if (reaped_) return exit_code_;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  reaped_ = true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  // The child is gone: its stderr ends once any grandchild holding it is gone too.
  if (err_reader_.joinable()) err_reader_.join();
  return exit_code_;
}

std::string ChildProcess::Err() {
  std::lock_guard lock(err_mu_);
  return err_;
}

}  // namespace extrace::testing
