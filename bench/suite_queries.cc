// The suite's query case: 6. list, compare, history and regressions as
// child processes over 10,000 runs of a 50-node flow, on SQLite (and, from
// suite_postgres.cc, on PostgreSQL).
#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "bench/flow_generator.h"
#include "bench/raw_sqlite.h"
#include "bench/subprocess.h"
#include "bench/suite.h"

namespace extrace::bench {

namespace fs = std::filesystem;

void Suite::Queries() {
  const std::string db = c_.Path("runs.db");
  RemoveDatabase(db);
  QueriesOn(db, "");
  RemoveDatabase(db);
}

void Suite::QueriesOn(const std::string& db, const std::string& store) {
  const int64_t runs = std::max<int64_t>(20, std::llround(10000 * c_.scale));
  GenOptions options;
  options.shape = kFlow50;
  options.seed = 7;
  EventGenerator sizing(options, 0);
  const int64_t count = runs * sizing.events_per_run();
  const std::string file = c_.Path("runs.jsonl");
  const std::string on = store.empty() ? "" : " on " + store;
  Progress(fmt::format("queries{}: {} runs of a 50-node flow ({} events)", on, runs, count));
  WriteJsonLines(file, options, count);
  ProcessResult ingest = RunChecked(Cli({"ingest", file}, db));
  fs::remove(file);
  notes_.push_back(fmt::format(
      "Queries{}: {} runs ({} events, ingested in {:.1f} s); each command is a child process "
      "(start-up included), output to /dev/null, the median of {} runs after one warm-up.",
      on, runs, count, ingest.wall_seconds, c_.quick ? 3 : 7));
  const std::string a = sizing.ExecutionId(runs / 2), b = sizing.ExecutionId(runs - 1);
  struct Command {
    std::string label;
    std::vector<std::string> argv;
  };
  std::vector<Command> commands{
      {"list", Cli({"list"}, db)},
      {"compare", Cli({"compare", a, b}, db)},
      {"history", Cli({"history", "flow"}, db)},
      {"regressions", Cli({"regressions", "flow"}, db)},
  };
  for (const auto& command : commands) {
    RunChecked(command.argv, {0, 12});
    std::vector<double> times;
    for (int i = 0; i < (c_.quick ? 3 : 7); ++i)
      times.push_back(RunChecked(command.argv, {0, 12}).wall_seconds * 1000);
    const double ms = Median(times);
    rows_.push_back({fmt::format("`{}` at {} runs of a 50-node flow{}", command.label, runs, on),
                     Ms(ms), "-", "-", "< 100 ms", YesNo(ms < 100)});
  }
}

}  // namespace extrace::bench
