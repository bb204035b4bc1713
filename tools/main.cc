// The extrace command line: parses arguments (CLI11, included here only because
// it is slow to compile) and dispatches to the commands in commands.h.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "tools/commands.h"
#include "tools/exit_codes.h"

int main(int argc, char** argv) {
  using namespace extrace::cli;
  CLI::App app{"extrace: record, store and look up execution traces of node-graph runs"};
  app.require_subcommand(1);
  GlobalOptions global;
  const char* env_db = std::getenv("EXTRACE_DB");
  global.db_path = env_db && *env_db ? env_db : "./extrace.db";
  app.add_option("--db", global.db_path,
                 "event store file (default $EXTRACE_DB, else ./extrace.db)");

  std::vector<std::string> files;
  bool normal_durability = false;
  auto* ingest =
      app.add_subcommand("ingest", "store events from JSON Lines files (standard input when none)");
  ingest->add_option("files", files, "JSON Lines files (- for standard input)");
  ingest->add_flag("--durability-normal", normal_durability,
                   "survive a process crash only (faster); default: survive a power cut");

  bool json = false;
  ListOptions list_options;
  double slower_than = -1;
  auto* list = app.add_subcommand("list", "runs, newest first");
  list->add_flag("--json", list_options.json, "JSON array");
  list->add_option("--flow", list_options.flow, "only runs of this flow (root node id)");
  list->add_option("--status", list_options.status, "completed, error or incomplete");
  list->add_option("--since", list_options.since, "started at or after (ISO 8601 or epoch ms)");
  list->add_option("--until", list_options.until, "started at or before (ISO 8601 or epoch ms)");
  list->add_option("--node", list_options.node, "runs that have this node (see --state)");
  list->add_option("--state", list_options.state,
                   "with --node: the node's last state (error alone: any node)");
  list->add_option("--error", list_options.error, "an error message contains this text (any case)");
  list->add_option("--slower-than", slower_than, "runs that took longer than this many ms");
  list->add_option("--limit", list_options.limit, "at most this many runs");

  std::string id;
  std::string show_flow;
  auto* show = app.add_subcommand("show", "a run's tree of nodes");
  show->add_option("id", id, "execution id, latest, or an id prefix")->required();
  show->add_option("--flow", show_flow, "with latest or a prefix: within this flow");
  show->add_flag("--json", json, "the ExecutionTrace as JSON");
  bool timeline = false;
  show->add_flag("--timeline", timeline,
                 "a Gantt chart of the nodes, as wide as the terminal (NO_COLOR: no colour)");

  std::string node;
  auto* events = app.add_subcommand("events", "a run's events in seq order, as JSON Lines");
  events->add_option("id", id, "execution id, latest, or an id prefix")->required();
  events->add_option("--node", node, "only the events of this node");

  ExportOptions export_options;
  auto* exporter = app.add_subcommand(
      "export", "a run as ExecutionTrace JSON, Chrome trace or OTLP/JSON, to a file or stdout");
  exporter->add_option("id", export_options.id,
                       "execution id, latest, or an id prefix (none: the runs of --flow/--since)");
  exporter->add_option("-o,--output", export_options.output,
                       "file to write (default, or -: standard output)");
  exporter->add_option(
      "--format", export_options.format,
      "trace (the ExecutionTrace, default), chrome (Perfetto) or otlp (OTLP/JSON)");
  exporter->add_option("--flow", export_options.flow,
                       "with latest or a prefix: within this flow; without an id: its runs");
  exporter->add_option("--since", export_options.since,
                       "without an id: runs started at or after (ISO 8601 or epoch ms)");
  bool no_snapshots = false;
  exporter->add_flag("--no-snapshots", no_snapshots,
                     "trace format: leave the allNodes snapshot out of each progress event "
                     "(linear time on long runs)");

  std::string sql;
  auto* query =
      app.add_subcommand("query", "read-only SQL over the views runs, node_runs, nodes, events");
  query->add_option("sql", sql, "one SELECT statement")->required();
  query->add_flag("--json", json, "JSON array of objects");
  double query_timeout_s = 30;
  query
      ->add_option("--timeout", query_timeout_s,
                   "seconds the statement may run before it is stopped (exit 16; default 30, "
                   "0: no limit)")
      ->check(CLI::Range(0.0, 1e6));

  auto* reindex = app.add_subcommand("reindex", "rebuild the summary tables from the event log");

  std::string other;
  auto* compare = app.add_subcommand("compare", "what changed between two runs, node by node");
  compare->add_option("a", id, "the first run (id, latest or id prefix)")->required();
  compare->add_option("b", other, "the second run")->required();
  compare->add_flag("--json", json, "JSON");

  int top = 10;
  auto* bottlenecks = app.add_subcommand(
      "bottlenecks", "where a run's time went: total and self time, critical path, stalls");
  bottlenecks->add_option("id", id, "the run (id, latest or id prefix)")->required();
  bottlenecks->add_option("--top", top, "how many nodes and stalls to list (default 10)");
  bottlenecks->add_flag("--json", json, "JSON");

  std::string flow;
  int last = 50;
  auto* history = app.add_subcommand("history", "a flow's runs over time, per node");
  history->add_option("flow", flow, "the flow (root node id)")->required();
  history->add_option("--last", last, "how many of the latest runs (default 50)");
  history->add_flag("--json", json, "JSON");

  auto* flows = app.add_subcommand("flows", "every flow: its runs by status and its newest run");
  flows->add_flag("--json", json, "JSON (the same document as GET /v1/flows)");

  RegressionOptions regression;
  auto* regressions = app.add_subcommand(
      "regressions", "nodes of a run that got slower than the runs before it (exit 12 when any)");
  regressions->add_option("flow", regression.flow, "the flow (root node id)")->required();
  regressions->add_option("--run", regression.run, "the run to judge (default: the flow's latest)");
  regressions->add_option("--baseline", regression.baseline,
                          "previous runs to compare against (default 10)");
  regressions->add_option("--threshold", regression.threshold,
                          "slower by at least this ratio (default 1.5)");
  regressions->add_flag("--json", regression.json, "JSON");

  std::string report_id, report_output;
  std::vector<std::string> report_compare;
  auto* report = app.add_subcommand(
      "report", "a self-contained HTML page: timeline, progress, bottlenecks (or --compare A B)");
  report->add_option("id", report_id, "the run (id, latest or id prefix)");
  report->add_option("--compare", report_compare, "two runs on one time axis, with deltas: A B")
      ->expected(2);
  report->add_option("-o,--output", report_output,
                     "the HTML file, - for standard output (default: report-<id>.html or "
                     "compare-<a>-<b>.html here)");

  CopyCommandOptions copy_options;
  auto* copy = app.add_subcommand(
      "copy", "copy runs from one store to another (SQLite <-> PostgreSQL); a rerun resumes");
  copy->add_option("--from", copy_options.from,
                   "the store to read: a SQLite file (sqlite:PATH) or a postgresql:// URI")
      ->required();
  copy->add_option("--to", copy_options.to,
                   "the store to append to (a new SQLite file is created, a new database migrated)")
      ->required();
  copy->add_option("--flow", copy_options.flow,
                   "only runs of this flow (root node id), with their child runs");
  copy->add_option("--since", copy_options.since,
                   "only runs started at or after (ISO 8601 or epoch ms), with their child runs");
  copy->footer(
      "Copies every selected run whose events the destination does not all hold yet, in seq\n"
      "order, a few thousand events per transaction; runs already there whole are skipped\n"
      "unread, so a second copy copies nothing and an interrupted one resumes where it stopped.\n"
      "Events stored under the same (executionId, seq) with other content stop the copy (exit\n"
      "4). --db is not used. Prints: copied N runs (E events), M already there.");

  ServeOptions serve_options;
  auto* serve = app.add_subcommand(
      "serve", "HTTP ingest, JSON API, live event streams and the runs in a browser");
  serve->add_option("--listen", serve_options.listen,
                    "HOST:PORT, [IPv6]:PORT or PORT (default 127.0.0.1:7117; 0 picks a free port; "
                    "an address other than loopback needs --token-file)");
  serve->add_option("--token-file", serve_options.token_file,
                    "every request must carry this file's token (Authorization: Bearer)");
  serve->add_option("--cors", serve_options.cors_origin,
                    "let pages of this origin call the API (default: no CORS headers)");
  serve->add_flag("--durability-normal", serve_options.normal_durability,
                  "acknowledge events that survive a process crash only (faster)");
  serve->add_option("--max-body-bytes", serve_options.max_body_bytes,
                    "largest request body (default 67108864: 64 MiB)");
  serve->add_option("--max-connections", serve_options.max_connections,
                    "open connections at most; beyond, 503 (default 256)");
  serve->add_option("--max-streams", serve_options.max_streams,
                    "open event streams at most; beyond, 503 (default 64)");
  serve->add_option("--threads", serve_options.threads, "threads serving requests (default 4)");
  serve->add_option("--header-timeout", serve_options.header_timeout_s,
                    "seconds a client has to send a request's headers (default 10)");
  serve->add_option("--body-timeout", serve_options.body_timeout_s,
                    "seconds a client has to send a request's body (default 60)");
  serve->add_option("--busy-budget-ms", serve_options.busy_budget_ms,
                    "how long a write waits for a store another process holds before "
                    "answering 503 (default 10000)");
  TailOptions tail_options;
  auto* tail = app.add_subcommand(
      "tail", "follow a run as it is recorded, until it ends (exit 0; 13 when it failed)");
  tail->add_option("id", tail_options.id,
                   "execution id, an id prefix, or latest (waits until there is a run)")
      ->required();
  tail->add_option("--flow", tail_options.flow, "with latest or a prefix: within this flow");
  auto* tail_events =
      tail->add_flag("--events", tail_options.events, "one line per event, also on a terminal");
  tail->add_flag("--json", tail_options.json,
                 "the events as JSON Lines, the bytes `extrace events` prints")
      ->excludes(tail_events);
  tail->footer(
      "On a terminal: the timeline of `show --timeline`, redrawn in place; on a pipe or with\n"
      "--events: one line per event. New events show within 100 ms. An id or prefix that is not\n"
      "in the store fails at once (exit 5); `latest` waits for the store and for a run (of\n"
      "--flow) to appear. Ends when the run ends: exit 0 completed, 13 error; Ctrl-C: 130.\n"
      "A run that already ended is printed and ends at once.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "extrace: %s (see extrace --help)\n", e.what());
    return kExitUsage;
  }
  try {
    if (*ingest) return Ingest(global, files, normal_durability);
    if (*list) {
      if (slower_than >= 0) list_options.slower_than_ms = slower_than;
      // "--state error" without --node: runs with any node in error.
      return List(global, list_options);
    }
    if (*show) return Show(global, id, show_flow, json, timeline);
    if (*query) return Query(global, sql, json, query_timeout_s);
    if (*reindex) return Reindex(global);
    if (*events) return Events(global, id, node);
    if (*exporter) {
      export_options.snapshots = !no_snapshots;
      return Export(global, export_options);
    }
    if (*compare) return Compare(global, id, other, json);
    if (*bottlenecks) return Bottlenecks(global, id, top, json);
    if (*history) return History(global, flow, last, json);
    if (*flows) return Flows(global, json);
    if (*regressions) return Regressions(global, regression);
    if (*report) return Report(global, report_id, report_compare, report_output);
    if (*copy) return Copy(copy_options);
    if (*serve) return Serve(global, serve_options);
    if (*tail) return Tail(global, tail_options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "extrace: internal error: %s\n", e.what());
    return kExitInternal;
  }
  return kExitUsage;
}
