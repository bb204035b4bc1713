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
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/flow_generator.h"
#include "bench/hot_path.h"
#include "bench/raw_sqlite.h"
#include "bench/recorder_api.h"
#include "bench/report.h"
#include "bench/subprocess.h"
#include "extrace/extrace.h"

namespace extrace::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Config {
  double scale = 1.0;
  bool quick = false;
  std::string cli;
  std::string micro;
  std::string work;
  std::string out;
  std::string command;
  std::set<std::string> only;
  bool keep = false;

  int64_t Scaled(int64_t full) const {
    return std::max<int64_t>(1000, std::llround(static_cast<double>(full) * scale));
  }
  bool Wants(const std::string& name) const { return only.empty() || only.count(name) > 0; }
  std::string Path(const std::string& name) const { return work + "/" + name; }
};

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

class Suite {
 public:
  explicit Suite(Config config) : c_(std::move(config)) {}

  void Run() {
    auto start = Clock::now();
    fs::create_directories(c_.work);
    if (c_.Wants("micro")) Micro();
    if (c_.Wants("hot")) HotPath();
    if (c_.Wants("sustained") || c_.Wants("naive")) Sustained();
    if (c_.Wants("ingest")) Ingest();
    if (c_.Wants("projection")) Projection();
    if (c_.Wants("queries")) Queries();
    if (c_.Wants("memory")) Memory();
    notes_.push_back(fmt::format(
        "Sizes: scale {} of the issue's (2M-event ingest, 1M-event run, 10,000 runs, 10M-event "
        "memory case); the whole suite took {:.0f} s.",
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

 private:
  void Progress(const std::string& text) {
    std::printf("[bench] %s\n", text.c_str());
    std::fflush(stdout);
  }

  std::vector<std::string> Cli(std::initializer_list<std::string> args, const std::string& db) {
    std::vector<std::string> argv{c_.cli, "--db", db};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // --- micro-benchmarks (Google Benchmark, a child process) -------------------
  void Micro() {
    if (c_.micro.empty() || access(c_.micro.c_str(), X_OK) != 0) {
      notes_.push_back("Micro-benchmarks skipped: extrace-micro was not built (libbenchmark-dev).");
      return;
    }
    Progress("micro-benchmarks (Google Benchmark)");
    const std::string json_path = c_.Path("micro.json");
    RunChecked({c_.micro, "--benchmark_out=" + json_path, "--benchmark_out_format=json",
                fmt::format("--benchmark_min_time={}", c_.quick ? 0.02 : 0.3)});
    auto doc = boost::json::parse(ReadFile(json_path));
    std::unordered_map<std::string, double> ns;
    for (const auto& b : doc.at("benchmarks").as_array()) {
      const auto& o = b.as_object();
      double scale = 1;
      std::string unit = boost::json::value_to<std::string>(o.at("time_unit"));
      if (unit == "us") scale = 1e3;
      if (unit == "ms") scale = 1e6;
      ns[boost::json::value_to<std::string>(o.at("name"))] =
          o.at("real_time").to_number<double>() * scale;
    }
    // Google Benchmark decorates names (/iterations:N/repeats:N/threads:N_median):
    // with `threads`, take the median of the repetitions on that many threads.
    auto find = [&](const std::string& base, int threads) -> const double* {
      for (const auto& [name, value] : ns) {
        if (name != base && name.rfind(base + "/", 0) != 0) continue;
        if (threads > 0 &&
            (name.find(fmt::format("threads:{}_median", threads)) == std::string::npos))
          continue;
        return &value;
      }
      return nullptr;
    };
    auto pair = [&](const std::string& label, const std::string& ours, const std::string& theirs,
                    int threads) {
      const double* a = find(ours, threads);
      const double* b = find(theirs, threads);
      if (!a || !b) return;
      rows_.push_back({label, Ns(*a), Ns(*b), Ratio(*a / *b), "-", "-"});
    };
    pair("micro: parse + validate one event line (EventParser vs reused Boost.JSON parser)",
         "BM_ExtraceParseLine", "BM_BoostJsonParseLine", 0);
    pair("micro: recorder hot-path call, mean, 1 thread (vs ring + clock)", "BM_RecorderHotPath",
         "BM_RingAndClock", 1);
    pair("micro: recorder hot-path call, 2 threads, wall time / all calls (vs ring + clock)",
         "BM_RecorderHotPath", "BM_RingAndClock", 2);
    notes_.push_back(
        "Micro rows are Google Benchmark means (the median of 5 repetitions of 32,768 calls for "
        "the "
        "hot path): one preemption of the calling thread inside a repetition moves them a lot on a "
        "loaded machine; the hot-path percentiles below are the robust figures.");
    if (ns.count("BM_SteadyClockNow"))
      notes_.push_back(fmt::format("steady_clock::now() costs {:.1f} ns here (Google Benchmark).",
                                   ns["BM_SteadyClockNow"]));
  }

  // --- 1. hot path ------------------------------------------------------------
  void HotPath() {
    for (int threads : {1, 2}) {
      Progress(fmt::format("hot path, {} thread(s), {} API", threads, HotPathApi()));
      HotPathOptions o;
      o.threads = threads;
      o.calls_per_round = 32768 / threads;
      o.rounds = c_.quick ? 3 : 20;
      LatencyStats base = MeasureBaselineRing(o);
      const std::string db = c_.Path("hot.db");
      RemoveDatabase(db);
      LatencyStats ours;
      {
        auto recorder = OpenRecorder(db);
        if (!recorder) throw std::runtime_error("OpenRecorder: " + recorder.error().message);
        ours = MeasureRecorderHotPath(**recorder, o);
      }
      RemoveDatabase(db);
      const std::string t = fmt::format("{} thread{}", threads, threads > 1 ? "s" : "");
      rows_.push_back({fmt::format("hot path p50 ns/event, {} ({} API)", t, HotPathApi()),
                       Ns(ours.p50_ns), Ns(base.p50_ns), Ratio(ours.p50_ns / base.p50_ns), "<= 2x",
                       YesNo(ours.p50_ns <= 2 * base.p50_ns)});
      rows_.push_back({fmt::format("hot path p99 ns/event, {}", t), Ns(ours.p99_ns),
                       Ns(base.p99_ns), Ratio(ours.p99_ns / base.p99_ns), "<= 500 ns",
                       YesNo(ours.p99_ns <= 500)});
      rows_.push_back({fmt::format("hot path allocations/event (no strings), {}", t),
                       fmt::format("{:.2f}", ours.allocations_per_event),
                       fmt::format("{:.2f}", base.allocations_per_event), "-", "0",
                       YesNo(ours.allocations_per_event == 0)});
      notes_.push_back(fmt::format(
          "Hot path, {}: {} calls per thread timed one by one; extrace p99.9 {:.0f} ns, mean "
          "{:.1f} "
          "ns; baseline p99.9 {:.0f} ns, mean {:.1f} ns.",
          t, ours.samples / threads, ours.p999_ns, ours.mean_ns, base.p999_ns, base.mean_ns));
    }
    notes_.push_back(fmt::format(
        "Hot path method: each call is timed alone between two lfence-fenced rdtsc reads (TSC "
        "calibrated against steady_clock), minus the timer's own cost ({:.1f} ns, the median of an "
        "empty timed region). Calls cycle executing / progress (no message) / completed over the "
        "48 "
        "leaves of a started run; rounds of 32,768 calls in total (below the 65,536-event queue, "
        "so "
        "back-pressure is not what is measured), then Flush() untimed. The writer thread (and the "
        "baseline's consumer thread) runs during the round. Baseline: steady_clock::now() plus a "
        "copy of a 48-byte POD into a preallocated 65,536-slot ring drained by a consumer thread: "
        "single-producer ring (one release store) for 1 thread; for 2 threads the minimum two "
        "producers need, a fetch_add ticket plus a per-slot sequence (Vyukov's bounded queue). "
        "Allocations: the driver replaces the global operator new with a per-thread counter, read "
        "around each thread's timed loop. On 2 cores the 2-thread figures also depend on the "
        "scheduler: while extrace's writer thread is busy, the two producers rarely run at the "
        "same time, while the baseline's idle consumer leaves them both a core to contend on.",
        TimerOverheadNs()));
  }

  // --- 2. sustained, and 8. the naive way -------------------------------------
  // The whole stream in memory, so that the timed loops only consume it.
  static std::vector<GenEvent> GenerateEvents(const GenOptions& options, int64_t count) {
    EventGenerator generator(options, count);
    std::vector<GenEvent> events(static_cast<size_t>(count));
    size_t n = 0;
    while (n < events.size() && generator.Next(events[n])) ++n;
    events.resize(n);
    return events;
  }

  template <typename R>
  double FeedRecorder(R& recorder, const EventGenerator& gen, const std::vector<GenEvent>& events) {
    std::vector<std::string> node_ids;
    for (const auto& n : gen.graph()) node_ids.push_back(n.id);
    std::vector<std::string> run_ids;
    for (int64_t r = 0; r <= events.back().run; ++r) run_ids.push_back(gen.ExecutionId(r));
    RunStart start("flow", gen.graph());
    start.config_json = gen.config_json();
    RunNodes<R> nodes;
    auto begin = Clock::now();
    for (const auto& e : events) {
      const std::string& run = run_ids[static_cast<size_t>(e.run)];
      switch (e.type) {
        case EventType::kStarted: {
          start.execution_id = run;
          auto id = recorder.StartRun(start);
          if (!id) throw std::runtime_error("StartRun: " + id.error().message);
          if (!nodes.Resolve(recorder, run, node_ids))
            throw std::runtime_error("Recorder::Node refused a benchmark node");
          break;
        }
        case EventType::kStateChange:
          nodes.State(recorder, static_cast<size_t>(e.node), e.state);
          break;
        case EventType::kProgress:
          nodes.Progress(recorder, static_cast<size_t>(e.node), e.progress, e.message);
          break;
        case EventType::kCompleted:
          recorder.CompleteRun(run);
          break;
        case EventType::kError:
          recorder.FailRun(run, "failed");
          break;
      }
    }
    if (auto flushed = recorder.Flush(); !flushed)
      throw std::runtime_error("Flush: " + flushed.error().message);
    return static_cast<double>(events.size()) / Seconds(begin);
  }

  static double RawInsert(const std::string& path, const std::string& sync,
                          const std::vector<GenEvent>& events) {
    RemoveDatabase(path);
    RawEventTable table(path, sync);
    auto begin = Clock::now();
    for (size_t i = 0; i < events.size(); i += kRawBatch) {
      table.Begin();
      for (size_t j = i; j < std::min(events.size(), i + kRawBatch); ++j) {
        const auto& e = events[j];
        table.Insert(e.run + 1, e.seq, e.timestamp_us, static_cast<int>(e.type), e.node,
                     e.data_json);
      }
      table.Commit();
    }
    return static_cast<double>(events.size()) / Seconds(begin);
  }

  // One INSERT per transaction (autocommit) for `seconds`: events per second.
  static double NaiveInsert(const std::string& path, const std::string& sync,
                            const std::vector<GenEvent>& events, double seconds) {
    RemoveDatabase(path);
    RawEventTable table(path, sync);
    auto begin = Clock::now();
    size_t n = 0;
    while (n < events.size() && (n % 64 != 0 || Seconds(begin) < seconds)) {
      const auto& e = events[n++];
      table.Insert(e.run + 1, e.seq, e.timestamp_us, static_cast<int>(e.type), e.node, e.data_json);
    }
    return static_cast<double>(n) / Seconds(begin);
  }

  void Sustained() {
    const int64_t count = c_.Scaled(1000000);
    const EventGenerator gen(GenOptions{}, count);
    const auto events = GenerateEvents(GenOptions{}, count);
    for (Durability mode : {Durability::kFull, Durability::kNormal}) {
      const bool full = mode == Durability::kFull;
      const std::string sync = full ? "FULL" : "NORMAL";
      const std::string name = full ? "full" : "normal";
      double ours = 0;
      if (c_.Wants("sustained")) {
        Progress(fmt::format("recorder sustained, {} events, durability {}", count, name));
        const std::string db = c_.Path("sustained.db");
        RemoveDatabase(db);
        {
          RecorderOptions options;
          options.durability = mode;
          auto recorder = OpenRecorder(db, options);
          if (!recorder) throw std::runtime_error("OpenRecorder: " + recorder.error().message);
          ours = FeedRecorder(**recorder, gen, events);
        }
        RemoveDatabase(db);
        const double raw = RawInsert(c_.Path("raw.db"), sync, events);
        RemoveDatabase(c_.Path("raw.db"));
        rows_.push_back(
            {fmt::format("recorder sustained ev/s until Flush(), {} (sync={})", name, sync),
             Rate(ours), Rate(raw), Ratio(ours / raw), ">= 1.0x", YesNo(ours >= raw)});
      }
      if (c_.Wants("naive")) {
        Progress(fmt::format("naive autocommit per event, sync={}", sync));
        const double naive = NaiveInsert(c_.Path("naive.db"), sync, events, c_.quick ? 0.3 : 3.0);
        RemoveDatabase(c_.Path("naive.db"));
        if (ours > 0)
          rows_.push_back({fmt::format("naive: autocommit per event, sync={} (extrace recorder "
                                       "vs it)",
                                       sync),
                           Rate(ours), Rate(naive), Ratio(ours / naive), "shown", "-"});
        else
          rows_.push_back({fmt::format("naive: autocommit per event, sync={}", sync), "-",
                           Rate(naive), "-", "shown", "-"});
      }
    }
    notes_.push_back(fmt::format(
        "Sustained: {} events of consecutive runs of the 65-node flow (graph in each started, per "
        "leaf executing, 3 progress with a message, completed) through the recorder API ({} API), "
        "timed from the first call until Flush() returned. Baseline: the same rows (run and node "
        "as integers, JSON text data) into `events(execution, seq, ts, type, node, data, PRIMARY "
        "KEY(execution, seq)) WITHOUT ROWID`, one reused prepared INSERT, {} rows per transaction, "
        "WAL, the same synchronous setting. Naive: the same INSERT in autocommit, one transaction "
        "per event, for {} s.",
        events.size(), HotPathApi(), kRawBatch, c_.quick ? 0.3 : 3.0));
  }

  // --- 3. ingest, 4. bytes per event ------------------------------------------
  // The baseline of `extrace ingest`: Boost.JSON with a reused parser, ids
  // interned in hash maps, data stored as JSON text, no validation.
  static double RawIngest(const std::string& file, const std::string& db, int64_t* events) {
    RemoveDatabase(db);
    RawEventTable table(db, "FULL");
    auto begin = Clock::now();
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"),
                                                       &std::fclose);
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

  void Ingest() {
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
                     Rate(ours), Rate(raw), Ratio(ours / raw), ">= 0.8x",
                     YesNo(ours >= 0.8 * raw)});

    const double db_per_event = static_cast<double>(CheckpointedFileSize(db)) / count;
    const double raw_per_event =
        static_cast<double>(CheckpointedFileSize(c_.Path("raw-ingest.db"))) / count;
    const double jsonl_per_event = static_cast<double>(file_bytes) / count;
    rows_.push_back({"bytes/event on disk after ingest (vs the JSONL file)",
                     fmt::format("{:.1f} B", db_per_event),
                     fmt::format("{:.1f} B", jsonl_per_event),
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

  // --- 5. projection ----------------------------------------------------------
  // The export switch that leaves the allNodes snapshots out, if the CLI has one.
  std::string SnapshotSwitch() {
    const std::string help = c_.Path("export-help.txt");
    RunProcess({c_.cli, "export", "--help"}, help);
    std::smatch match;
    std::string text = ReadFile(help);
    // A switch that leaves them out, by its name: --no-snapshots, --without-all-nodes, ...
    static const std::regex kFlag(
        "--(no|without|skip|omit|drop)-[a-z-]*(snapshot|all-nodes|allnodes)[a-z-]*");
    return std::regex_search(text, match, kFlag) ? match.str() : "";
  }

  struct Projected {
    int64_t events = 0;
    double rate = 0;       // events per second of `extrace export`
    double read_rate = 0;  // events per second of the plain SQLite read
    int64_t max_rss = 0;
    int64_t json_bytes = 0;
  };

  // One run of about `target` events (the 65-node flow, many progress events
  // per leaf): ingested, then exported by the CLI (with `flag` when not
  // empty), against reading the same rows in seq order with plain SQLite.
  Projected ProjectOneRun(int64_t target, const std::string& flag) {
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

  void Projection() {
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

  // --- 6. queries at 10,000 runs ----------------------------------------------
  void Queries() {
    const int64_t runs = std::max<int64_t>(20, std::llround(10000 * c_.scale));
    GenOptions options;
    options.shape = kFlow50;
    options.seed = 7;
    EventGenerator sizing(options, 0);
    const int64_t count = runs * sizing.events_per_run();
    const std::string file = c_.Path("runs.jsonl");
    Progress(fmt::format("queries: {} runs of a 50-node flow ({} events)", runs, count));
    WriteJsonLines(file, options, count);
    const std::string db = c_.Path("runs.db");
    RemoveDatabase(db);
    ProcessResult ingest = RunChecked(Cli({"ingest", file}, db));
    fs::remove(file);
    notes_.push_back(fmt::format(
        "Queries: {} runs ({} events, ingested in {:.1f} s); each command is a child process "
        "(start-up included), output to /dev/null, the median of {} runs after one warm-up.",
        runs, count, ingest.wall_seconds, c_.quick ? 3 : 7));
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
      rows_.push_back({fmt::format("`{}` at {} runs of a 50-node flow", command.label, runs),
                       Ms(ms), "-", "-", "< 100 ms", YesNo(ms < 100)});
    }
    RemoveDatabase(db);
  }

  // --- 7. peak memory of ingest ------------------------------------------------
  ProcessResult IngestFromStdin(int64_t count) {
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

  void Memory() {
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

  Config c_;
  std::vector<Row> rows_;
  std::vector<std::string> notes_;
};

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
        std::fprintf(stderr,
                     "usage: extrace-bench [--scale S | --quick] [--out FILE] [--cli PATH] "
                     "[--micro PATH] [--work DIR] [--only micro,hot,sustained,naive,"
                     "ingest,projection,queries,memory] [--command TEXT] [--keep]\n");
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
