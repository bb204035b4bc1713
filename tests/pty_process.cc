// PtyProcess: see pty_process.h.
#include "pty_process.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "test_support.h"

namespace extrace::testing {

PtyProcess::PtyProcess(const std::vector<std::string>& args, const std::vector<std::string>& env,
                       unsigned short columns) {
  // Everything the child needs is built before fork: after it, only exec.
  std::vector<std::string> environment = ChangedEnvironment(env);
  std::vector<char*> envp;
  for (auto& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::string program = EXTRACE_CLI;
  std::vector<std::string> owned = args;
  std::vector<char*> argv = {program.data()};
  for (auto& arg : owned) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  winsize size{};
  size.ws_row = 40;
  size.ws_col = columns;
  pid_ = forkpty(&master_, nullptr, nullptr, &size);
  if (pid_ < 0) throw std::runtime_error("forkpty failed");
  if (pid_ == 0) {
    dup2(pipe_fds[0], STDIN_FILENO);
    execve(program.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(pipe_fds[0]);
  input_ = pipe_fds[1];
}

PtyProcess::~PtyProcess() {
  if (!reaped_) {
    Signal(SIGKILL);
    Wait();
  }
  CloseInput();
  if (master_ >= 0) close(master_);
}

void PtyProcess::CloseInput() {
  if (input_ >= 0) close(input_);
  input_ = -1;
}

bool PtyProcess::ReadUntil(const std::function<bool(const std::string&)>& seen,
                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  while (!seen(output_)) {
    if (closed_ || std::chrono::steady_clock::now() >= deadline) return false;
    pollfd fd{master_, POLLIN, 0};
    int ready = poll(&fd, 1, 20);
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) continue;
    ssize_t n = read(master_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      closed_ = true;  // EIO: the last slave side of the terminal closed
      continue;
    }
    output_.append(buffer, static_cast<size_t>(n));
  }
  return true;
}

void PtyProcess::ReadToEnd(std::chrono::milliseconds timeout) {
  ReadUntil([](const std::string&) { return false; }, timeout);
}

void PtyProcess::Signal(int signal) {
  if (!reaped_) kill(pid_, signal);
}

int PtyProcess::Wait() {
  if (reaped_) return exit_code_;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  reaped_ = true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_code_;
}

}  // namespace extrace::testing
