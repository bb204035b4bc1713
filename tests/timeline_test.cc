// The terminal timeline (render/terminal_timeline.h, `extrace show
// --timeline`) drawn in memory: widths, bar positions, rows, colour only when
// asked.
#include <fcntl.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "extrace/trace.h"
#include "render/terminal_timeline.h"
#include "terminal_test_support.h"
#include "test_support.h"
#include "tools/progress_line.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using terminal_test::CodePoints;
using terminal_test::Lines;
using terminal_test::StripAnsi;

constexpr int64_t kT0 = 1'759'900'000'000'000;  // run start, microseconds
constexpr int64_t kMs = 1000;

NodeTrace Node(std::string id, NodeState state, int64_t start_ms, std::optional<int64_t> end_ms) {
  NodeTrace node;
  node.node_name = id == "g2" ? "Broken step" : "Node " + id;
  node.node_id = std::move(id);
  node.node_type = "t";
  node.state = state;
  node.start_us = start_ms < 0 ? 0 : kT0 + start_ms * kMs;
  if (end_ms) node.end_us = kT0 + *end_ms * kMs;
  if (start_ms >= 0 && end_ms) node.duration_us = (*end_ms - start_ms) * kMs;
  node.events.push_back({node.start_us != 0 ? node.start_us : kT0, EventType::kStateChange, "{}"});
  return node;
}

// An incomplete run whose log stops at +800 ms: a leaf, a group with an error,
// a group holding a child run with an open node, a skipped and a pending node.
ExecutionTrace SampleTrace() {
  ExecutionTrace trace;
  trace.execution_id = "run-1";
  trace.root_node_id = "flow";
  trace.start_us = kT0;
  trace.status = RunStatus::kIncomplete;
  trace.events.push_back({kT0, EventType::kStarted, "{}"});
  trace.events.push_back({kT0 + 800 * kMs, EventType::kProgress, "{}"});

  NodeTrace g = Node("g", NodeState::kError, 200, 600);
  g.has_child_traces = true;
  g.child_traces.push_back(Node("g1", NodeState::kCompleted, 200, 400));
  g.child_traces.push_back(Node("g2", NodeState::kError, 400, 600));

  NodeTrace child_run = Node("validation", NodeState::kExecuting, 300, std::nullopt);
  child_run.child_execution_id = "run-1-child";
  child_run.has_child_traces = true;
  child_run.child_traces.push_back(Node("c1", NodeState::kCompleted, 300, 500));
  child_run.child_traces.push_back(Node("c2", NodeState::kExecuting, 500, std::nullopt));
  NodeTrace v = Node("v", NodeState::kExecuting, 300, std::nullopt);
  v.has_child_traces = true;
  v.child_traces.push_back(std::move(child_run));

  trace.nodes.push_back(Node("a", NodeState::kCompleted, 0, 200));
  trace.nodes.push_back(std::move(g));
  trace.nodes.push_back(std::move(v));
  trace.nodes.push_back(Node("s", NodeState::kSkipped, -1, 100));
  trace.nodes.push_back(Node("p", NodeState::kPending, -1, std::nullopt));
  return trace;
}

// The row whose name column starts with `name` (after indentation).
std::vector<std::string> RowOf(const std::string& chart, const std::string& name) {
  for (const auto& line : Lines(chart)) {
    size_t at = line.find_first_not_of(' ');
    if (at != std::string::npos && line.compare(at, name.size(), name) == 0)
      return CodePoints(line);
  }
  FAIL("no row for " << name << " in\n" << chart);
  return {};
}

// The bar cells of a row: the code points between its two '│' borders.
std::vector<std::string> BarCells(const std::vector<std::string>& row) {
  auto left = std::find(row.begin(), row.end(), "│");
  REQUIRE(left != row.end());
  auto right = std::find(left + 1, row.end(), "│");
  REQUIRE(right != row.end());
  return {left + 1, right};
}

// The bar of a node from `from_ms` to `to_ms` on the 800 ms axis covers
// exactly the cells it should: full blocks inside, nothing outside.
void CheckBar(const std::vector<std::string>& cells, int64_t from_ms, int64_t to_ms) {
  auto n = static_cast<int64_t>(cells.size());
  int64_t from8 = std::llround(static_cast<double>(from_ms) / 800.0 * static_cast<double>(n) * 8);
  int64_t to8 = std::llround(static_cast<double>(to_ms) / 800.0 * static_cast<double>(n) * 8);
  int64_t first = from8 / 8, last = (to8 - 1) / 8;
  INFO("cells " << n << ", bar expected in cells " << first << ".." << last);
  for (int64_t i = 0; i < n; ++i) {
    const std::string& cell = cells[static_cast<size_t>(i)];
    if (i < first || i > last)
      CHECK(cell == " ");
    else if (i > first && i < last)
      CHECK(cell == "█");
    else
      CHECK(cell != " ");
  }
}

TEST_CASE("timeline lines never exceed the width", "[timeline][no-store]") {
  ExecutionTrace trace = SampleTrace();
  trace.nodes[0].node_name = "A node with a name far longer than any column should hold, really";
  int width = GENERATE(40, 52, 60, 80, 100, 137, 200);
  bool colour = GENERATE(false, true);
  INFO("width " << width << " colour " << colour);
  std::string chart = RenderTerminalTimeline(trace, width, colour);
  for (const auto& line : Lines(StripAnsi(chart))) {
    INFO(line);
    CHECK(CodePoints(line).size() <= static_cast<size_t>(width));
  }
  // Bars fill the room: the rows are as wide as the width.
  CHECK(CodePoints(StripAnsi(Lines(chart)[2])).size() == static_cast<size_t>(width));
}

TEST_CASE("timeline narrower than the minimum is drawn at the minimum", "[timeline][no-store]") {
  std::string chart = RenderTerminalTimeline(SampleTrace(), 10, false);
  for (const auto& line : Lines(chart))
    CHECK(CodePoints(line).size() <= static_cast<size_t>(kMinTimelineWidth));
}

TEST_CASE("timeline bars sit at the nodes' times", "[timeline][no-store]") {
  int width = GENERATE(60, 80, 101, 160);
  INFO("width " << width);
  std::string chart = RenderTerminalTimeline(SampleTrace(), width, false);
  INFO(chart);
  CheckBar(BarCells(RowOf(chart, "Node a")), 0, 200);
  CheckBar(BarCells(RowOf(chart, "Node g ")), 200, 600);
  CheckBar(BarCells(RowOf(chart, "Node g1")), 200, 400);
  CheckBar(BarCells(RowOf(chart, "Broken step")), 400, 600);
  CheckBar(BarCells(RowOf(chart, "Node c1")), 300, 500);
  // Open nodes extend to the last event (+800 ms, the end of the axis).
  CheckBar(BarCells(RowOf(chart, "Node c2")), 500, 800);
  CheckBar(BarCells(RowOf(chart, "Node validation")), 300, 800);
  // A node that never ran has no bar.
  for (const auto& cell : BarCells(RowOf(chart, "Node s"))) CHECK(cell == " ");
  for (const auto& cell : BarCells(RowOf(chart, "Node p"))) CHECK(cell == " ");
}

TEST_CASE("timeline rows: tree order, nesting, markers and durations", "[timeline][no-store]") {
  std::string chart = RenderTerminalTimeline(SampleTrace(), 100, false);
  INFO(chart);
  std::vector<std::string> lines = Lines(chart);
  REQUIRE(lines.size() >= 12);
  // Axis: from 0 to the last event, with the end's duration at the right edge.
  CHECK(lines[0].find('0') != std::string::npos);
  CHECK(lines[0].size() >= 6);
  CHECK(lines[0].compare(lines[0].size() - 6, 6, "800 ms") == 0);
  CHECK_THAT(lines[1], Contains("├") && Contains("┬") && Contains("┤"));
  std::vector<std::string> order = {
      "Node a (a)",         "Node g (g)",       "  Node g1 (g1)",
      "  Broken step (g2)", "Node v (v)",       "  Node validation (validation) [child run]",
      "    Node c1 (c1)",   "    Node c2 (c2)", "Node s (s)",
      "Node p (p)"};
  for (size_t i = 0; i < order.size(); ++i) CHECK(lines[i + 2].starts_with(order[i] + " "));
  // After the bars: the marker, then the duration right-aligned to "≥ 500 ms".
  auto tail = [](const std::string& line) { return line.substr(line.rfind("│") + 3); };
  CHECK(tail(lines[2]) == "     200 ms");  // no marker: completed
  CHECK(tail(lines[5]) == " ✗   200 ms");
  CHECK(tail(lines[7]) == " … ≥ 500 ms");
  CHECK_THAT(lines[9], Contains("│ … ") && Contains("≥ 300 ms"));
  CHECK_THAT(lines[10], Contains("│ ~ "));
  CHECK_THAT(lines[11], Contains("│ · "));
  CHECK_THAT(chart, Contains("no end"));
  CHECK_THAT(chart, Contains("✗ error") && Contains("~ skipped") && Contains("… open") &&
                        Contains("· pending"));
}

TEST_CASE("timeline has ANSI colours only when asked", "[timeline][no-store]") {
  std::string plain = RenderTerminalTimeline(SampleTrace(), 90, false);
  CHECK(plain.find('\x1b') == std::string::npos);
  std::string coloured = RenderTerminalTimeline(SampleTrace(), 90, true);
  CHECK_THAT(coloured, Contains("\x1b[31m") && Contains("\x1b[32m") && Contains("\x1b[33m") &&
                           Contains("\x1b[0m"));
  // Colour changes nothing but the escapes.
  CHECK(StripAnsi(coloured) == plain);
}

TEST_CASE("timeline of a completed run ends at its end", "[timeline][no-store]") {
  ExecutionTrace trace;
  trace.execution_id = "done";
  trace.start_us = kT0;
  trace.end_us = kT0 + 2'000'000;
  trace.duration_us = 2'000'000;
  trace.status = RunStatus::kCompleted;
  trace.nodes.push_back(Node("x", NodeState::kCompleted, 500, 1500));
  std::string chart = RenderTerminalTimeline(trace, 80, false);
  INFO(chart);
  CHECK(Lines(chart)[0].ends_with("2 s"));
  CHECK_THAT(chart, !Contains("no end") && !Contains("error"));
  std::vector<std::string> cells = BarCells(RowOf(chart, "Node x"));
  auto n = static_cast<int64_t>(cells.size());
  int64_t from8 = std::llround(0.25 * static_cast<double>(n) * 8);
  int64_t to8 = std::llround(0.75 * static_cast<double>(n) * 8);
  CHECK(cells[static_cast<size_t>(from8 / 8 - 1)] == " ");
  CHECK(cells[static_cast<size_t>(from8 / 8 + 1)] == "█");
  CHECK(cells[static_cast<size_t>((to8 - 1) / 8 + 1)] == " ");
}

}  // namespace
}  // namespace extrace
