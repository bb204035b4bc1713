// `extrace bottlenecks ID [--top N] [--json]`: where one run's time went
// (query/bottlenecks.h): nodes by total time, the critical path, the longest
// stalls, and the nodes still open where the log stops.
#include <fmt/format.h>

#include <cstdio>

#include "format/json_text.h"
#include "query/bottlenecks.h"
#include "query/compare.h"
#include "query/run_loaders.h"
#include "query/run_resolution.h"
#include "render/documents.h"
#include "storage/event_store.h"
#include "tools/cli_support.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/text_format.h"

namespace extrace::cli {
namespace {

std::string Label(const TreeNode& node) {
  const std::string& name = node.timing.name;
  return name.empty() || name == node.path ? node.path : name + " (" + node.path + ")";
}

std::string Offset(int64_t at, int64_t start) {
  return (at >= start ? "+" : "") + HumanDuration(at - start);
}

std::string Percent(double share) { return fmt::format("{:.1f}%", 100 * share); }

void PrintText(const RunTree& tree, const BottleneckReport& r, size_t top) {
  std::string out;
  out += fmt::format("run {}  flow {}  status {}\n", r.execution_id,
                     tree.run.root_node_id.empty() ? "-" : tree.run.root_node_id,
                     RunStatusName(r.status));
  if (r.end_us)
    out += fmt::format("duration {}", HumanDuration(r.run_duration_us));
  else
    out +=
        fmt::format("no end in the log: {} up to its last event", HumanDuration(r.run_duration_us));
  out += fmt::format("  covered by top-level nodes {}  outside them {} (start, gaps, end)\n",
                     HumanDuration(r.covered_us), HumanDuration(r.run_self_us));

  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < r.nodes.size() && i < top; ++i) {
    const NodeCost& cost = r.nodes[i];
    const TreeNode& node = tree.nodes[cost.node];
    std::string total =
        cost.total_us ? HumanDuration(*cost.total_us) + (cost.open ? " (open)" : "") : "-";
    rows.push_back({Label(node), node.IsGroup() ? "group" : "leaf",
                    std::string(NodeStateName(node.timing.state)), total,
                    cost.total_us ? HumanDuration(cost.self_us) : "-",
                    cost.total_us ? Percent(cost.share) : "-",
                    cost.slack_us ? HumanDuration(*cost.slack_us) : "-",
                    cost.on_critical_path ? "*" : ""});
  }
  out +=
      "\n" + RenderTable({"NODE", "KIND", "STATE", "TOTAL", "SELF", "SHARE", "SLACK", "CRITICAL"},
                         rows, {false, false, false, true, true, true, true, false});
  if (r.nodes.size() > top) out += fmt::format("({} more nodes: --top)\n", r.nodes.size() - top);

  if (!r.critical_path.empty()) {
    out += "\ncritical path (what decided when the run ended):\n";
    rows.clear();
    std::vector<const NodeCost*> by_index(tree.nodes.size());
    for (const auto& c : r.nodes) by_index[c.node] = &c;
    int base = tree.nodes[r.critical_path.front()].timing.depth;
    for (size_t index : r.critical_path) {
      const TreeNode& node = tree.nodes[index];
      const NodeCost* cost = by_index[index];
      std::string indent(static_cast<size_t>(std::max(0, node.timing.depth - base)) * 2, ' ');
      rows.push_back({indent + Label(node), Offset(*cost->start_us, r.start_us),
                      Offset(*cost->end_us, r.start_us),
                      HumanDuration(*cost->total_us) + (cost->open ? " (open)" : "")});
    }
    out += RenderTable({"NODE", "START", "END", "TOTAL"}, rows, {false, true, true, true});
  }

  if (!r.stalls.empty()) {
    out += "\nlongest stalls (time between two events of one node):\n";
    rows.clear();
    for (size_t i = 0; i < r.stalls.size() && i < top; ++i) {
      const Stall& s = r.stalls[i];
      rows.push_back({s.node_id, Offset(s.start_us, r.start_us), HumanDuration(s.gap_us),
                      s.from + " -> " + s.to});
    }
    out += RenderTable({"NODE", "FROM", "GAP", "BETWEEN"}, rows, {false, true, true, false});
  }

  if (!r.open_nodes.empty()) {
    int64_t log_end = tree.run.last_us.value_or(r.horizon_us);
    out += fmt::format("\nopen nodes (started, never ended; the log stops at {}):\n",
                       Offset(log_end, r.start_us));
    rows.clear();
    for (const auto& open : r.open_nodes) {
      const TreeNode& node = tree.nodes[open.node];
      rows.push_back({Label(node), std::string(NodeStateName(node.timing.state)),
                      node.timing.progress ? FormatDecimal(*node.timing.progress, 2) + "%" : "-",
                      open.last_event_us ? Offset(*open.last_event_us, r.start_us) : "-",
                      open.last_event_us ? HumanDuration(open.silent_us) : "-"});
    }
    out += RenderTable({"NODE", "STATE", "PROGRESS", "LAST EVENT", "SILENT FOR"}, rows,
                       {false, false, true, true, true});
  }
  if (!r.diagnostics.empty()) {
    out += "\ndiagnostics:\n";
    for (const auto& text : r.diagnostics) out += "  " + text + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

int Bottlenecks(const GlobalOptions& global, const std::string& id, int top, bool json) {
  if (top < 1) {
    std::fprintf(stderr, "extrace bottlenecks: --top must be at least 1, got %d\n", top);
    return kExitUsage;
  }
  auto store = OpenForReading(global);
  if (!store) return Fail("bottlenecks", store.error());
  if (json) {
    auto document = BottlenecksDocument(**store, id, static_cast<size_t>(top));
    if (!document) return Fail("bottlenecks", document.error());
    PrintJsonLine(std::move(*document));
    return kExitOk;
  }
  auto run = ResolveRun(**store, id);
  if (!run) return Fail("bottlenecks", run.error());
  auto loaded = LoadBottlenecks(**store, *run, static_cast<size_t>(top));
  if (!loaded) return Fail("bottlenecks", loaded.error());
  PrintText(loaded->tree, loaded->report, static_cast<size_t>(top));
  return kExitOk;
}

}  // namespace extrace::cli
