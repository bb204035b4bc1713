// Benchmark data: see flow_generator.h.
#include "bench/flow_generator.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <stdexcept>

namespace extrace::bench {

std::vector<GraphNode> FlowGraph(FlowShape shape) {
  std::vector<GraphNode> nodes{{"flow", "Benchmark Flow", "group", "", 1}};
  auto add_steps = [&](const std::string& parent, const std::string& label) {
    for (int l = 0; l < shape.steps; ++l)
      nodes.push_back({fmt::format("{}-step-{}", parent, l), fmt::format("Step {}.{}", label, l),
                       "transform", parent, static_cast<double>(10 + 10 * l)});
  };
  for (int g = 0; g < shape.groups; ++g) {
    std::string group = fmt::format("stage-{}", g);
    nodes.push_back({group, fmt::format("Stage {}", g), "group", "flow", 1});
    if (shape.parts == 0) add_steps(group, std::to_string(g));
    for (int s = 0; s < shape.parts; ++s) {
      std::string sub = fmt::format("{}-part-{}", group, s);
      nodes.push_back({sub, fmt::format("Stage {} part {}", g, s), "group", group, 1});
      add_steps(sub, fmt::format("{}.{}", g, s));
    }
  }
  return nodes;
}

std::vector<std::string> FlowLeaves(FlowShape shape) {
  std::vector<std::string> leaves;
  for (const auto& node : FlowGraph(shape))
    if (node.type == "transform") leaves.push_back(node.id);
  return leaves;
}

EventGenerator::EventGenerator(const GenOptions& options, int64_t total_events)
    : options_(options),
      total_(total_events),
      graph_(FlowGraph(options.shape)),
      random_state_(options.seed * 0x9E3779B97F4A7C15ULL + 1) {
  for (size_t i = 0; i < graph_.size(); ++i)
    if (graph_[i].type == "transform") leaves_.push_back(static_cast<int>(i));
  config_json_ = fmt::format(R"({{"seed":{}}})", options_.seed);
  std::string nodes;
  for (const auto& n : graph_) {
    if (!nodes.empty()) nodes += ',';
    nodes += fmt::format(R"({{"id":"{}","name":"{}","type":"{}")", n.id, n.name, n.type);
    if (!n.parent_id.empty()) nodes += fmt::format(R"(,"parentId":"{}")", n.parent_id);
    nodes += fmt::format(R"(,"weight":{}}})", n.weight);
  }
  started_data_ = fmt::format(R"({{"rootNodeId":"{}","config":{},"nodes":[{}]}})", graph_[0].id,
                              config_json_, nodes);
}

int64_t EventGenerator::events_per_run() const {
  return 2 + static_cast<int64_t>(leaves_.size()) * (2 + options_.progress_per_leaf);
}

std::string EventGenerator::ExecutionId(int64_t run) const {
  return fmt::format("exec_{:08x}-{:07}", static_cast<uint32_t>(options_.seed), run);
}

bool EventGenerator::Next(GenEvent& event) {
  if (emitted_ >= total_) return false;
  ++emitted_;
  // splitmix64: cheap, so the generator never dominates what it feeds.
  random_state_ += 0x9E3779B97F4A7C15ULL;
  uint64_t z = random_state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  now_ms_ += static_cast<double>(z % 5000) / 1000.0;

  event.node = -1;
  event.message.clear();
  event.progress = 0;
  const int64_t n = options_.progress_per_leaf;
  if (!run_started_) {
    ++run_;
    seq_ = 0;
    leaf_ = 0;
    step_ = 0;
    run_started_ = true;
    event.type = EventType::kStarted;
    event.data_json = started_data_;
  } else if (leaf_ < leaves_.size()) {
    event.node = leaves_[leaf_];
    if (step_ == 0 || step_ == n + 1) {
      event.type = EventType::kStateChange;
      event.state = step_ == 0 ? NodeState::kExecuting : NodeState::kCompleted;
      event.data_json = step_ == 0 ? R"({"state":"executing"})" : R"({"state":"completed"})";
    } else {
      event.type = EventType::kProgress;
      event.progress =
          std::round(static_cast<double>(step_) * 10000.0 / static_cast<double>(n + 1)) / 100.0;
      event.message = fmt::format("step {} of {}", step_, n);
      event.data_json.clear();
      fmt::format_to(std::back_inserter(event.data_json), R"({{"progress":{},"message":"{}"}})",
                     event.progress, event.message);
    }
    if (++step_ > n + 1) {
      step_ = 0;
      ++leaf_;
    }
  } else {
    event.type = EventType::kCompleted;
    event.data_json = "{}";
    run_started_ = false;
  }
  event.run = run_;
  event.seq = ++seq_;
  event.timestamp_us = static_cast<int64_t>(std::llround(now_ms_ * 1000.0));
  return true;
}

void EventGenerator::AppendJsonLine(const GenEvent& event, std::string& out) const {
  auto it = std::back_inserter(out);
  fmt::format_to(it, R"({{"executionId":"exec_{:08x}-{:07}","seq":{},"timestamp":{}.{:03},)",
                 static_cast<uint32_t>(options_.seed), event.run, event.seq,
                 event.timestamp_us / 1000, event.timestamp_us % 1000);
  fmt::format_to(it, R"("type":"{}",)", EventTypeName(event.type));
  if (event.node >= 0) fmt::format_to(it, R"("nodeId":"{}",)", graph_[event.node].id);
  out += R"("data":)";
  out += event.data_json;
  out += "}\n";
}

int64_t WriteJsonLines(std::FILE* out, const GenOptions& options, int64_t events) {
  EventGenerator generator(options, events);
  GenEvent event;
  std::string buffer;
  int64_t bytes = 0;
  while (generator.Next(event)) {
    generator.AppendJsonLine(event, buffer);
    if (buffer.size() >= (1 << 20)) {
      if (std::fwrite(buffer.data(), 1, buffer.size(), out) != buffer.size())
        throw std::runtime_error("cannot write JSON Lines");
      bytes += static_cast<int64_t>(buffer.size());
      buffer.clear();
    }
  }
  if (std::fwrite(buffer.data(), 1, buffer.size(), out) != buffer.size())
    throw std::runtime_error("cannot write JSON Lines");
  return bytes + static_cast<int64_t>(buffer.size());
}

int64_t WriteJsonLines(const std::string& path, const GenOptions& options, int64_t events) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!out) throw std::runtime_error("cannot write " + path);
  int64_t bytes = WriteJsonLines(out.get(), options, events);
  if (std::fclose(out.release()) != 0) throw std::runtime_error("cannot write " + path);
  return bytes;
}

void WriteJsonLines(const std::string& path, int64_t events, uint64_t seed) {
  GenOptions options;
  options.seed = seed;
  WriteJsonLines(path, options, events);
}

}  // namespace extrace::bench
