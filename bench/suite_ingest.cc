// The suite's ingest cases: 3. `extrace ingest` against Boost.JSON + raw
// SQLite, 4. bytes per event on disk, and 7. the peak memory of an ingest
// from standard input.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <unordered_map>

#include "bench/flow_generator.h"
#include "bench/raw_sqlite.h"
#include "bench/subprocess.h"
#include "bench/suite.h"

namespace extrace::bench {

namespace fs = std::filesystem;

double Suite::RawIngest(const std::string& file, const std::string& db, int64_t* events) {
  RemoveDatabase(db);
  RawEventTable table(db, "FULL");
  auto begin = Clock::now();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!in) throw std::runtime_error("cannot read " + file);
  boost::json::parser parser;
  std::unordered_map<std::string, int64_t> runs, nodes;
  std::string pending;
  std::vector<char> chunk(1 << 22);
  int64_t n = 0;
  auto intern = [](std::unordered_map<std::string, int64_t>& map, std::string_view key) {
    auto it = map.find(std::string(key));
    if (it != map.end()) return it->second;
    int64_t id = static_cast<int64_t>(map.size()) + 1;
    map.emplace(std::string(key), id);
    return id;
  };
  auto line_done = [&](std::string_view line) {
    if (line.empty()) return;
    parser.reset();
    parser.write(line);
    boost::json::value v = parser.release();
    const auto& o = v.as_object();
    int64_t run = intern(runs, o.at("executionId").as_string());
    int64_t seq = o.at("seq").to_number<int64_t>();
    int64_t ts = std::llround(o.at("timestamp").to_number<double>() * 1000.0);
    std::string_view type_name = o.at("type").as_string();
    int type = type_name == "started"        ? 1
               : type_name == "progress"     ? 2
               : type_name == "state-change" ? 3
               : type_name == "completed"    ? 4
                                             : 5;
    int64_t node = -1;
    if (const auto* id = o.if_contains("nodeId")) node = intern(nodes, id->as_string());
    std::string data;
    if (const auto* d = o.if_contains("data")) data = boost::json::serialize(*d);
    if (n % kRawBatch == 0) table.Begin();
    table.Insert(run, seq, ts, type, node, data);
    if (++n % kRawBatch == 0) table.Commit();
  };
  size_t got;
  while ((got = std::fread(chunk.data(), 1, chunk.size(), in.get())) > 0) {
    std::string_view view(chunk.data(), got);
    size_t start = 0;
    for (size_t nl = view.find('\n'); nl != std::string_view::npos; nl = view.find('\n', start)) {
      if (pending.empty()) {
        line_done(view.substr(start, nl - start));
      } else {
        pending.append(view.substr(start, nl - start));
        line_done(pending);
        pending.clear();
      }
      start = nl + 1;
    }
    pending.append(view.substr(start));
  }
  line_done(pending);
  if (n % kRawBatch != 0) table.Commit();
  *events = n;
  return static_cast<double>(n) / Seconds(begin);
}

void Suite::Ingest() {
  const int64_t count = c_.Scaled(2000000);
  const std::string file = c_.Path("ingest.jsonl");
  Progress(fmt::format("generating {} events of JSON Lines", count));
  const int64_t file_bytes = WriteJsonLines(file, GenOptions{}, count);
  const std::string db = c_.Path("ingest.db");
  RemoveDatabase(db);
  Progress("extrace ingest (child process, durability full)");
  ProcessResult ingest = RunChecked(Cli({"ingest", file}, db));
  const double ours = static_cast<double>(count) / ingest.wall_seconds;
  Progress("baseline: Boost.JSON + raw SQLite inserts (sync=FULL)");
  int64_t raw_events = 0;
  const double raw = RawIngest(file, c_.Path("raw-ingest.db"), &raw_events);
  if (raw_events != count) throw std::runtime_error("the raw ingest read a different count");
  rows_.push_back({fmt::format("`extrace ingest` {}-event JSONL, ev/s (sync=FULL)", Count(count)),
                   Rate(ours), Rate(raw), Ratio(ours / raw), ">= 0.8x", YesNo(ours >= 0.8 * raw)});

  const double db_per_event = static_cast<double>(CheckpointedFileSize(db)) / count;
  const double raw_per_event =
      static_cast<double>(CheckpointedFileSize(c_.Path("raw-ingest.db"))) / count;
  const double jsonl_per_event = static_cast<double>(file_bytes) / count;
  rows_.push_back({"bytes/event on disk after ingest (vs the JSONL file)",
                   fmt::format("{:.1f} B", db_per_event), fmt::format("{:.1f} B", jsonl_per_event),
                   Ratio(db_per_event / jsonl_per_event), "<= 0.35x",
                   YesNo(db_per_event <= 0.35 * jsonl_per_event)});
  notes_.push_back(fmt::format(
      "Ingest: `extrace --db DB ingest FILE` as a child process, wall time from spawn to exit "
      "(peak RSS {}), file {} ({:.0f} bytes/event). Baseline in this process: the file read in "
      "4 MB chunks, each line parsed with one reused boost::json::parser, executionId and nodeId "
      "interned in std::unordered_map, data re-serialized as JSON text, inserted as in the "
      "sustained case with synchronous=FULL. Bytes: the database file after `PRAGMA "
      "wal_checkpoint(TRUNCATE)`, all tables and indexes included, over the events; the raw "
      "baseline table takes {:.1f} bytes/event.",
      Mb(ingest.max_rss_bytes), Mb(file_bytes), jsonl_per_event, raw_per_event));
  RemoveDatabase(db);
  RemoveDatabase(c_.Path("raw-ingest.db"));
  fs::remove(file);
}

ProcessResult Suite::IngestFromStdin(int64_t count) {
  const std::string db = c_.Path("memory.db");
  RemoveDatabase(db);
  ProcessResult r = RunChecked(Cli({"ingest"}, db), {0}, "/dev/null", [&](int fd) {
    EventGenerator gen(GenOptions{}, count);
    GenEvent event;
    std::string buffer;
    while (gen.Next(event)) {
      gen.AppendJsonLine(event, buffer);
      if (buffer.size() >= (1 << 20)) {
        WriteAll(fd, buffer.data(), buffer.size());
        buffer.clear();
      }
    }
    WriteAll(fd, buffer.data(), buffer.size());
  });
  RemoveDatabase(db);
  return r;
}

void Suite::Memory() {
  const int64_t small = c_.Scaled(1000000), large = c_.Scaled(10000000);
  Progress(fmt::format("peak memory: ingest {} events from standard input", small));
  ProcessResult a = IngestFromStdin(small);
  Progress(fmt::format("peak memory: ingest {} events from standard input", large));
  ProcessResult b = IngestFromStdin(large);
  // Independent of the input size: ten times the events may cost a little
  // more (allocator arenas, SQLite's page cache filling up), not ten times.
  const double growth = static_cast<double>(b.max_rss_bytes) / a.max_rss_bytes;
  rows_.push_back({fmt::format("peak memory, ingest {} events via stdin", Count(small)),
                   Mb(a.max_rss_bytes), "-", "-", "< 100 MB",
                   YesNo(a.max_rss_bytes < 100 * 1000 * 1000)});
  rows_.push_back(
      {fmt::format("peak memory, ingest {} events via stdin (vs {})", Count(large), Count(small)),
       Mb(b.max_rss_bytes), Mb(a.max_rss_bytes), Ratio(growth), "< 100 MB and <= 1.25x",
       YesNo(b.max_rss_bytes < 100 * 1000 * 1000 && growth <= 1.25)});
  notes_.push_back(fmt::format(
      "Memory: the generator streams JSON Lines into `extrace ingest` through a pipe (no file); "
      "peak RSS is ru_maxrss from wait4, taken by a small probe process (bench/rss_probe.cc) "
      "that spawns the CLI, since Linux carries a spawning parent's peak RSS into its child's "
      "ru_maxrss. Those runs stored {} and {} "
      "at the same time.",
      Rate(static_cast<double>(small) / a.wall_seconds),
      Rate(static_cast<double>(large) / b.wall_seconds)));
}

}  // namespace extrace::bench
