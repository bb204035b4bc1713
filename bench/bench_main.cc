// extrace-bench: the end-to-end benchmark suite of `make bench` (issue 4).
// Every case runs its baseline in the same run on the same generated data and
// reports the ratio; the micro-benchmarks (extrace-micro, Google Benchmark)
// run as a child and join the table. Prints one table and writes it as
// Markdown (docs/benchmarks.md between the bench markers).
//
//   extrace-bench [--scale S | --quick] [--out FILE] [--cli PATH] [--micro PATH]
//                 [--work DIR] [--only CASE,...] [--command TEXT] [--keep]
//
// --scale multiplies every event count (1: the sizes of the issue); --quick is
// --scale 0.05 with a standalone report. Data goes to DIR/run-PID (default
// DIR: build-bench/bench-data), deleted at the end unless --keep. Unmet targets
// never fail the run; errors (a crashed child, a failed store) do.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>

#include "bench/subprocess.h"
#include "bench/suite.h"

namespace extrace::bench {
namespace {

namespace fs = std::filesystem;

std::string SelfDir() {
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "." : self.parent_path().string();
}

}  // namespace
}  // namespace extrace::bench

int main(int argc, char** argv) {
  using namespace extrace::bench;
  Config config;
  const std::string dir = SelfDir();
  config.cli = dir + "/extrace";
  config.micro = dir + "/extrace-micro";
  config.work = dir + "/../bench-data";
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
  config.command = command;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
        return argv[++i];
      };
      if (arg == "--quick") {
        config.quick = true;
        config.scale = 0.05;
      } else if (arg == "--scale") {
        config.scale = std::stod(value());
      } else if (arg == "--out") {
        config.out = value();
      } else if (arg == "--cli") {
        config.cli = value();
      } else if (arg == "--micro") {
        config.micro = value();
      } else if (arg == "--work") {
        config.work = value();
      } else if (arg == "--command") {
        config.command = value();
      } else if (arg == "--keep") {
        config.keep = true;
      } else if (arg == "--only") {
        std::stringstream list(value());
        for (std::string name; std::getline(list, name, ',');) config.only.insert(name);
      } else {
        std::fprintf(
            stderr,
            "usage: extrace-bench [--scale S | --quick] [--out FILE] [--cli PATH] "
            "[--micro PATH] [--work DIR] [--only micro,hot,sustained,naive,"
            "ingest,projection,queries,pg,memory,serve,serve-ingest,serve-live,serve-reads] "
            "[--command TEXT] [--keep]\n");
        return 2;
      }
    }
    // The report names both what was typed and what ran.
    if (config.command != command) config.command += "`, which ran `" + command;
    if (config.scale <= 0) throw std::invalid_argument("--scale must be positive");
    // A folder of this run's own inside --work: the suite deletes it at the end.
    config.work += "/run-" + std::to_string(getpid());
    if (access(config.cli.c_str(), X_OK) != 0)
      throw std::invalid_argument("no extrace CLI at " + config.cli + " (--cli)");
    if (access((dir + "/extrace-rss-probe").c_str(), X_OK) != 0)
      throw std::invalid_argument("no extrace-rss-probe beside extrace-bench");
    SetRssProbe(dir + "/extrace-rss-probe");
    Suite(config).Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "extrace-bench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
