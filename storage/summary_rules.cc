// The summaries' rules: see summary_rules.h.
#include "storage/summary_rules.h"

#include <charconv>

#include "format/event_json.h"
#include "storage/log_format.h"

namespace extrace::summary_rules {
namespace {

bool CountsAsError(const NodeRunFacts& node) {
  return node.declared && node.state == log_format::Code(NodeState::kError);
}

}  // namespace

int Declare(NodeRunFacts& node) {
  const bool was_error = CountsAsError(node);
  node.declared = true;
  return int(CountsAsError(node)) - int(was_error);
}

int ApplyState(NodeRunFacts& node, int64_t seq, int64_t timestamp_us, NodeState state,
               std::string_view error_message) {
  const bool was_error = CountsAsError(node);
  if (state == NodeState::kExecuting && (!node.start_seq || seq < *node.start_seq)) {
    node.start_seq = seq;
    node.start_us = timestamp_us;
  }
  if (!node.state_seq || seq > *node.state_seq) {
    node.state = log_format::Code(state);
    node.state_seq = seq;
    node.end_us = IsTerminal(state) ? std::optional<int64_t>(timestamp_us) : std::nullopt;
    if (state == NodeState::kError)
      node.error_message.emplace(error_message);
    else
      node.error_message.reset();
  }
  return int(CountsAsError(node)) - int(was_error);
}

int ApplyProgress(NodeRunFacts& node, int64_t seq, double progress) {
  if (node.progress_seq && seq < *node.progress_seq) return 0;
  node.progress = progress;
  node.progress_seq = seq;
  return 0;
}

std::optional<StateChange> ReadStateChange(const Event& event,
                                           const payload_layout::Pieces& pieces) {
  if (pieces.layout && pieces.data.empty()) {
    if (auto state = payload_layout::StateOf(*pieces.layout)) return StateChange{*state, {}};
  }
  auto data = ParseDataObject(event.data_json);
  const auto* state_value = data.if_contains("state");
  if (state_value == nullptr || !state_value->is_string()) return std::nullopt;
  auto state = ParseNodeState(state_value->get_string());
  if (!state) return std::nullopt;
  StateChange change{*state, {}};
  if (const auto* text = data.if_contains("errorMessage"); text && text->is_string())
    change.error_message = text->get_string();
  return change;
}

std::optional<double> ReadProgress(const Event& event, const payload_layout::Pieces& pieces) {
  if (pieces.layout == 7) {
    std::string_view text = pieces.data.substr(0, pieces.data.find(','));
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc() && end == text.data() + text.size()) return value;
  }
  auto data = ParseDataObject(event.data_json);
  const auto* value = data.if_contains("progress");
  if (value == nullptr || !value->is_number()) return std::nullopt;
  return value->to_number<double>();
}

}  // namespace extrace::summary_rules
