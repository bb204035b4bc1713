// The terminal timeline: see terminal_timeline.h. This file owns the layout
// (name column, bar area, marker and duration columns), the time axis and the
// sub-cell bar drawing.
#include "render/terminal_timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace extrace {
namespace {

constexpr int kMinBarCells = 10;
// Bar cells per axis tick: room for a label like "250 ms" and a gap.
constexpr int kCellsPerTick = 10;

constexpr std::string_view kReset = "\x1b[0m";

// Eighth blocks filled from the left: kLeftBlocks[n] covers n/8 of a cell.
constexpr std::string_view kLeftBlocks[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"};

size_t CodePoints(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// The first `count` code points of `text`.
std::string_view PrefixCodePoints(std::string_view text, size_t count) {
  size_t seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (seen++ == count) return text.substr(0, i);
  }
  return text;
}

// `text` cut or padded to exactly `width` code points; a cut ends in "…".
std::string FitLeft(std::string_view text, size_t width) {
  size_t length = CodePoints(text);
  if (length > width) {
    if (width == 0) return "";
    return std::string(PrefixCodePoints(text, width - 1)) + "…";
  }
  return std::string(text) + std::string(width - length, ' ');
}

std::string FitRight(std::string_view text, size_t width) {
  size_t length = CodePoints(text);
  if (length >= width) return std::string(PrefixCodePoints(text, width));
  return std::string(width - length, ' ') + std::string(text);
}

// The same wording as the CLI's durations (tools/text_format.h), which this
// layer cannot include: render sits below tools.
std::string HumanDuration(int64_t micros) {
  uint64_t us = micros < 0 ? 0 : static_cast<uint64_t>(micros);
  if (us < 1000) return fmt::format("{} us", us);
  if (us < 1'000'000) return fmt::format("{:.4g} ms", static_cast<double>(us) / 1000.0);
  if (us < 60'000'000) return fmt::format("{:.3g} s", static_cast<double>(us) / 1e6);
  uint64_t s = us / 1'000'000;
  if (s < 3600) return fmt::format("{} min {:02} s", s / 60, s % 60);
  return fmt::format("{} h {:02} min", s / 3600, s / 60 % 60);
}

// How a node's state reads: a marker that works without colour, and a colour.
struct StateLook {
  std::string_view marker;
  std::string_view colour;  // SGR sequence; empty: the terminal's own
  std::string_view legend;
};

StateLook LookOf(const NodeTrace& node) {
  switch (node.state) {
    case NodeState::kCompleted:
      return {" ", "\x1b[32m", ""};
    case NodeState::kError:
      return {"✗", "\x1b[31m", "error"};
    case NodeState::kSkipped:
      return {"~", "\x1b[90m", "skipped"};
    case NodeState::kExecuting:
      return {"…", "\x1b[33m", "open (no end yet)"};
    case NodeState::kPending:
      break;
  }
  return {"·", "\x1b[2m", "pending"};
}

struct Row {
  std::string name;
  const NodeTrace* node;
};

void CollectRows(const NodeTrace& node, int depth, std::vector<Row>& rows) {
  std::string name = std::string(static_cast<size_t>(depth) * 2, ' ') + node.node_name;
  if (!node.node_id.empty() && node.node_name != node.node_id) name += " (" + node.node_id + ")";
  if (!node.child_execution_id.empty()) name += " [child run]";
  rows.push_back({std::move(name), &node});
  for (const auto& child : node.child_traces) CollectRows(child, depth + 1, rows);
}

// The axis runs from the run's start to its end, or to its last event while it
// has none; events after the end (diagnostics) widen it so no bar is cut.
struct Axis {
  int64_t start_us = 0;
  int64_t end_us = 0;
  [[nodiscard]] int64_t Span() const { return std::max<int64_t>(1, end_us - start_us); }
};

void WidenByEvents(const std::vector<TraceEvent>& events, int64_t& first, int64_t& last) {
  for (const auto& event : events) {
    first = std::min(first, event.timestamp_us);
    last = std::max(last, event.timestamp_us);
  }
}

void WidenByNode(const NodeTrace& node, int64_t& first, int64_t& last) {
  WidenByEvents(node.events, first, last);
  if (node.end_us) last = std::max(last, *node.end_us);
  for (const auto& child : node.child_traces) WidenByNode(child, first, last);
}

Axis AxisOf(const ExecutionTrace& trace) {
  int64_t first = INT64_MAX;
  int64_t last = trace.end_us.value_or(INT64_MIN);
  WidenByEvents(trace.events, first, last);
  for (const auto& node : trace.nodes) WidenByNode(node, first, last);
  Axis axis;
  axis.start_us = trace.start_us != 0 ? trace.start_us : (first == INT64_MAX ? 0 : first);
  axis.end_us = std::max(axis.start_us, last);
  return axis;
}

// A time as a position on the bar area, in eighths of a cell.
int64_t Eighths(const Axis& axis, int64_t t, int cells) {
  double fraction = static_cast<double>(t - axis.start_us) / static_cast<double>(axis.Span());
  auto eighths = static_cast<int64_t>(std::llround(fraction * cells * 8));
  return std::clamp<int64_t>(eighths, 0, int64_t{8} * cells);
}

// One cell covering eighths [lo, hi) of itself, 0 <= lo < hi <= 8. Unicode has
// eighth blocks from the left only; a bar starting mid-cell uses the right
// half or right eighth block, the nearest there is.
std::string_view CellGlyph(int lo, int hi) {
  if (lo == 0) return kLeftBlocks[hi];
  if (hi == 8) return 8 - lo >= 6 ? "█" : 8 - lo >= 3 ? "▐" : "▕";
  if (lo < 4) return kLeftBlocks[hi];
  return hi - lo >= 3 ? "▐" : "▕";
}

// The bar area of one row: exactly `cells` cells.
std::string Bar(const Axis& axis, int cells, const NodeTrace& node, const StateLook& look,
                bool use_colour) {
  if (node.start_us == 0) return std::string(static_cast<size_t>(cells), ' ');
  int64_t from = Eighths(axis, node.start_us, cells);
  int64_t to = Eighths(axis, node.end_us.value_or(axis.end_us), cells);
  // Every node that ran shows, however short: at least one eighth.
  if (from >= int64_t{8} * cells) from = int64_t{8} * cells - 1;
  if (to <= from) to = from + 1;
  int64_t first_cell = from / 8;
  int64_t last_cell = (to - 1) / 8;
  std::string out(static_cast<size_t>(first_cell), ' ');
  if (use_colour && !look.colour.empty()) out += look.colour;
  for (int64_t cell = first_cell; cell <= last_cell; ++cell) {
    int lo = static_cast<int>(std::max(from, cell * 8) - cell * 8);
    int hi = static_cast<int>(std::min(to, cell * 8 + 8) - cell * 8);
    out += CellGlyph(lo, hi);
  }
  if (use_colour && !look.colour.empty()) out += kReset;
  out += std::string(static_cast<size_t>(cells - 1 - last_cell), ' ');
  return out;
}

// A step of 1, 2, 2.5 or 5 times a power of ten (microseconds up to seconds), or a
// whole number of minutes or hours, so labels read as round durations.
int64_t TickStep(int64_t span, int cells) {
  int64_t wanted = std::max<int64_t>(1, span / std::max(1, cells / kCellsPerTick));
  std::vector<int64_t> steps;
  for (int64_t power = 1; power <= 10'000'000; power *= 10)
    for (int64_t tenths : {10, 20, 25, 50})
      if (tenths * power % 10 == 0) steps.push_back(tenths * power / 10);
  for (int64_t minutes : {1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440})
    steps.push_back(minutes * 60'000'000);
  for (int64_t step : steps)
    if (step >= wanted) return step;
  constexpr int64_t kDay = 1440LL * 60'000'000;
  return (wanted + kDay - 1) / kDay * kDay;
}

// Two lines over the bar area: duration labels at round ticks, then the axis
// itself. Columns 0 and cells + 1 are the bar area's borders.
std::pair<std::string, std::string> AxisLines(const Axis& axis, int cells) {
  size_t columns = static_cast<size_t>(cells) + 2;
  std::string labels(columns, ' ');
  std::vector<std::string_view> line(columns, "─");
  line.front() = "├";
  line.back() = "┤";
  std::string end_label = HumanDuration(axis.Span());
  size_t end_at = columns > end_label.size() ? columns - end_label.size() : 0;
  labels.replace(end_at, end_label.size(), end_label.substr(0, columns));
  labels[0] = '0';
  size_t free_from = 2;  // first column a further label may use
  int64_t step = TickStep(axis.Span(), cells);
  for (int64_t t = step; t < axis.Span(); t += step) {
    size_t column = 1 + static_cast<size_t>(Eighths(axis, axis.start_us + t, cells) / 8);
    if (column >= columns - 1) break;
    line[column] = "┬";
    std::string label = HumanDuration(t);
    if (column < free_from || column + label.size() + 1 > end_at) continue;
    labels.replace(column, label.size(), label);
    free_from = column + label.size() + 1;
  }
  std::string axis_line;
  for (auto glyph : line) axis_line += glyph;
  while (!labels.empty() && labels.back() == ' ') labels.pop_back();
  return {labels, axis_line};
}

}  // namespace

std::string RenderTerminalTimeline(const ExecutionTrace& trace, int width, bool use_colour) {
  width = std::max(width, kMinTimelineWidth);
  Axis axis = AxisOf(trace);
  std::vector<Row> rows;
  for (const auto& node : trace.nodes) CollectRows(node, 0, rows);

  std::vector<std::string> durations;
  size_t name_width = 4;  // "NODE"
  size_t duration_width = 0;
  for (const auto& row : rows) {
    const NodeTrace& node = *row.node;
    std::string text = "-";
    if (node.duration_us)
      text = HumanDuration(*node.duration_us);
    else if (node.start_us != 0 && !node.end_us)
      text = "≥ " + HumanDuration(axis.end_us - node.start_us);  // open: at least this long
    duration_width = std::max(duration_width, CodePoints(text));
    name_width = std::max(name_width, CodePoints(row.name));
    durations.push_back(std::move(text));
  }
  // A row: NAME ' ' '│' BARS '│' ' ' MARKER ' ' DURATION.
  int fixed = 5 + static_cast<int>(duration_width);
  int room = width - fixed;
  name_width = std::min(name_width, static_cast<size_t>(std::max(8, room / 2)));
  int cells = std::max(kMinBarCells, room - static_cast<int>(name_width) - 1);
  if (static_cast<int>(name_width) + 1 + cells + fixed > width)
    name_width = static_cast<size_t>(std::max(1, width - fixed - 1 - cells));

  std::string out;
  auto [labels, axis_line] = AxisLines(axis, cells);
  out += FitLeft("", name_width + 1) + labels + "\n";
  out += FitLeft("NODE", name_width) + " " + axis_line + "\n";
  std::vector<StateLook> legend;  // the states that occur, in order of appearance
  for (size_t i = 0; i < rows.size(); ++i) {
    const NodeTrace& node = *rows[i].node;
    StateLook look = LookOf(node);
    if (!look.legend.empty() && std::none_of(legend.begin(), legend.end(), [&](const auto& seen) {
          return seen.legend == look.legend;
        }))
      legend.push_back(look);
    out += FitLeft(rows[i].name, name_width);
    out += " │";
    out += Bar(axis, cells, node, look, use_colour);
    out += "│ ";
    if (use_colour && !look.colour.empty() && look.marker != " ")
      out += fmt::format("{}{}{}", look.colour, look.marker, kReset);
    else
      out += look.marker;
    out += " ";
    out += FitRight(durations[i], duration_width);
    out += "\n";
  }
  if (rows.empty()) out += "(the run declares no nodes)\n";

  // Plain lines, cut to the width like every other.
  std::vector<std::string> notes;
  if (!trace.end_us)
    notes.push_back("no end: the run is incomplete, the axis stops at its last event");
  if (!legend.empty()) {
    std::string text;
    for (const auto& look : legend)
      text += fmt::format("{}{} {}", text.empty() ? "" : "   ", look.marker, look.legend);
    notes.push_back(std::move(text));
  }
  for (auto& note : notes) {
    if (CodePoints(note) > static_cast<size_t>(width)) note = FitLeft(note, width);
    out += note + "\n";
  }
  return out;
}

}  // namespace extrace
