// Child processes for the end-to-end cases: see subprocess.h.
#include "bench/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace extrace::bench {
namespace {

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// posix_spawn file actions, destroyed on every path.
class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

std::string g_probe;

}  // namespace

void SetRssProbe(const std::string& path) { g_probe = path; }

void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("the child stopped reading its standard input");
    data += n;
    size -= static_cast<size_t>(n);
  }
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdout_path,
                         const std::function<void(int)>& feed) {
  // A child that exits early must not kill the driver with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  char err_template[] = "/tmp/extrace-bench-stderr-XXXXXX";
  Fd err_fd(mkostemp(err_template, O_CLOEXEC));
  if (err_fd.get() < 0) throw std::runtime_error("cannot create a temporary file");
  const std::string err_path = err_template;

  int pipe_fds[2] = {-1, -1};
  if (feed && pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  Fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);

  FileActions actions;
  if (feed) posix_spawn_file_actions_adddup2(actions.get(), read_end.get(), 0);
  posix_spawn_file_actions_addopen(actions.get(), 1, stdout_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(actions.get(), err_fd.get(), 2);

  std::vector<std::string> command = argv;
  std::string probe_out;
  if (!g_probe.empty()) {
    char probe_template[] = "/tmp/extrace-bench-rss-XXXXXX";
    Fd probe_fd(mkostemp(probe_template, O_CLOEXEC));
    if (probe_fd.get() < 0) throw std::runtime_error("cannot create a temporary file");
    probe_out = probe_template;
    command.insert(command.begin(), {g_probe, probe_out});
  }
  std::vector<char*> args;
  for (const auto& a : command) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  auto start = std::chrono::steady_clock::now();
  pid_t pid = -1;
  if (int rc = posix_spawn(&pid, args[0], actions.get(), nullptr, args.data(), environ); rc != 0)
    throw std::runtime_error("cannot start " + command[0]);
  read_end.Reset();
  std::string feed_error;
  if (feed) {
    try {
      feed(write_end.get());
    } catch (const std::exception& e) {
      feed_error = e.what();
    }
    write_end.Reset();
  }
  int status = 0;
  struct rusage usage {};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  auto end = std::chrono::steady_clock::now();

  ProcessResult result;
  result.wall_seconds = std::chrono::duration<double>(end - start).count();
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (!probe_out.empty()) {
    long long rss = 0;
    double wall = 0;
    std::ifstream probe_in(probe_out);
    if (probe_in >> rss >> wall) {
      result.max_rss_bytes = rss;
      result.wall_seconds = wall;
    } else {
      result.exit_code = -1;  // the probe could not run the command
    }
    std::remove(probe_out.c_str());
  }
  std::ifstream err_in(err_path);
  std::stringstream text;
  text << err_in.rdbuf();
  result.err = text.str();
  if (!feed_error.empty()) result.err += feed_error;
  std::remove(err_path.c_str());
  return result;
}

ProcessResult RunChecked(const std::vector<std::string>& argv, std::vector<int> ok_codes,
                         const std::string& stdout_path, const std::function<void(int)>& feed) {
  ProcessResult result = RunProcess(argv, stdout_path, feed);
  if (std::find(ok_codes.begin(), ok_codes.end(), result.exit_code) == ok_codes.end()) {
    std::string command;
    for (const auto& a : argv) command += (command.empty() ? "" : " ") + a;
    throw std::runtime_error(command + ": exit code " + std::to_string(result.exit_code) + ": " +
                             result.err.substr(0, 2000));
  }
  return result;
}

ServeProcess::ServeProcess(const std::vector<std::string>& argv) {
  signal(SIGPIPE, SIG_IGN);
  char err_template[] = "/tmp/extrace-bench-serve-XXXXXX";
  Fd err_fd(mkostemp(err_template, O_CLOEXEC));
  if (err_fd.get() < 0) throw std::runtime_error("cannot create a temporary file");
  err_path_ = err_template;
  int pipe_fds[2] = {-1, -1};
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  Fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  FileActions actions;
  posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), 1);
  posix_spawn_file_actions_adddup2(actions.get(), err_fd.get(), 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], actions.get(), nullptr, args.data(), environ) != 0)
    throw std::runtime_error("cannot start " + argv[0]);
  pid_ = pid;
  write_end.Reset();
  // The first line: "extrace serve: listening on http://127.0.0.1:PORT/ (store FILE)".
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{read_end.get(), POLLIN, 0};
    int ready = poll(&p, 1, 1000);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    if (ready == 0) continue;
    char buffer[512];
    ssize_t n = read(read_end.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // it exited before saying where it listens
    line.append(buffer, static_cast<size_t>(n));
  }
  stdout_fd_ = read_end.Release();  // kept open until Stop: the server may still write
  const std::string marker = "http://127.0.0.1:";
  size_t at = line.find(marker);
  if (at != std::string::npos)
    port_ = static_cast<uint16_t>(std::atoi(line.c_str() + at + marker.size()));
  if (port_ == 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    throw std::runtime_error("extrace serve did not say where it listens: " + line + Stderr());
  }
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (!err_path_.empty()) std::remove(err_path_.c_str());
}

std::string ServeProcess::Stderr() const {
  std::ifstream in(err_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str().substr(0, 2000);
}

ServeProcess::Stopped ServeProcess::Stop() {
  Stopped stopped;
  if (pid_ <= 0) return stopped;
  kill(pid_, SIGTERM);
  int status = 0;
  struct rusage usage {};
  while (wait4(pid_, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  stopped.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  stopped.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                        static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  if (stopped.exit_code != 0)
    throw std::runtime_error("extrace serve: exit code " + std::to_string(stopped.exit_code) +
                             ": " + Stderr());
  return stopped;
}

}  // namespace extrace::bench
