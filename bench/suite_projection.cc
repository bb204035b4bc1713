// The suite's projection case: 5. `extrace export` of one long run, with
// and without the allNodes snapshots, against reading its rows with plain
// SQLite; and the peak memory of that export.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <stdexcept>

#include "bench/flow_generator.h"
#include "bench/raw_sqlite.h"
#include "bench/subprocess.h"
#include "bench/suite.h"

namespace extrace::bench {

namespace fs = std::filesystem;

std::string Suite::SnapshotSwitch() {
  const std::string help = c_.Path("export-help.txt");
  RunProcess({c_.cli, "export", "--help"}, help);
  std::smatch match;
  std::string text = ReadFile(help);
  // A switch that leaves them out, by its name: --no-snapshots, --without-all-nodes, ...
  static const std::regex kFlag(
      "--(no|without|skip|omit|drop)-[a-z-]*(snapshot|all-nodes|allnodes)[a-z-]*");
  return std::regex_search(text, match, kFlag) ? match.str() : "";
}

Suite::Projected Suite::ProjectOneRun(int64_t target, const std::string& flag) {
  GenOptions options;
  options.progress_per_leaf = std::max<int64_t>(1, (target - 2) / 48 - 2);
  EventGenerator gen(options, 0);
  const int64_t count = gen.events_per_run();  // exactly one run
  const std::string id = gen.ExecutionId(0);
  Progress(fmt::format("projection: one run of {} events, export {}", count,
                       flag.empty() ? "with allNodes snapshots" : flag));
  const std::string file = c_.Path("long.jsonl");
  WriteJsonLines(file, options, count);
  const std::string db = c_.Path("long.db");
  RemoveDatabase(db);
  RunChecked(Cli({"ingest", file}, db));
  fs::remove(file);

  Projected p;
  p.events = count;
  const std::string raw_db = c_.Path("long-raw.db");
  RemoveDatabase(raw_db);
  {
    auto events = GenerateEvents(options, count);
    RawEventTable table(raw_db, "NORMAL");
    table.Begin();
    for (const auto& e : events)
      table.Insert(1, e.seq, e.timestamp_us, static_cast<int>(e.type), e.node, e.data_json);
    table.Commit();
  }
  std::vector<double> read_rates;
  for (int i = 0; i < 3; ++i) {
    RawEventTable table(raw_db, "NORMAL");
    int64_t bytes = 0;
    auto begin = Clock::now();
    const int64_t rows = table.ReadRun(1, &bytes);
    read_rates.push_back(static_cast<double>(rows) / Seconds(begin));
    if (rows != count) throw std::runtime_error("the raw read found a different count");
  }
  p.read_rate = Median(read_rates);
  RemoveDatabase(raw_db);

  const std::string out = c_.Path("trace.json");
  std::vector<std::string> argv = Cli({"export", id, "-o", out}, db);
  if (!flag.empty()) argv.push_back(flag);
  ProcessResult r = RunChecked(argv);
  p.rate = static_cast<double>(count) / r.wall_seconds;
  p.max_rss = r.max_rss_bytes;
  p.json_bytes = FileSize(out);
  fs::remove(out);
  RemoveDatabase(db);
  return p;
}

void Suite::Projection() {
  const std::string flag = SnapshotSwitch();
  auto row = [&](const Projected& p, const std::string& label, bool judged) {
    rows_.push_back(
        {fmt::format("projection of a {}-event run to JSON, {}", Count(p.events), label),
         Rate(p.rate), Rate(p.read_rate) + " read", Ratio(p.rate / p.read_rate),
         judged ? ">= 0.3x" : "-", judged ? YesNo(p.rate >= 0.3 * p.read_rate) : "-"});
  };
  auto memory_row = [&](const Projected& p, const std::string& label) {
    rows_.push_back(
        {fmt::format("peak memory, projecting the {}-event run ({})", Count(p.events), label),
         fmt::format("{} = {:.0f} B/event", Mb(p.max_rss),
                     static_cast<double>(p.max_rss) / p.events),
         "-", "-", "stated, bytes/event", "-"});
  };
  if (!flag.empty()) {
    Projected p = ProjectOneRun(c_.Scaled(1000000), flag);
    row(p, "no allNodes snapshots (" + flag + ")", true);
    memory_row(p, "no snapshots");
    notes_.push_back(
        fmt::format("Projection without snapshots wrote {} of JSON.", Mb(p.json_bytes)));
  }
  // With a snapshot of all 65 nodes in every progress event the JSON is tens
  // of kilobytes per event, so this variant uses a tenth of the run.
  Projected s = ProjectOneRun(c_.Scaled(100000), "");
  row(s,
      flag.empty() ? "with allNodes snapshots (the CLI has no switch to leave them out)"
                   : "with allNodes snapshots",
      flag.empty());
  if (flag.empty()) memory_row(s, "with snapshots");
  notes_.push_back(fmt::format(
      "Projection with snapshots runs on a {}-event run (a tenth of the 1M-event case: every "
      "progress event carries the state of all 65 nodes): it wrote {} ({:.0f} bytes/event), "
      "peak RSS {} ({:.0f} bytes/event).{}",
      Count(s.events), Mb(s.json_bytes), static_cast<double>(s.json_bytes) / s.events,
      Mb(s.max_rss), static_cast<double>(s.max_rss) / s.events,
      flag.empty() ? " `extrace export` has no switch to leave the snapshots out, so the "
                     "1M-event case without snapshots is not measured."
                   : ""));
  notes_.push_back(
      "Projection: `extrace --db DB export ID -o FILE` as a child process (wall time and "
      "peak RSS of the whole process) over one run of the 65-node flow whose leaves report many "
      "progress events. Baseline: the same rows in the raw table, `SELECT execution, seq, ts, "
      "type, node, data FROM events WHERE execution = ? ORDER BY seq`, every column read; the "
      "median of 3 reads.");
}

}  // namespace extrace::bench
