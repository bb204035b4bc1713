// Benchmark data: see flow_generator.h.
#include "bench/flow_generator.h"

#include <fmt/format.h>

#include <cstdio>
#include <random>
#include <stdexcept>

namespace extrace::bench {

std::vector<GraphNode> FlowGraph() {
  std::vector<GraphNode> nodes{{"flow", "Benchmark Flow", "group", "", 1}};
  for (int g = 0; g < 4; ++g) {
    std::string group = fmt::format("stage-{}", g);
    nodes.push_back({group, fmt::format("Stage {}", g), "group", "flow", 1});
    for (int s = 0; s < 3; ++s) {
      std::string sub = fmt::format("{}-part-{}", group, s);
      nodes.push_back({sub, fmt::format("Stage {} part {}", g, s), "group", group, 1});
      for (int l = 0; l < 4; ++l)
        nodes.push_back({fmt::format("{}-step-{}", sub, l), fmt::format("Step {}.{}.{}", g, s, l),
                         "transform", sub, static_cast<double>(10 + 10 * l)});
    }
  }
  return nodes;
}

std::vector<std::string> FlowLeaves() {
  std::vector<std::string> leaves;
  for (const auto& node : FlowGraph())
    if (node.type == "transform") leaves.push_back(node.id);
  return leaves;
}

void WriteJsonLines(const std::string& path, int64_t events, uint64_t seed) {
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (!out) throw std::runtime_error("cannot write " + path);
  std::mt19937_64 random(seed);
  std::string graph;
  for (const auto& n : FlowGraph()) {
    if (!graph.empty()) graph += ',';
    graph += fmt::format(R"({{"id":"{}","name":"{}","type":"{}")", n.id, n.name, n.type);
    if (!n.parent_id.empty()) graph += fmt::format(R"(,"parentId":"{}")", n.parent_id);
    graph += fmt::format(R"(,"weight":{}}})", n.weight);
  }
  const auto leaves = FlowLeaves();
  int64_t written = 0, run = 0;
  double now = 1795628243350.0;
  while (written < events) {
    std::string id = fmt::format("exec_{:08x}-{:06}", static_cast<uint32_t>(seed), run++);
    int64_t seq = 0;
    auto line = [&](const std::string& body) {
      fmt::print(out,
                 R"({{"executionId":"{}","seq":{},"timestamp":{:.3f},{}}})"
                 "\n",
                 id, ++seq, now, body);
      now += static_cast<double>(random() % 5000) / 1000.0;
      ++written;
    };
    line(fmt::format(
        R"("type":"started","data":{{"rootNodeId":"flow","config":{{"seed":{}}},"nodes":[{}]}})",
        seed, graph));
    for (const auto& leaf : leaves) {
      if (written >= events) break;
      line(fmt::format(R"("type":"state-change","nodeId":"{}","data":{{"state":"executing"}})",
                       leaf));
      for (int p = 25; p < 100 && written < events; p += 25)
        line(fmt::format(
            R"("type":"progress","nodeId":"{}","data":{{"progress":{},"message":"step {} of 4"}})",
            leaf, p, p / 25));
      if (written < events)
        line(fmt::format(R"("type":"state-change","nodeId":"{}","data":{{"state":"completed"}})",
                         leaf));
    }
    if (written < events) line(R"("type":"completed","data":{})");
  }
  std::fclose(out);
}

}  // namespace extrace::bench
