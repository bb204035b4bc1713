// extrace-rss-probe: runs a command and reports its peak memory and wall time.
//   extrace-rss-probe OUT_FILE COMMAND [ARGS...]
// Writes "<peak RSS bytes> <wall seconds>" to OUT_FILE and exits with the
// command's exit code (128 + signal when it was killed).
//
// Why a separate process: Linux keeps the largest RSS a process ever had
// across exec, and a child spawned (fork or vfork) by the benchmark driver
// starts with the driver's memory, so wait4's ru_maxrss of a direct child
// reports the driver's size when it is the larger. This probe is small, so
// its child's ru_maxrss is the command's own.
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: extrace-rss-probe OUT_FILE COMMAND [ARGS...]\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[2], nullptr, nullptr, argv + 2, environ) != 0) {
    std::fprintf(stderr, "extrace-rss-probe: cannot start %s\n", argv[2]);
    return 127;
  }
  int status = 0;
  struct rusage usage {};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (std::FILE* out = std::fopen(argv[1], "w")) {
    std::fprintf(out, "%lld %.9f\n", static_cast<long long>(usage.ru_maxrss) * 1024, wall);
    std::fclose(out);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
