// What the projector tests share: event lines of hand-made runs, parsed into
// events and projected in memory (no store), and a trace as JSON.
#pragma once

#include <fmt/format.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "format/event_json.h"
#include "query/projector.h"
#include "query/trace_json.h"

namespace extrace::projector_test {

// Builds events from JSON Lines; seqs are given in order when absent.
inline std::vector<Event> Events(const std::vector<std::string>& lines) {
  EventParser parser;
  std::vector<Event> events;
  for (const auto& line : lines) {
    auto event = parser.Parse(line);
    INFO(line);
    REQUIRE(event.has_value());
    if (event->seq == 0) event->seq = static_cast<int64_t>(events.size()) + 1;
    events.push_back(std::move(*event));
  }
  return events;
}

inline std::string Node(const std::string& id, const std::string& parent = "", double weight = 1) {
  std::string text = fmt::format(R"({{"id":"{}","name":"{} name","type":"t")", id, id);
  if (!parent.empty()) text += fmt::format(R"(,"parentId":"{}")", parent);
  if (weight != 1) text += fmt::format(R"(,"weight":{})", weight);
  return text + "}";
}

inline std::string Started(const std::string& root, const std::vector<std::string>& nodes,
                           double ts = 1000) {
  std::string list;
  for (const auto& n : nodes) list += (list.empty() ? "" : ",") + n;
  return fmt::format(
      R"({{"executionId":"r","timestamp":{},"type":"started","data":{{"rootNodeId":"{}","nodes":[{}]}}}})",
      ts, root, list);
}

inline std::string State(const std::string& node, const std::string& state, double ts,
                         const std::string& error = "") {
  std::string extra = error.empty() ? "" : fmt::format(R"(,"errorMessage":"{}")", error);
  return fmt::format(
      R"({{"executionId":"r","timestamp":{},"type":"state-change","nodeId":"{}","data":{{"state":"{}"{}}}}})",
      ts, node, state, extra);
}

inline std::string Progress(const std::string& node, double progress, double ts) {
  return fmt::format(
      R"({{"executionId":"r","timestamp":{},"type":"progress","nodeId":"{}","data":{{"progress":{},"message":"m"}}}})",
      ts, node, progress);
}

inline std::string Completed(double ts, const std::string& data = "{}") {
  return fmt::format(R"({{"executionId":"r","timestamp":{},"type":"completed","data":{}}})", ts,
                     data);
}

inline ExecutionTrace Project(const std::vector<std::string>& lines) {
  auto events = Events(lines);
  return ProjectRun("r", events);
}

inline boost::json::object Json(const ExecutionTrace& trace) {
  return boost::json::parse(TraceToJson(trace)).as_object();
}

}  // namespace extrace::projector_test
