// `extrace compare A B [--json]`: what changed between two runs, node by node
// (query/compare.h). The text starts with what changed most, in words.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "query/compare.h"
#include "query/run_loaders.h"
#include "render/documents.h"
#include "storage/event_store.h"
#include "tools/cli_support.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/text_format.h"

namespace extrace::cli {
namespace {

std::string SignedDuration(int64_t micros) {
  return (micros > 0 ? "+" : "") + HumanDuration(micros);
}

std::string RatioText(double ratio) {
  if (ratio < 0.995) return fmt::format("{:.2f}x", ratio);
  if (ratio < 9.95) return fmt::format("{:.1f}x", ratio);
  return fmt::format("{:.0f}x", ratio);
}

std::string StatusWords(RunStatus status) {
  switch (status) {
    case RunStatus::kCompleted:
      return "completed";
    case RunStatus::kError:
      return "ended in error";
    case RunStatus::kIncomplete:
      break;
  }
  return "is incomplete (no end in the log)";
}

std::string Shorten(std::string text, size_t width) {
  if (text.size() <= width) return text;
  size_t cut = width - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;  // whole UTF-8 characters
  return text.substr(0, cut) + "...";
}

std::string Quoted(const std::vector<std::string>& paths) {
  std::string out;
  for (size_t i = 0; i < paths.size() && i < 5; ++i) out += (i ? ", '" : "'") + paths[i] + "'";
  if (paths.size() > 5) out += fmt::format(" and {} more", paths.size() - 5);
  return out;
}

// The first lines: the run's change, the node that changed most, failures and
// state changes, nodes in one run only.
std::vector<std::string> Summary(const RunComparison& c) {
  std::vector<std::string> lines;
  std::string first;
  if (c.duration_delta_us) {
    int64_t delta = *c.duration_delta_us;
    std::string percent;
    if (*c.duration_a_us > 0)
      percent = fmt::format(" ({:+.0f}%)", 100.0 * static_cast<double>(delta) /
                                               static_cast<double>(*c.duration_a_us));
    if (delta > 0)
      first = fmt::format("B took {} longer than A{}.", HumanDuration(delta), percent);
    else if (delta < 0)
      first = fmt::format("B took {} less than A{}.", HumanDuration(-delta), percent);
    else
      first = "B took exactly as long as A.";
  } else {
    first = !c.duration_a_us && !c.duration_b_us
                ? "Neither run has ended: no run durations to compare."
            : !c.duration_a_us ? "A has not ended: no run duration to compare."
                               : "B has not ended: no run duration to compare.";
  }
  const NodeDelta* biggest = nullptr;
  bool any_delta = false;
  for (const auto& node : c.nodes) {
    if (!node.delta_us) continue;
    any_delta = true;
    if (*node.delta_us != 0) {
      biggest = &node;
      break;
    }
  }
  if (biggest) {
    first += fmt::format(" Biggest change: node '{}' {}", biggest->path,
                         SignedDuration(*biggest->delta_us));
    if (biggest->ratio) first += fmt::format(" ({})", RatioText(*biggest->ratio));
    first += ".";
  } else if (any_delta) {
    first += " No finished node changed its duration.";
  }
  lines.push_back(first);

  if (c.a.status != c.b.status)
    lines.push_back(fmt::format("A {}, B {}.", StatusWords(c.a.status), StatusWords(c.b.status)));
  else if (c.a.status == RunStatus::kError)
    lines.push_back("Both runs ended in error.");
  std::vector<std::string> changes;
  for (const auto& node : c.nodes) {
    if (!node.state_a || !node.state_b || *node.state_a == *node.state_b) continue;
    std::string change = fmt::format("'{}' {} -> {}", node.path, NodeStateName(*node.state_a),
                                     NodeStateName(*node.state_b));
    if (*node.state_b == NodeState::kError && !node.error_b.empty())
      change += " (" + Shorten(node.error_b, 60) + ")";
    changes.push_back(change);
  }
  if (!changes.empty()) {
    std::string line = "State changes: ";
    for (size_t i = 0; i < changes.size() && i < 5; ++i) line += (i ? ", " : "") + changes[i];
    if (changes.size() > 5) line += fmt::format(" and {} more", changes.size() - 5);
    lines.push_back(line + ".");
  }
  std::string only;
  if (!c.only_in_a.empty()) only += "Only in A: " + Quoted(c.only_in_a) + ".";
  if (!c.only_in_b.empty())
    only += std::string(only.empty() ? "" : " ") + "Only in B: " + Quoted(c.only_in_b) + ".";
  if (!only.empty()) lines.push_back(only);
  return lines;
}

std::string RunLine(const char* label, const RunSummary& run,
                    const std::optional<int64_t>& duration) {
  return fmt::format("{}  {}  flow {}  {}  started {}  duration {}", label, run.execution_id,
                     run.root_node_id.empty() ? "-" : run.root_node_id, RunStatusName(run.status),
                     run.start_us ? IsoTime(*run.start_us) : "-",
                     duration ? HumanDuration(*duration) : "- (no end)");
}

void PrintText(const RunComparison& c) {
  std::string out;
  for (const auto& line : Summary(c)) out += line + "\n";
  out += "\n" + RunLine("A", c.a, c.duration_a_us) + "\n" + RunLine("B", c.b, c.duration_b_us) +
         "\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& node : c.nodes) {
    std::string name = node.name.empty() || node.name == node.path
                           ? node.path
                           : node.name + " (" + node.path + ")";
    auto duration = [](const std::optional<int64_t>& d) { return d ? HumanDuration(*d) : "-"; };
    auto state = [](const std::optional<NodeState>& s) {
      return s ? std::string(NodeStateName(*s)) : std::string("(none)");
    };
    rows.push_back(
        {name, node.group ? "group" : "leaf", duration(node.duration_a_us),
         duration(node.duration_b_us), node.delta_us ? SignedDuration(*node.delta_us) : "-",
         node.ratio ? RatioText(*node.ratio) : "-", state(node.state_a), state(node.state_b)});
  }
  out += RenderTable({"NODE", "KIND", "A", "B", "DELTA", "RATIO", "STATE A", "STATE B"}, rows,
                     {false, false, true, true, true, true, false, false});
  if (!c.diagnostics.empty()) {
    out += "\ndiagnostics:\n";
    for (const auto& text : c.diagnostics) out += "  " + text + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

int Compare(const GlobalOptions& global, const std::string& a, const std::string& b, bool json) {
  auto store = OpenForReading(global);
  if (!store) return Fail("compare", store.error());
  auto warn = [](const std::string& warning) {
    if (!warning.empty()) std::fprintf(stderr, "extrace compare: warning: %s\n", warning.c_str());
  };
  if (json) {
    auto document = CompareDocumentWithWarning(**store, a, b);
    if (!document) return Fail("compare", document.error());
    warn(document->warning);
    PrintJsonLine(std::move(document->json));
    return kExitOk;
  }
  auto comparison = LoadComparison(**store, a, b);
  if (!comparison) return Fail("compare", comparison.error());
  warn(FlowMismatchWarning(*comparison));
  PrintText(*comparison);
  return kExitOk;
}

}  // namespace extrace::cli
