// extrace-demo: a small real engine that records its runs with extrace.
//
// It runs the "Data Pipeline" flow: generate a deterministic dataset as CSV,
// parse it, derive fields, sort and aggregate (in parallel), hash the sorted
// records, validate them in a child run, and write a report. Every task runs
// inside an extrace::NodeScope and reports its progress every tenth of its
// work; group nodes are derived by the projector from their children. At the
// end it prints a one-line summary from Recorder::Trace(), then shows the run
// with the extrace CLI that sits beside it (`extrace list`, `extrace show ID`)
// and writes its HTML report to ./demo-report.html (`extrace report ID`).
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "examples/demo/demo_work.h"
#include "examples/demo/graph_executor.h"
#include "extrace/extrace.h"
#include "format/json_text.h"

extern char** environ;

namespace extrace::demo {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRunFailed = 1;  // the run was recorded, and it failed
constexpr int kExitUsage = 2;
constexpr int kExitStore = 3;  // the store or the work folder could not be used

constexpr const char* kUsage =
    "usage: extrace-demo [options]\n"
    "Runs the \"Data Pipeline\" flow for real and records it with extrace.\n"
    "  --db FILE            event store (default ./extrace.db)\n"
    "  --workdir DIR        where data.csv and report.txt go (default ./demo-out)\n"
    "  --records N          dataset size (default 600000)\n"
    "  --seed N             dataset seed (default 20240101)\n"
    "  --threads N          worker threads (default 2)\n"
    "  --execution-id ID    the run's id (default: a fresh one)\n"
    "  --fail-at NODE       make task NODE fail halfway (an error run); NODE is one of\n"
    "                       generate parse transform sort stats hash validate report\n"
    "                       check-order check-totals check-hash (the last three: in the child "
    "run)\n"
    "  --slow NODE          make task NODE do its work 3 times (try `extrace regressions`);\n"
    "                       NODE is one of generate parse sort stats hash\n"
    "  --no-cli             do not run `extrace list`, `extrace show ID` and\n"
    "                       `extrace report ID -o demo-report.html` at the end\n"
    "exit status: 0 run completed, 1 run failed, 2 usage, 3 store or work folder error\n";

struct Options {
  std::string db = "./extrace.db";
  std::string workdir = "./demo-out";
  uint64_t records = 600000;
  uint64_t seed = 20240101;
  int threads = 2;
  std::string execution_id;
  std::string fail_at;
  std::string slow;  // a task that does its work three times (a real slowdown)
  bool run_cli = true;
};

// Tasks whose work gives the same result when done again, so --slow may repeat them.
const std::vector<std::string_view> kRepeatableTaskIds = {"generate", "parse", "sort", "stats",
                                                          "hash"};
constexpr int kSlowFactor = 3;

const std::vector<std::string_view> kTaskIds = {
    "generate", "parse",  "transform",   "sort",         "stats",     "hash",
    "validate", "report", "check-order", "check-totals", "check-hash"};

template <typename T>
bool ParseNumber(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Plain argv parsing: `--name value` or `--name=value`. nullopt: exit with `exit_code`.
std::optional<Options> ParseArgs(int argc, char** argv, int& exit_code) {
  Options o;
  auto usage_error = [&](const std::string& why) -> std::optional<Options> {
    std::fprintf(stderr, "extrace-demo: %s (see --help)\n", why.c_str());
    exit_code = kExitUsage;
    return std::nullopt;
  };
  static const std::vector<std::string_view> kWithValue = {
      "--db",      "--workdir",      "--records", "--seed",
      "--threads", "--execution-id", "--fail-at", "--slow"};
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      exit_code = kExitOk;
      return std::nullopt;
    }
    if (arg == "--no-cli") {
      o.run_cli = false;
      continue;
    }
    std::string_view name = arg, value;
    bool inline_value = false;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inline_value = true;
    }
    if (std::find(kWithValue.begin(), kWithValue.end(), name) == kWithValue.end())
      return usage_error(fmt::format("unknown argument \"{}\"", arg));
    if (!inline_value) {
      if (i + 1 >= argc) return usage_error(fmt::format("{} needs a value", name));
      value = argv[++i];
    }
    if (name == "--db") {
      o.db = value;
    } else if (name == "--workdir") {
      o.workdir = value;
    } else if (name == "--records") {
      if (!ParseNumber(value, o.records) || o.records == 0 || o.records > 50'000'000)
        return usage_error("--records: a whole number from 1 to 50000000");
    } else if (name == "--seed") {
      if (!ParseNumber(value, o.seed)) return usage_error("--seed: a whole number");
    } else if (name == "--threads") {
      if (!ParseNumber(value, o.threads) || o.threads < 1 || o.threads > 64)
        return usage_error("--threads: a whole number from 1 to 64");
    } else if (name == "--execution-id") {
      o.execution_id = value;
    } else if (name == "--fail-at") {
      if (std::find(kTaskIds.begin(), kTaskIds.end(), value) == kTaskIds.end())
        return usage_error(fmt::format("--fail-at: no task \"{}\"", value));
      o.fail_at = value;
    } else if (name == "--slow") {
      if (std::find(kRepeatableTaskIds.begin(), kRepeatableTaskIds.end(), value) ==
          kRepeatableTaskIds.end())
        return usage_error(
            fmt::format("--slow: \"{}\" is not one of generate parse sort stats hash", value));
      o.slow = value;
    }
  }
  if (o.db.empty() || o.workdir.empty()) return usage_error("--db and --workdir must not be empty");
  return o;
}

std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

std::string Seconds(int64_t micros) {
  return fmt::format("{:.3f} s", static_cast<double>(micros) / 1e6);
}

// Runs a task's work with a ProgressFn that reports to the node's scope. When
// --fail-at names the task, it throws instead of reporting 50% or more (or at
// the end, for work that reports less).
template <typename Work>
void Step(NodeScope& scope, const std::string& node_id, const Options& options, Work&& work) {
  bool inject = options.fail_at == node_id;
  ProgressFn progress = [&](double percent, std::string_view message) {
    if (inject && percent >= 50) {
      inject = false;
      throw std::runtime_error(
          fmt::format("injected failure (--fail-at {}) at {}%", node_id, percent));
    }
    scope.Progress(percent, message);
  };
  int rounds = options.slow == node_id ? kSlowFactor : 1;
  for (int round = 0; round < rounds; ++round) {
    if (rounds == 1) {
      work(progress);
      continue;
    }
    // Each round reports its share of the node's progress.
    ProgressFn share = [&](double percent, std::string_view message) {
      progress((round * 100.0 + percent) / rounds, message);
    };
    work(share);
  }
  if (inject)
    throw std::runtime_error(fmt::format("injected failure (--fail-at {}) at the end", node_id));
}

// What the tasks hand each other; the graph's edges order every access.
struct Shared {
  std::string execution_id;
  std::string child_execution_id;
  std::string child_outcome;
  uint64_t csv_bytes = 0;
  std::vector<Record> records;  // parsed, then transformed in place
  std::vector<Record> sorted;   // a sorted copy: `stats` reads `records` meanwhile
  Stats stats;
  uint64_t hash = 0;
};

// The validation child run of node `validate`: its own graph, three checks in
// parallel, ended with CompleteRun or FailRun. Throws when it failed.
void RunValidation(Recorder& recorder, const Options& options, Shared& shared, NodeScope& scope,
                   const ProgressFn& progress) {
  RunStart child;
  child.root_node_id = "validation";
  child.nodes = {
      {"validation", "Validation", "group", "", 1},
      {"check-order", "Check order and ids", "task", "validation", 2},
      {"check-totals", "Check totals", "task", "validation", 1},
      {"check-hash", "Check hash", "task", "validation", 1},
  };
  child.config_json = fmt::format(R"({{"records":{},"expectedHash":"{:016x}"}})",
                                  shared.sorted.size(), shared.hash);
  child.parent_execution_id = shared.execution_id;
  child.parent_node_id = "validate";
  auto id = recorder.StartRun(child);
  if (!id) throw std::runtime_error("cannot start the validation run: " + id.error().message);
  shared.child_execution_id = *id;
  progress(0, fmt::format("child run {} started: 3 checks", *id));

  std::vector<Task> tasks = {
      {"check-order",
       {},
       [&](NodeScope& s) {
         Step(s, "check-order", options,
              [&](const ProgressFn& p) { CheckOrder(shared.sorted, p); });
       }},
      {"check-totals",
       {},
       [&](NodeScope& s) {
         Step(s, "check-totals", options,
              [&](const ProgressFn& p) { CheckTotals(shared.sorted, shared.stats, p); });
       }},
      {"check-hash",
       {},
       [&](NodeScope& s) {
         Step(s, "check-hash", options,
              [&](const ProgressFn& p) { CheckHash(shared.sorted, shared.hash, p); });
       }},
  };
  // The node's own progress follows the checks (straight to the scope: this
  // runs on the child's worker threads and must not throw).
  GraphOutcome outcome =
      RunGraph(recorder, *id, tasks, options.threads, [&](size_t done, size_t total) {
        scope.Progress(100.0 * static_cast<double>(done) / static_cast<double>(total),
                       fmt::format("{} of {} checks passed", done, total));
      });
  if (!outcome.ok) {
    std::string message = fmt::format("check {} failed: {}", outcome.failed_node, outcome.message);
    recorder.FailRun(*id, message);
    throw std::runtime_error(fmt::format("validation run {}: {}", *id, message));
  }
  recorder.CompleteRun(*id);
}

// The child run's node inside a trace, if any.
const NodeTrace* FindChildRun(const std::vector<NodeTrace>& nodes) {
  for (const NodeTrace& node : nodes) {
    if (!node.child_execution_id.empty()) return &node;
    if (const NodeTrace* found = FindChildRun(node.child_traces)) return found;
  }
  return nullptr;
}

std::string SelfDirectory(const char* argv0) {
  char buffer[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  std::filesystem::path self =
      n > 0 ? std::filesystem::path(std::string(buffer, static_cast<size_t>(n)))
            : std::filesystem::path(argv0);
  return self.parent_path().string();
}

// Runs the extrace CLI beside this program with `args`, echoing the command first.
void RunCli(const std::string& cli, const std::vector<std::string>& args) {
  std::string shown = "extrace";
  for (const auto& arg : args) shown += " " + arg;
  std::printf("\n$ %s\n", shown.c_str());
  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(cli.c_str()));
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  int error = posix_spawn(&pid, cli.c_str(), nullptr, nullptr, argv.data(), environ);
  if (error != 0) {
    std::fprintf(stderr, "extrace-demo: cannot run %s: %s\n", cli.c_str(), std::strerror(error));
    return;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    std::fprintf(stderr, "extrace-demo: %s exited with status %d\n", shown.c_str(),
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int Main(int argc, char** argv) {
  int exit_code = kExitOk;
  auto parsed = ParseArgs(argc, argv, exit_code);
  if (!parsed) return exit_code;
  const Options& options = *parsed;

  std::error_code ec;
  std::filesystem::create_directories(options.workdir, ec);
  if (ec) {
    std::fprintf(stderr, "extrace-demo: %s: %s\n", options.workdir.c_str(), ec.message().c_str());
    return kExitStore;
  }
  const std::string csv_path = (std::filesystem::path(options.workdir) / "data.csv").string();
  const std::string report_path = (std::filesystem::path(options.workdir) / "report.txt").string();

  auto opened = OpenRecorder(options.db);
  if (!opened) {
    std::fprintf(stderr, "extrace-demo: %s\n", opened.error().message.c_str());  // names the file
    return kExitStore;
  }
  std::unique_ptr<Recorder> recorder = std::move(*opened);
  // A given id must be new: the events of a second run under it would conflict
  // with the stored ones (same seqs, other events).
  if (!options.execution_id.empty()) {
    auto existing = ReadTrace(options.db, options.execution_id);
    if (existing || existing.error().code != StatusCode::kNotFound) {
      std::fprintf(
          stderr, "extrace-demo: --execution-id: %s\n",
          existing
              ? fmt::format("run \"{}\" is already in {}", options.execution_id, options.db).c_str()
              : existing.error().message.c_str());
      return existing ? kExitUsage : kExitStore;
    }
  }

  // The flow: groups carry no weight (progress is over the leaves).
  RunStart run;
  run.execution_id = options.execution_id;
  run.root_node_id = "pipeline";
  run.nodes = {
      {"pipeline", "Data Pipeline", "group", "", 1},
      {"generate", "Generate dataset", "task", "pipeline", 3},
      {"process", "Process", "group", "pipeline", 1},
      {"parse", "Parse CSV", "task", "process", 3},
      {"analyze", "Analyze", "group", "process", 1},
      {"transform", "Transform", "task", "analyze", 1},
      {"sort", "Sort", "task", "analyze", 2},
      {"stats", "Aggregate", "task", "analyze", 1},
      {"hash", "Hash (FNV-1a 64)", "task", "analyze", 1},
      {"validate", "Validate", "group", "pipeline", 2},  // its work is a child run
      {"report", "Write report", "task", "pipeline", 1},
  };
  run.config_json =
      fmt::format(R"({{"records":{},"seed":{},"threads":{},"workdir":{},"failAt":{}}})",
                  options.records, options.seed, options.threads, JsonString(options.workdir),
                  options.fail_at.empty() ? "null" : JsonString(options.fail_at));
  auto started = recorder->StartRun(run);
  if (!started) {
    std::fprintf(stderr, "extrace-demo: cannot start the run: %s\n",
                 started.error().message.c_str());
    return kExitStore;
  }
  Shared shared;
  shared.execution_id = *started;
  const std::string& id = shared.execution_id;

  auto step = [&](const std::string& node_id, auto work) {
    return [&options, node_id, work](NodeScope& scope) { Step(scope, node_id, options, work); };
  };
  std::vector<Task> tasks = {
      {"generate",
       {},
       step("generate",
            [&](const ProgressFn& p) {
              shared.csv_bytes = GenerateCsv(csv_path, options.records, options.seed, p);
            })},
      {"parse",
       {"generate"},
       step("parse", [&](const ProgressFn& p) { shared.records = ParseCsv(csv_path, p); })},
      {"transform",
       {"parse"},
       step("transform", [&](const ProgressFn& p) { Transform(shared.records, p); })},
      {"sort",
       {"transform"},
       step("sort",
            [&](const ProgressFn& p) {
              shared.sorted = shared.records;
              SortRecords(shared.sorted, p);
            })},
      {"stats",
       {"transform"},
       step("stats", [&](const ProgressFn& p) { shared.stats = ComputeStats(shared.records, p); })},
      {"hash",
       {"sort"},
       step("hash", [&](const ProgressFn& p) { shared.hash = HashRecords(shared.sorted, p); })},
      {"validate",
       {"hash", "stats"},
       [&](NodeScope& scope) {
         Step(scope, "validate", options,
              [&](const ProgressFn& p) { RunValidation(*recorder, options, shared, scope, p); });
       }},
      {"report",
       {"validate"},
       step("report",
            [&](const ProgressFn& p) {
              WriteReport(
                  report_path,
                  {id, options.seed, shared.csv_bytes, &shared.stats, &shared.sorted, shared.hash},
                  p);
            })},
  };

  GraphOutcome outcome = RunGraph(*recorder, id, tasks, options.threads);
  if (outcome.ok)
    recorder->CompleteRun(id);
  else
    recorder->FailRun(id, fmt::format("node {} failed: {}", outcome.failed_node, outcome.message));

  auto trace = recorder->Trace(id);
  if (!trace) {
    std::fprintf(stderr, "extrace-demo: cannot read run %s back: %s\n", id.c_str(),
                 trace.error().message.c_str());
    return kExitStore;
  }
  std::string child;
  if (const NodeTrace* node = FindChildRun(trace->nodes))
    child = fmt::format(" (+{} in child run {} {})", node->events.size(), node->child_execution_id,
                        NodeStateName(node->state));
  std::string result = outcome.ok
                           ? fmt::format("fnv1a {:016x}, report {}", shared.hash, report_path)
                           : fmt::format("failed at {}: {}", outcome.failed_node, outcome.message);
  std::printf("extrace-demo: run %s %s in %s, %zu events%s, %llu records, %s\n", id.c_str(),
              std::string(RunStatusName(trace->status)).c_str(),
              trace->duration_us ? Seconds(*trace->duration_us).c_str() : "?", trace->events.size(),
              child.c_str(), static_cast<unsigned long long>(options.records), result.c_str());
  for (const std::string& text : trace->diagnostics)
    std::fprintf(stderr, "extrace-demo: trace diagnostic: %s\n", text.c_str());
  bool run_ok = outcome.ok && trace->status == RunStatus::kCompleted;

  recorder.reset();  // flushed and closed before the CLI reads the store
  if (options.run_cli) {
    std::string cli = SelfDirectory(argv[0]) + "/extrace";
    RunCli(cli, {"--db", options.db, "list"});
    RunCli(cli, {"--db", options.db, "show", id});
    RunCli(cli, {"--db", options.db, "report", id, "-o", "demo-report.html"});
  }
  return run_ok ? kExitOk : kExitRunFailed;
}

}  // namespace
}  // namespace extrace::demo

int main(int argc, char** argv) {
  try {
    return extrace::demo::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "extrace-demo: %s\n", e.what());
    return 3;
  }
}
