// extrace-bench's suite: the figures' formatting and Suite::Run, which runs
// the chosen groups of cases (bench/suite_*.cc) and writes the report. See
// suite.h.
#include "bench/suite.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace extrace::bench {

namespace fs = std::filesystem;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

std::string Count(double n) {
  if (n >= 1e6) return fmt::format("{:.2f}M", n / 1e6);
  if (n >= 1e3) return fmt::format("{:.1f}k", n / 1e3);
  return fmt::format("{:.0f}", n);
}
std::string Rate(double per_second) { return Count(per_second) + " ev/s"; }
std::string Ns(double ns) { return fmt::format("{:.1f} ns", ns); }
std::string Ms(double ms) { return fmt::format("{:.1f} ms", ms); }
std::string Mb(int64_t bytes) { return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6); }
std::string Ratio(double r) {
  return r >= 10 ? fmt::format("{:.0f}x", r) : fmt::format("{:.2f}x", r);
}
std::string YesNo(bool met) { return met ? "yes" : "no"; }

int64_t FileSize(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) throw std::runtime_error("cannot stat " + path);
  return static_cast<int64_t>(info.st_size);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::min(values.size(), std::max<size_t>(rank, 1)) - 1];
}

void Suite::Run() {
  auto start = Clock::now();
  fs::create_directories(c_.work);
  if (c_.Wants("micro")) Micro();
  if (c_.Wants("hot")) HotPath();
  if (c_.Wants("sustained") || c_.Wants("naive")) Sustained();
  if (c_.Wants("ingest")) Ingest();
  if (c_.Wants("projection")) Projection();
  if (c_.Wants("queries")) Queries();
  if (c_.Wants("pg")) Postgres();
  if (c_.Wants("memory")) Memory();
  if (c_.Wants("serve") || c_.Wants("serve-ingest")) ServeIngest();
  if (c_.Wants("serve") || c_.Wants("serve-live")) ServeLive();
  if (c_.Wants("serve") || c_.Wants("serve-reads")) ServeReads();
  notes_.push_back(fmt::format(
      "Sizes: scale {} of the issue's (2M-event ingest, 1M-event run, 10,000 runs, 10M-event "
      "memory case, 1M events over HTTP, 10,000 runs served); the whole suite took {:.0f} s.",
      c_.scale, Seconds(start)));
  if (!c_.keep) fs::remove_all(c_.work);

  const Machine machine = DescribeMachine();
  std::printf("\n%s\n", TextTable(rows_).c_str());
  std::printf("machine: %s, %u cores, SQLite %s, %s, %s\n", machine.cpu.c_str(), machine.cores,
              machine.sqlite_version.c_str(), machine.compiler.c_str(), machine.date_utc.c_str());
  if (!c_.out.empty()) {
    WriteReport(c_.out, MarkdownReport(machine, c_.command, rows_, notes_), c_.quick);
    std::printf("wrote %s\n", c_.out.c_str());
  }
}

void Suite::Progress(const std::string& text) {
  std::printf("[bench] %s\n", text.c_str());
  std::fflush(stdout);
}

std::vector<std::string> Suite::Cli(std::initializer_list<std::string> args,
                                    const std::string& db) {
  std::vector<std::string> argv{c_.cli, "--db", db};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace extrace::bench
