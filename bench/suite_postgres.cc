// The suite's PostgreSQL cases (issue 13), on the server the PG* variables
// name (`make bench` runs the suite inside pg_virtualenv, which starts one):
// 8. `extrace ingest` into PostgreSQL against psql's \copy of the same events'
// rows into a bare table with the same primary key (the floor of what
// PostgreSQL takes), and 9. list, compare, history and regressions at 10,000
// runs of a 50-node flow on PostgreSQL. Without a server: a note, no rows.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "bench/flow_generator.h"
#include "bench/subprocess.h"
#include "bench/suite.h"

namespace extrace::bench {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Psql(const std::string& db, const std::string& command) {
  return {"/usr/bin/psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", command};
}

// A database of its own for one case: created now, dropped at the end.
class PgDatabase {
 public:
  explicit PgDatabase(std::string name) : name_(std::move(name)) {
    RunChecked({"/usr/bin/dropdb", "--if-exists", name_});
    RunChecked({"/usr/bin/createdb", name_});
  }
  ~PgDatabase() {
    try {
      RunProcess({"/usr/bin/dropdb", "--force", "--if-exists", name_});
    } catch (const std::exception&) {  // a failed drop leaves a database behind, no more
    }
  }
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;
  const std::string& name() const { return name_; }
  std::string uri() const { return "postgresql:///" + name_; }

 private:
  std::string name_;
};

// One CSV field, quoted (the data has commas, quotes and line breaks).
void AppendCsvText(const std::string& text, std::string& out) {
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// `events` events as JSON Lines (for extrace) and as CSV rows of the bare
// table (execution, seq, ts_us, type, node, data) for \copy, from one stream.
void WriteBothForms(const std::string& jsonl, const std::string& csv, int64_t events) {
  GenOptions options;
  EventGenerator gen(options, events);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> json_out(std::fopen(jsonl.c_str(), "wb"),
                                                           &std::fclose);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> csv_out(std::fopen(csv.c_str(), "wb"),
                                                          &std::fclose);
  if (!json_out || !csv_out) throw std::runtime_error("cannot write " + jsonl + " or " + csv);
  GenEvent event;
  std::string line, row;
  while (gen.Next(event)) {
    line.clear();
    gen.AppendJsonLine(event, line);
    std::fwrite(line.data(), 1, line.size(), json_out.get());
    row = fmt::format("{},{},{},{},", event.run, event.seq, event.timestamp_us,
                      static_cast<int>(event.type));
    if (event.node >= 0) AppendCsvText(gen.graph()[static_cast<size_t>(event.node)].id, row);
    row += ',';
    AppendCsvText(event.data_json, row);
    row += '\n';
    std::fwrite(row.data(), 1, row.size(), csv_out.get());
  }
}

}  // namespace

void Suite::Postgres() {
  const char* host = std::getenv("PGHOST");
  if (!host || !*host) {
    Progress("postgres: skipped, PGHOST is unset (make bench runs the suite in pg_virtualenv)");
    notes_.push_back(
        "PostgreSQL: not measured in this run (no server: PGHOST unset). `make bench` runs the "
        "suite inside pg_virtualenv, which starts a throwaway PostgreSQL 15.");
    return;
  }
  const std::string version_file = c_.Path("pg-version.txt");
  RunChecked(Psql("postgres", "SHOW server_version"), {0}, version_file);
  std::string version = ReadFile(version_file);
  while (!version.empty() && (version.back() == '\n' || version.back() == ' ')) version.pop_back();

  // 8. ingest against \copy.
  const int64_t count = c_.Scaled(1'000'000);
  const std::string jsonl = c_.Path("pg-events.jsonl"), csv = c_.Path("pg-events.csv");
  Progress(fmt::format("postgres: ingest of {} events against psql \\copy", count));
  WriteBothForms(jsonl, csv, count);
  double ingest_seconds = 0, copy_seconds = 0;
  {
    PgDatabase db("extrace_bench_copy");
    RunChecked(Psql(db.name(),
                    "CREATE TABLE bare (execution bigint NOT NULL, seq bigint NOT NULL, "
                    "ts_us bigint NOT NULL, type smallint NOT NULL, node text, data text, "
                    "PRIMARY KEY (execution, seq))"));
    copy_seconds = RunChecked(Psql(db.name(), "\\copy bare FROM '" + csv + "' WITH (FORMAT csv)"))
                       .wall_seconds;
  }
  {
    PgDatabase db("extrace_bench_ingest");
    ingest_seconds = RunChecked({c_.cli, "--db", db.uri(), "ingest", jsonl}).wall_seconds;
  }
  fs::remove(jsonl);
  fs::remove(csv);
  const double ingest_rate = static_cast<double>(count) / ingest_seconds;
  const double copy_rate = static_cast<double>(count) / copy_seconds;
  rows_.push_back({fmt::format("`extrace ingest` into PostgreSQL, {} events", Count(count)),
                   Rate(ingest_rate), Rate(copy_rate), Ratio(ingest_rate / copy_rate), ">= 0.5x",
                   YesNo(ingest_rate / copy_rate >= 0.5)});
  notes_.push_back(fmt::format(
      "PostgreSQL {} (pg_virtualenv, local TCP, default settings; the CLI's default durability, "
      "synchronous_commit on). Ingest baseline: `psql \\copy` of the same events' rows "
      "(execution, seq, ts_us, type, node, data as JSON text) from CSV into a bare table with "
      "the primary key (execution, seq), psql's start-up included, as extrace's is.",
      version));

  // 9. the queries, on the same data as the SQLite case.
  PgDatabase db("extrace_bench_queries");
  QueriesOn(db.uri(), "PostgreSQL");
}

}  // namespace extrace::bench
