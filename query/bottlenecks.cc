// Bottleneck analysis of one run: see bottlenecks.h.
#include "query/bottlenecks.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "format/event_json.h"

namespace extrace {
namespace {

// 40 -> "40%", 66.666... -> "66.67%".
std::string Percent(double value) {
  std::string text = fmt::format("{:.2f}", value);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text + "%";
}

// "executing", "progress 40%", "completed", ... for people reading a stall.
std::string Describe(EventType type, std::string_view data_json) {
  boost::json::object data = ParseDataObject(data_json);
  if (type == EventType::kStateChange) {
    if (const auto* state = data.if_contains("state"); state && state->is_string())
      return std::string(state->get_string());
  } else if (type == EventType::kProgress) {
    if (const auto* progress = data.if_contains("progress"); progress && progress->is_number())
      return "progress " + Percent(progress->to_number<double>());
  }
  return std::string(EventTypeName(type));
}

// Longer gap first, then the earlier one, then by node: a total order, so the
// kept stalls do not depend on how the heap broke ties.
bool Longer(const Stall& x, const Stall& y) {
  if (x.gap_us != y.gap_us) return x.gap_us > y.gap_us;
  if (x.start_us != y.start_us) return x.start_us < y.start_us;
  if (x.node_id != y.node_id) return x.node_id < y.node_id;
  return x.from_seq < y.from_seq;
}

class Analyzer {
 public:
  Analyzer(const RunTree& tree, const EventScan& scan) : tree_(tree), scan_(scan) {}

  BottleneckReport Run() {
    const RunSummary& run = tree_.run;
    report_.execution_id = run.execution_id;
    report_.status = run.status;
    report_.start_us = run.start_us.value_or(run.last_us.value_or(0));
    report_.end_us = run.end_us;
    report_.horizon_us =
        std::max(report_.start_us, run.end_us.value_or(run.last_us.value_or(report_.start_us)));
    report_.run_duration_us = report_.horizon_us - report_.start_us;
    report_.diagnostics = tree_.diagnostics;
    costs_.resize(tree_.nodes.size());
    // Children come after their parent in pre-order: backwards, they are done first.
    for (size_t i = tree_.nodes.size(); i-- > 0;) Cost(i);
    std::vector<std::pair<int64_t, int64_t>> top_spans;
    int64_t deadline = report_.start_us;
    for (size_t top : tree_.top) {
      if (!costs_[top].start_us) continue;
      top_spans.emplace_back(*costs_[top].start_us, *costs_[top].end_us);
      deadline = std::max(deadline, *costs_[top].end_us);
    }
    report_.covered_us = UnionLength(std::move(top_spans), report_.start_us, report_.horizon_us);
    report_.run_self_us = report_.run_duration_us - report_.covered_us;
    Level(tree_.top, /*on_path=*/true, deadline);
    SortNodes();
    report_.stalls = scan_.stalls;
    FindOpenNodes();
    return std::move(report_);
  }

 private:
  void Cost(size_t i) {
    const NodeTiming& timing = tree_.nodes[i].timing;
    NodeCost& cost = costs_[i];
    cost.node = i;
    if (timing.derived && !timing.children.empty()) {
      // A derived group spans its children, open ones included.
      for (size_t child : timing.children) {
        const NodeCost& c = costs_[child];
        if (!c.start_us) continue;
        cost.start_us = cost.start_us ? std::min(*cost.start_us, *c.start_us) : *c.start_us;
        cost.end_us = cost.end_us ? std::max(*cost.end_us, *c.end_us) : *c.end_us;
        cost.open = cost.open || c.open;
      }
    } else if (timing.start_us) {
      cost.start_us = timing.start_us;
      if (timing.end_us) {
        cost.end_us = std::max(*timing.end_us, *timing.start_us);
      } else {
        cost.end_us = std::max(report_.horizon_us, *timing.start_us);
        cost.open = true;
      }
    }
    if (!cost.start_us) return;
    cost.total_us = *cost.end_us - *cost.start_us;
    cost.self_us = *cost.total_us;
    if (!timing.children.empty()) {
      std::vector<std::pair<int64_t, int64_t>> spans;
      for (size_t child : timing.children)
        if (costs_[child].start_us)
          spans.emplace_back(*costs_[child].start_us, *costs_[child].end_us);
      cost.children_us = UnionLength(std::move(spans), *cost.start_us, *cost.end_us);
      cost.self_us = *cost.total_us - *cost.children_us;
    }
    if (report_.run_duration_us > 0)
      cost.share =
          static_cast<double>(*cost.total_us) / static_cast<double>(report_.run_duration_us);
  }

  [[nodiscard]] int64_t Start(size_t i) const { return *costs_[i].start_us; }
  [[nodiscard]] int64_t End(size_t i) const { return *costs_[i].end_us; }

  // One level of siblings: its part of the critical path (when its parent is
  // on it), every member's slack, then the levels below.
  void Level(const std::vector<size_t>& members, bool on_path, int64_t deadline) {
    std::vector<size_t> items;
    for (size_t i : members)
      if (costs_[i].start_us) items.push_back(i);
    if (items.empty()) return;
    std::vector<size_t> chain;
    if (on_path) chain = Chain(items);
    for (size_t i : chain) costs_[i].on_critical_path = true;
    Slack(items, deadline);
    for (size_t i : chain) {
      report_.critical_path.push_back(i);
      Level(tree_.nodes[i].timing.children, true, ChildDeadline(i));
    }
    for (size_t i : items)
      if (!costs_[i].on_critical_path)
        Level(tree_.nodes[i].timing.children, false, ChildDeadline(i));
  }

  // The node that ended last, then backwards the one each waited for.
  [[nodiscard]] std::vector<size_t> Chain(std::vector<size_t> items) const {
    // By end; among equal ends the earliest start (the longer one) sorts last, so it is taken.
    std::sort(items.begin(), items.end(), [&](size_t x, size_t y) {
      if (End(x) != End(y)) return End(x) < End(y);
      if (Start(x) != Start(y)) return Start(x) > Start(y);
      return x > y;
    });
    std::vector<int64_t> ends;
    ends.reserve(items.size());
    for (size_t i : items) ends.push_back(End(i));
    std::vector<size_t> chain{items.back()};
    std::vector<bool> taken(items.size());
    taken.back() = true;
    for (;;) {
      size_t k = static_cast<size_t>(
          std::upper_bound(ends.begin(), ends.end(), Start(chain.back())) - ends.begin());
      while (k > 0 && taken[k - 1]) --k;  // zero-length nodes can meet themselves
      if (k == 0) break;
      taken[k - 1] = true;
      chain.push_back(items[k - 1]);
    }
    std::reverse(chain.begin(), chain.end());
    return chain;
  }

  // The backward pass of bottlenecks.h's slack rule, O(n log n) per level:
  // by start, the siblings that start at or after a node's end are a suffix.
  void Slack(std::vector<size_t> items, int64_t deadline) {
    std::sort(items.begin(), items.end(), [&](size_t x, size_t y) {
      if (Start(x) != Start(y)) return Start(x) < Start(y);
      if (End(x) != End(y)) return End(x) < End(y);
      return x < y;
    });
    std::vector<int64_t> starts;
    starts.reserve(items.size());
    for (size_t i : items) starts.push_back(Start(i));
    std::vector<int64_t> latest_start(items.size() + 1, std::numeric_limits<int64_t>::max());
    for (size_t p = items.size(); p-- > 0;) {
      size_t i = items[p];
      size_t q = static_cast<size_t>(std::lower_bound(starts.begin(), starts.end(), End(i)) -
                                     starts.begin());
      q = std::max(q, p + 1);
      int64_t latest_end = std::min(deadline, latest_start[q]);
      int64_t slack = costs_[i].on_critical_path ? 0 : std::max<int64_t>(0, latest_end - End(i));
      costs_[i].slack_us = slack;
      latest_start[p] = std::min(latest_start[p + 1], Start(i) + slack);
    }
  }

  // The latest its children may end: its children's last end, moved by its slack.
  [[nodiscard]] int64_t ChildDeadline(size_t i) const {
    int64_t last = End(i);
    bool any = false;
    for (size_t child : tree_.nodes[i].timing.children) {
      if (!costs_[child].start_us) continue;
      last = any ? std::max(last, End(child)) : End(child);
      any = true;
    }
    return last + costs_[i].slack_us.value_or(0);
  }

  void SortNodes() {
    auto rank = [&](const NodeCost& c) {
      return !c.total_us ? 2 : tree_.nodes[c.node].IsGroup() ? 1 : 0;
    };
    report_.nodes = costs_;
    std::stable_sort(report_.nodes.begin(), report_.nodes.end(),
                     [&](const NodeCost& x, const NodeCost& y) {
                       if (rank(x) != rank(y)) return rank(x) < rank(y);
                       return x.total_us.value_or(0) > y.total_us.value_or(0);
                     });
  }

  // Only the run's own nodes: their events are the ones scanned.
  void FindOpenNodes() {
    int64_t log_end = tree_.run.last_us.value_or(report_.horizon_us);
    for (size_t i = 0; i < tree_.nodes.size(); ++i) {
      const TreeNode& node = tree_.nodes[i];
      const NodeTiming& timing = node.timing;
      if (node.execution_id != tree_.run.execution_id || timing.derived || !timing.start_us ||
          timing.end_us)
        continue;
      OpenNode open;
      open.node = i;
      if (auto last = scan_.last_event_us.find(timing.node_id); last != scan_.last_event_us.end()) {
        open.last_event_us = last->second;
        open.silent_us = std::max<int64_t>(0, log_end - last->second);
      }
      report_.open_nodes.push_back(open);
    }
  }

  const RunTree& tree_;
  const EventScan& scan_;
  std::vector<NodeCost> costs_;  // by tree index
  BottleneckReport report_;
};

}  // namespace

void StallScanner::Add(const Event& event) {
  if (event.node_id.empty() ||
      (event.type != EventType::kStateChange && event.type != EventType::kProgress))
    return;
  auto [it, first] = last_.try_emplace(event.node_id);
  LastEvent& last = it->second;
  if (!first && event.timestamp_us > last.timestamp_us) {
    Stall stall;
    stall.node_id = event.node_id;
    stall.start_us = last.timestamp_us;
    stall.gap_us = event.timestamp_us - last.timestamp_us;
    stall.from_seq = last.seq;
    stall.to_seq = event.seq;
    bool kept = keep_ == 0 || heap_.size() < keep_ || Longer(stall, heap_.front());
    if (kept) {
      // Words only for the stalls kept: that parses two data objects.
      stall.from = Describe(last.type, last.data_json);
      stall.to = Describe(event.type, event.data_json);
      heap_.push_back(std::move(stall));
      std::push_heap(heap_.begin(), heap_.end(), Longer);
      if (keep_ != 0 && heap_.size() > keep_) {
        std::pop_heap(heap_.begin(), heap_.end(), Longer);
        heap_.pop_back();
      }
    }
  }
  last.timestamp_us = event.timestamp_us;
  last.seq = event.seq;
  last.type = event.type;
  last.data_json = event.data_json;
}

EventScan StallScanner::Finish() {
  EventScan scan;
  for (const auto& [node, last] : last_) scan.last_event_us.emplace(node, last.timestamp_us);
  scan.stalls = std::move(heap_);
  heap_.clear();
  std::sort(scan.stalls.begin(), scan.stalls.end(), Longer);
  return scan;
}

BottleneckReport AnalyzeBottlenecks(const RunTree& tree, const EventScan& scan) {
  return Analyzer(tree, scan).Run();
}

}  // namespace extrace
