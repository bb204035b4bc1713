// The CLI's commands, one function each; main.cc parses the command line
// (CLI11) and calls them. Each returns the process exit code and writes its one
// error line to stderr itself.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace extrace::cli {

struct GlobalOptions {
  std::string db_path;  // --db, else $EXTRACE_DB, else ./extrace.db
};

int Ingest(const GlobalOptions& global, const std::vector<std::string>& files,
           bool normal_durability);
struct ListOptions {
  bool json = false;
  std::string flow;    // --flow ROOT_NODE_ID
  std::string status;  // --status completed|error|incomplete
  std::string since;   // --since / --until: ISO 8601 or epoch ms
  std::string until;
  std::string node;  // --node NODE (with --state S: in that last state)
  std::string state;
  std::string error;  // --error TEXT: substring of any error message
  std::optional<double> slower_than_ms;
  size_t limit = 0;
};
int List(const GlobalOptions& global, const ListOptions& options);
// `id` may be an execution id, `latest` (of `flow` when given) or an id prefix.
// `timeline`: a Gantt chart of the nodes instead of the table (render/terminal_timeline.h).
int Show(const GlobalOptions& global, const std::string& id, const std::string& flow, bool json,
         bool timeline = false);
// Read-only SQL over the views runs, node_runs, nodes, events (schema/README.md).
int Query(const GlobalOptions& global, const std::string& sql, bool json, double timeout_s);
// Rebuilds the summaries from the event log.
int Reindex(const GlobalOptions& global);
int Events(const GlobalOptions& global, const std::string& id, const std::string& node);
struct ExportOptions {
  std::string id;      // a run (id, latest or prefix); empty: the runs of flow and/or since
  std::string output;  // -o FILE; empty or "-": standard output
  std::string format = "trace";  // trace (the ExecutionTrace), chrome or otlp (render/)
  std::string flow;       // with an id: latest or a prefix within this flow; without: its runs
  std::string since;      // without an id: top-level runs started at or after (ISO 8601, epoch ms)
  bool snapshots = true;  // --no-snapshots: the trace's progress events without allNodes
};
// One run in the chosen format; without an id, every matching top-level run
// as OTLP/JSON, one object per line.
int Export(const GlobalOptions& global, const ExportOptions& options);

// Queries across runs (tools/cmd_compare.cc, cmd_bottlenecks.cc, cmd_history.cc,
// cmd_regressions.cc). Run arguments accept an id, `latest` or an id prefix.
int Compare(const GlobalOptions& global, const std::string& a, const std::string& b, bool json);
int Bottlenecks(const GlobalOptions& global, const std::string& id, int top, bool json);
int History(const GlobalOptions& global, const std::string& flow, int last, bool json);
// tools/cmd_flows.cc: every flow with its counts and newest run.
int Flows(const GlobalOptions& global, bool json);

struct RegressionOptions {
  std::string flow;
  std::string run;         // empty: the flow's latest run
  int baseline = 10;       // previous runs compared against
  double threshold = 1.5;  // latest >= threshold x baseline median (and beyond its spread)
  bool json = false;
};
int Regressions(const GlobalOptions& global, const RegressionOptions& options);

// tools/cmd_report.cc: the HTML report of run `id`, or of the two runs in
// `compare` (exactly one of them given), to `output` (default: a file named
// after the run(s) in the current folder).
int Report(const GlobalOptions& global, const std::string& id,
           const std::vector<std::string>& compare, const std::string& output);

// tools/cmd_copy.cc: `extrace copy`, runs from one store to another (any
// backends; storage/store_copy.h). Needs no --db: both stores are named.
struct CopyCommandOptions {
  std::string from;   // a store: SQLite path (or sqlite:PATH) or postgresql:// URI
  std::string to;     // created (SQLite) or migrated when new
  std::string flow;   // only runs of this flow, with their child runs
  std::string since;  // only runs started at or after (ISO 8601 or epoch ms)
};
int Copy(const CopyCommandOptions& options);

// tools/cmd_serve.cc: `extrace serve`, the HTTP server (server/server.h).
struct ServeOptions {
  std::string listen = "127.0.0.1:7117";  // HOST:PORT, [V6]:PORT or PORT
  std::string token_file;                 // needed for a non-loopback address
  std::string cors_origin;
  bool normal_durability = false;
  size_t max_body_bytes = size_t{64} << 20;
  size_t max_connections = 256;
  size_t max_streams = 64;
  unsigned threads = 0;  // 0: the server's default
  double header_timeout_s = 10;
  double body_timeout_s = 60;
  int busy_budget_ms = 10'000;
};
int Serve(const GlobalOptions& global, const ServeOptions& options);
struct TailOptions {
  std::string id;       // execution id, an id prefix, or `latest` (waits for a run to appear)
  std::string flow;     // with latest or a prefix: within this flow
  bool events = false;  // one line per event even on a terminal
  bool json = false;    // JSON Lines of the events, as `extrace events` prints them
};
// tools/cmd_tail.cc: follows a run from the store while another process
// records it; returns 0 when it completed, kExitRunFailed when it failed,
// 128 + the signal when SIGINT/SIGTERM stopped it.
int Tail(const GlobalOptions& global, const TailOptions& options);

}  // namespace extrace::cli
