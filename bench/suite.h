// extrace-bench's suite: its configuration, the formatting of its figures,
// and the Suite whose cases fill one table of rows and notes. Each group of
// cases is a file of its own (bench/suite_*.cc); bench_main.cc parses the
// command line and runs the suite. Used from one thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bench/flow_generator.h"
#include "bench/report.h"
#include "bench/subprocess.h"

namespace extrace::bench {

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

// Seconds since `since`.
double Seconds(Clock::time_point since);

// Figures as the table shows them.
std::string Count(double n);
std::string Rate(double per_second);
std::string Ns(double ns);
std::string Ms(double ms);
std::string Mb(int64_t bytes);
std::string Ratio(double r);
std::string YesNo(bool met);

int64_t FileSize(const std::string& path);
std::string ReadFile(const std::string& path);
double Median(std::vector<double> values);
// The nearest-rank percentile `p` (0 < p <= 1) of `values`; 0 when empty.
double Percentile(std::vector<double> values, double p);

class Suite {
 public:
  explicit Suite(Config config) : c_(std::move(config)) {}

  // Runs the chosen cases, prints the table and writes the report.
  void Run();

 private:
  void Progress(const std::string& text);
  std::vector<std::string> Cli(std::initializer_list<std::string> args, const std::string& db);

  // suite_calls.cc
  void Micro();
  void HotPath();

  // suite_sustained.cc
  // The whole stream in memory, so that the timed loops only consume it.
  static std::vector<GenEvent> GenerateEvents(const GenOptions& options, int64_t count);
  template <typename R>
  double FeedRecorder(R& recorder, const EventGenerator& gen, const std::vector<GenEvent>& events);
  static double RawInsert(const std::string& path, const std::string& sync,
                          const std::vector<GenEvent>& events);
  // One INSERT per transaction (autocommit) for `seconds`: events per second.
  static double NaiveInsert(const std::string& path, const std::string& sync,
                            const std::vector<GenEvent>& events, double seconds);
  void Sustained();

  // suite_ingest.cc
  // The baseline of `extrace ingest`: Boost.JSON with a reused parser, ids
  // interned in hash maps, data stored as JSON text, no validation.
  static double RawIngest(const std::string& file, const std::string& db, int64_t* events);
  void Ingest();
  ProcessResult IngestFromStdin(int64_t count);
  void Memory();

  // suite_projection.cc
  // The export switch that leaves the allNodes snapshots out, if the CLI has one.
  std::string SnapshotSwitch();
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
  Projected ProjectOneRun(int64_t target, const std::string& flag);
  void Projection();

  // suite_queries.cc
  void Queries();
  // The queries over a store (`store`: its name in the rows, empty for SQLite).
  void QueriesOn(const std::string& db, const std::string& store);

  // suite_postgres.cc: ingest into PostgreSQL against psql \copy, and the
  // queries on PostgreSQL (skipped, with a note, without PGHOST).
  void Postgres();

  // suite_serve.cc: `extrace serve` over HTTP. Ingest by 4 producers against
  // `extrace ingest` of the same events; the delay from a POST's answer to
  // the event on an SSE stream; reads of runs while ingest goes on.
  void ServeIngest();
  void ServeLive();
  void ServeReads();

  Config c_;
  std::vector<Row> rows_;
  std::vector<std::string> notes_;
};

}  // namespace extrace::bench
