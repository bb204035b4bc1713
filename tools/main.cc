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
  ingest->add_option("files", files, "JSON Lines files");
  ingest->add_flag("--durability-normal", normal_durability,
                   "survive a process crash only (faster); default: survive a power cut");

  bool json = false;
  auto* list = app.add_subcommand("list", "runs, newest first");
  list->add_flag("--json", json, "JSON array");

  std::string id;
  auto* show = app.add_subcommand("show", "a run's tree of nodes");
  show->add_option("id", id, "execution id")->required();
  show->add_flag("--json", json, "the ExecutionTrace as JSON");

  std::string node;
  auto* events = app.add_subcommand("events", "a run's events in seq order, as JSON Lines");
  events->add_option("id", id, "execution id")->required();
  events->add_option("--node", node, "only the events of this node");

  std::string output;
  auto* exporter =
      app.add_subcommand("export", "the ExecutionTrace JSON, to a file or standard output");
  exporter->add_option("id", id, "execution id")->required();
  exporter->add_option("-o,--output", output, "file to write (default: standard output)");

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
    if (*list) return List(global, json);
    if (*show) return Show(global, id, json);
    if (*events) return Events(global, id, node);
    if (*exporter) return Export(global, id, output);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "extrace: internal error: %s\n", e.what());
    return kExitInternal;
  }
  return kExitUsage;
}
