// `extrace list | show | events | export`: reading runs back out of the log.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string_view>
#include <tuple>

#include "format/event_json.h"
#include "query/run_filter_text.h"
#include "query/run_resolution.h"
#include "query/trace_json.h"
#include "query/trace_loader.h"
#include "render/chrome_trace.h"
#include "render/documents.h"
#include "render/otlp_trace.h"
#include "render/terminal_timeline.h"
#include "storage/event_store.h"
#include "tools/cli_support.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/progress_line.h"
#include "tools/text_format.h"

namespace extrace::cli {
namespace {

void PrintNodeRows(const NodeTrace& node, int64_t run_start, int depth,
                   std::vector<std::vector<std::string>>& rows) {
  std::string name = std::string(static_cast<size_t>(depth) * 2, ' ') + node.node_name;
  if (node.node_name != node.node_id) name += " (" + node.node_id + ")";
  if (!node.child_execution_id.empty()) name += " [child run " + node.child_execution_id + "]";
  bool started = node.start_us != 0;
  std::string progress;
  if (node.state != NodeState::kCompleted && node.progress > 0)
    progress = fmt::format("{}%", node.progress);
  std::string error;
  if (node.state == NodeState::kError) {
    // A child run's node carries run-level events: its message is on `error`.
    bool child_run = !node.child_execution_id.empty();
    EventType carrier = child_run ? EventType::kError : EventType::kStateChange;
    const char* key = child_run ? "message" : "errorMessage";
    for (const auto& event : node.events) {
      if (event.type != carrier) continue;
      auto data = ParseDataObject(event.data_json);
      if (const auto* message = data.if_contains(key); message && message->is_string())
        error = std::string(message->get_string());
    }
    constexpr size_t kErrorWidth = 72;
    if (error.size() > kErrorWidth) {
      size_t cut = kErrorWidth - 3;
      while (cut > 0 && (static_cast<unsigned char>(error[cut]) & 0xC0) == 0x80)
        --cut;  // whole UTF-8 characters
      error = error.substr(0, cut) + "...";
    }
  }
  rows.push_back({name, std::string(NodeStateName(node.state)),
                  started ? "+" + HumanDuration(node.start_us - run_start) : "-",
                  node.duration_us ? HumanDuration(*node.duration_us) : "-", progress, error});
  for (const auto& child : node.child_traces) PrintNodeRows(child, run_start, depth + 1, rows);
}

// For an incomplete run: the nodes still open when the log stops, their last
// progress and message, and how long the log went on after their last event.
void PrintOpenNodes(const ExecutionTrace& trace, int64_t log_end_us) {
  std::vector<std::vector<std::string>> rows;
  std::function<void(const NodeTrace&)> visit = [&](const NodeTrace& node) {
    bool open = node.state == NodeState::kExecuting && node.events.size() > 0;
    if (open) {
      std::string message;
      int64_t last_us = node.events.back().timestamp_us;
      for (const auto& event : node.events) {
        if (event.type != EventType::kProgress) continue;
        auto data = ParseDataObject(event.data_json);
        if (const auto* text = data.if_contains("message"); text && text->is_string())
          message = std::string(text->get_string());
      }
      rows.push_back({node.node_name + " (" + node.node_id + ")", fmt::format("{}%", node.progress),
                      message, HumanDuration(log_end_us - last_us)});
    }
    for (const auto& child : node.child_traces) visit(child);
  };
  for (const auto& node : trace.nodes) visit(node);
  if (rows.empty()) {
    std::printf("\nno node was executing when the log stops\n");
    return;
  }
  std::printf("\nstill open when the log stops (%s):\n%s", IsoTime(log_end_us).c_str(),
              RenderTable({"NODE", "PROGRESS", "LAST MESSAGE", "SILENT FOR"}, rows,
                          {false, true, false, true})
                  .c_str());
}

}  // namespace

int List(const GlobalOptions& global, const ListOptions& options) {
  RunFilterText text{options.flow,  options.status,         options.since,
                     options.until, options.node,           options.state,
                     options.error, options.slower_than_ms, options.limit};
  auto parsed = ParseRunFilter(text, FilterNames::kCliFlags);
  if (!parsed) return Usage("list", parsed.error().message);
  const RunFilter& filter = *parsed;

  auto store = OpenForReading(global);
  if (!store) return Fail("list", store.error());
  if (options.json) {
    auto document = RunListDocument(**store, filter);
    if (!document) return Fail("list", document.error());
    PrintJsonLine(std::move(*document));
    return kExitOk;
  }
  auto runs = FindRuns(**store, filter);
  if (!runs) return Fail("list", runs.error());
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : *runs) {
    rows.push_back({run.execution_id, run.root_node_id, std::string(RunStatusName(run.status)),
                    run.start_us ? IsoTime(*run.start_us) : "-",
                    run.start_us && run.end_us ? HumanDuration(*run.end_us - *run.start_us) : "-",
                    std::to_string(run.event_count), run.parent_execution_id});
  }
  std::fputs(RenderTable({"EXECUTION ID", "FLOW (ROOT NODE)", "STATUS", "STARTED (UTC)", "DURATION",
                          "EVENTS", "PARENT RUN"},
                         rows, {false, false, false, false, true, true, false})
                 .c_str(),
             stdout);
  if (runs->empty())
    std::printf("(no runs match in %s)\n", EventStore::DisplayName(global.db_path).c_str());
  return kExitOk;
}

int Show(const GlobalOptions& global, const std::string& id, const std::string& flow, bool json,
         bool timeline) {
  auto store = OpenForReading(global);
  if (!store) return Fail("show", store.error());
  if (json) {
    auto document = TraceDocument(**store, id, flow);
    if (!document) return Fail("show", document.error());
    PrintJsonLine(std::move(*document));
    return kExitOk;
  }
  auto run = ResolveRun(**store, id, flow);
  if (!run) return Fail("show", run.error());
  auto trace = LoadTrace(**store, run->execution_id);
  if (!trace) return Fail("show", trace.error());
  std::printf("run %s  flow %s  status %s\n", trace->execution_id.c_str(),
              trace->root_node_id.c_str(), std::string(RunStatusName(trace->status)).c_str());
  std::printf("started %s", IsoTime(trace->start_us).c_str());
  if (trace->duration_us)
    std::printf("  duration %s", HumanDuration(*trace->duration_us).c_str());
  else if (run->last_us)
    std::printf("  last event +%s (no end: the run is incomplete)",
                HumanDuration(*run->last_us - trace->start_us).c_str());
  std::printf("  events %lld  progress %d%%\n", static_cast<long long>(run->event_count),
              trace->overall_progress);
  if (!trace->parent_execution_id.empty())
    std::printf("child run of node %s in run %s\n", trace->parent_node_id.c_str(),
                trace->parent_execution_id.c_str());
  if (timeline) {
    std::string chart =
        RenderTerminalTimeline(*trace, TerminalColumns(STDOUT_FILENO), ColourWanted(STDOUT_FILENO));
    std::printf("\n%s", chart.c_str());
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& node : trace->nodes) PrintNodeRows(node, trace->start_us, 0, rows);
    std::printf("\n%s", RenderTable({"NODE", "STATE", "START", "DURATION", "PROGRESS", "ERROR"},
                                    rows, {false, false, true, true, true, false})
                            .c_str());
  }
  if (trace->status == RunStatus::kIncomplete)
    PrintOpenNodes(*trace, run->last_us.value_or(trace->start_us));
  if (!trace->diagnostics.empty()) {
    std::string kinds;
    for (const DiagnosticCount& row : trace->diagnostic_counts)
      kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", row.count,
                           DiagnosticKindName(row.kind));
    std::printf("\ndiagnostics (%s):\n", kinds.c_str());
    for (const auto& text : trace->diagnostics) std::printf("  %s\n", text.c_str());
  }
  return kExitOk;
}

int Events(const GlobalOptions& global, const std::string& id, const std::string& node) {
  auto store = OpenForReading(global);
  if (!store) return Fail("events", store.error());
  auto status = StreamEventLines(**store, id, 0, node, [](std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
  });
  if (!status) return Fail("events", status.error());
  return kExitOk;
}

namespace {

// The Chrome and OTLP exports read no `allNodes` snapshots, and --no-snapshots
// leaves them out of the ExecutionTrace: without them long runs project in
// linear time.
ProjectOptions ProjectionFor(std::string_view format, bool snapshots) {
  ProjectOptions options;
  options.all_nodes_snapshots = format == "trace" && snapshots;
  return options;
}

// Writes text piece by piece into a FILE and counts it.
struct ExportSink {
  std::FILE* file;
  int64_t bytes = 0;
  void operator()(std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), file);
    bytes += static_cast<int64_t>(text.size());
  }
};

// The ExecutionTrace streams out in pieces (a large run is never held as text
// as well as a trace); the other formats are small beside it.
void RenderExport(const ExecutionTrace& trace, std::string_view format, ExportSink& sink) {
  if (format == "chrome") return sink(RenderChromeTrace(trace));
  if (format == "otlp") return sink(RenderOtlpTrace(trace) + "\n");
  StreamTraceJson(trace, [&](std::string_view piece) { sink(piece); });
}

// To standard output, or beside the target and then renamed into place, so a
// reader never sees half a file. `describe(bytes)` says what was written.
int WriteExport(const std::string& output, const std::function<void(ExportSink&)>& write,
                const std::function<std::string(int64_t)>& describe) {
  if (output.empty() || IsStandardStream(output)) {
    ExportSink sink{stdout};
    write(sink);
    return kExitOk;
  }
  std::string temp = output + ".tmp" + std::to_string(getpid());
  std::FILE* file = std::fopen(temp.c_str(), "wb");
  bool written = false;
  int64_t bytes = 0;
  if (file != nullptr) {
    ExportSink sink{file};
    write(sink);
    bytes = sink.bytes;
    written = std::ferror(file) == 0;
    written = std::fclose(file) == 0 && written;
  }
  if (!written) {
    const int error = errno;
    std::remove(temp.c_str());
    if (error == ENOSPC)
      return Fail("export", Error{StatusCode::kDiskFull,
                                  fmt::format("{}: cannot write the file: disk full", output)});
    return Fail("export",
                Error{StatusCode::kIoError, fmt::format("{}: cannot write the file", output)});
  }
  const std::string what = describe(bytes);
  if (std::rename(temp.c_str(), output.c_str()) != 0) {
    std::remove(temp.c_str());
    return Fail("export",
                Error{StatusCode::kIoError, fmt::format("{}: cannot write the file", output)});
  }
  std::fprintf(stderr, "wrote %s (%s)\n", output.c_str(), what.c_str());
  return kExitOk;
}

// Without a run id: every top-level run of the flow and/or since the time,
// oldest first, one OTLP/JSON object per line (child runs inside their parent's).
int ExportRuns(EventStore& store, const ExportOptions& options) {
  RunFilter filter;
  filter.flow = options.flow;
  filter.top_level_only = true;
  if (!options.since.empty()) {
    filter.since_us = ParseTimeText(options.since);
    if (!filter.since_us)
      return Usage("export", fmt::format("--since {}: expected ISO 8601 (2026-11-25T18:07:23Z) or "
                                         "epoch milliseconds",
                                         options.since));
  }
  auto runs = FindRuns(store, filter);
  if (!runs) return Fail("export", runs.error());
  std::string text;
  for (auto run = runs->rbegin(); run != runs->rend(); ++run) {
    auto trace = LoadTrace(store, run->execution_id, ProjectionFor(options.format, false));
    if (!trace) return Fail("export", trace.error());
    text += RenderOtlpTrace(*trace);
    text += '\n';
  }
  return WriteExport(
      options.output, [&](ExportSink& sink) { sink(text); },
      [&](int64_t bytes) { return fmt::format("{} runs, {} bytes", runs->size(), bytes); });
}

}  // namespace

int Export(const GlobalOptions& global, const ExportOptions& options) {
  const std::string& format = options.format;
  if (format != "trace" && format != "chrome" && format != "otlp")
    return Usage("export", fmt::format("--format {}: expected trace, chrome or otlp", format));
  if (options.id.empty()) {
    if (options.flow.empty() && options.since.empty())
      return Usage("export", "give a run (id, latest or id prefix), or --flow/--since for several");
    if (format != "otlp")
      return Usage("export", "several runs (--flow/--since without an id) need --format otlp");
  } else if (!options.since.empty()) {
    return Usage("export", "--since selects runs without an id: give one or the other");
  }
  auto store = OpenForReading(global);
  if (!store) return Fail("export", store.error());
  if (options.id.empty()) return ExportRuns(**store, options);
  auto run = ResolveRun(**store, options.id, options.flow);
  if (!run) return Fail("export", run.error());
  auto trace = LoadTrace(**store, run->execution_id, ProjectionFor(format, options.snapshots));
  if (!trace) return Fail("export", trace.error());
  return WriteExport(
      options.output, [&](ExportSink& sink) { RenderExport(*trace, format, sink); },
      [](int64_t bytes) { return fmt::format("{} bytes", bytes); });
}

}  // namespace extrace::cli
