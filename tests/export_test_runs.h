// The runs both export tests (chrome_export_test.cc, otlp_export_test.cc)
// ingest, as JSON Lines, and the CLI calls around them. Times are milliseconds
// after kBaseMs; fractions keep microseconds, so exports must stay exact.
#pragma once

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "test_support.h"

namespace extrace::testing {

inline constexpr long long kBaseMs = 1800000000000;
inline constexpr long long kBaseUs = kBaseMs * 1000;

// One event line; `data` is the inside of the data object.
inline std::string EventLine(const std::string& id, int seq, double offset_ms,
                             const std::string& type, const std::string& node = "",
                             const std::string& data = "") {
  // Offsets are written with up to three decimals: kBaseMs + offset stays exact.
  char timestamp[64];
  std::snprintf(
      timestamp, sizeof timestamp, "%lld.%03lld", kBaseMs + static_cast<long long>(offset_ms),
      static_cast<long long>((offset_ms - static_cast<long long>(offset_ms)) * 1000 + 0.5));
  std::string line = R"({"executionId":")" + id + R"(","seq":)" + std::to_string(seq) +
                     R"(,"timestamp":)" + timestamp + R"(,"type":")" + type + "\"";
  if (!node.empty()) line += R"(,"nodeId":")" + node + "\"";
  if (!data.empty()) line += R"(,"data":{)" + data + "}";
  return line + "}\n";
}

inline std::string State(const std::string& state) { return R"("state":")" + state + "\""; }

// Groups inside groups (outer has state-changes of its own, inner derives from
// its leaves), leaves that overlap without nesting (leaf1/leaf2, side inside
// inner's time but not inside inner), and a child run under the group `sub`.
inline std::string NestedRun(const std::string& id, double shift_ms = 0,
                             const std::string& child_id = "child-1") {
  auto e = [&](int seq, double at, const std::string& type, const std::string& node = "",
               const std::string& data = "") {
    return EventLine(id, seq, at + shift_ms, type, node, data);
  };
  auto c = [&](int seq, double at, const std::string& type, const std::string& node = "",
               const std::string& data = "") {
    return EventLine(child_id, seq, at + shift_ms, type, node, data);
  };
  std::string nodes =
      R"("rootNodeId":"nflow","nodes":[{"id":"nflow","name":"Nested Flow","type":"group"},)"
      R"({"id":"outer","name":"Outer","type":"group","parentId":"nflow"},)"
      R"({"id":"inner","name":"Inner","type":"group","parentId":"outer"},)"
      R"({"id":"leaf1","name":"Leaf 1","type":"task","parentId":"inner"},)"
      R"({"id":"leaf2","name":"Leaf 2","type":"task","parentId":"inner"},)"
      R"({"id":"side","name":"Side","type":"task","parentId":"outer"},)"
      R"({"id":"sub","name":"Sub","type":"group","parentId":"nflow"},)"
      R"({"id":"tail","name":"Tail","type":"task","parentId":"nflow"}])";
  std::string child_nodes =
      R"("rootNodeId":"cflow","parentExecutionId":")" + id +
      R"(","parentNodeId":"sub","nodes":[{"id":"cflow","name":"Child Flow","type":"group"},)"
      R"({"id":"c1","name":"C1","type":"task","parentId":"cflow"},)"
      R"({"id":"c2","name":"C2","type":"task","parentId":"cflow"}])";
  return e(1, 0, "started", "", nodes) + e(2, 1, "state-change", "outer", State("executing")) +
         e(3, 1.5, "state-change", "leaf1", State("executing")) +
         e(4, 2, "state-change", "side", State("executing")) +
         e(5, 3.25, "state-change", "leaf2", State("executing")) +
         e(6, 4, "progress", "leaf1", R"("progress":50,"message":"half")") +
         e(7, 5, "state-change", "side", State("completed")) +
         e(8, 6, "state-change", "leaf1", State("completed")) +
         e(9, 6.5, "progress", "leaf2", R"("progress":40.5)") +
         e(10, 8, "state-change", "leaf2", State("completed")) +
         e(11, 8.5, "state-change", "outer", State("completed")) +
         c(1, 9, "started", "", child_nodes) + c(2, 9.5, "state-change", "c1", State("executing")) +
         c(3, 10, "progress", "c1", R"("progress":50)") +
         c(4, 11, "state-change", "c1", State("completed")) +
         c(5, 11, "state-change", "c2", State("executing")) +
         c(6, 12, "state-change", "c2", State("completed")) + c(7, 12.5, "completed") +
         e(12, 13, "state-change", "tail", State("executing")) +
         e(13, 14, "state-change", "tail", State("completed")) + e(14, 15, "completed");
}

// Node b fails, then the run fails; c never runs.
inline std::string FailedRun(const std::string& id) {
  std::string nodes =
      R"("rootNodeId":"fflow","nodes":[{"id":"fflow","name":"Failing Flow","type":"group"},)"
      R"({"id":"a","name":"A","type":"task","parentId":"fflow"},)"
      R"({"id":"b","name":"B","type":"task","parentId":"fflow"},)"
      R"({"id":"c","name":"C","type":"task","parentId":"fflow"}])";
  return EventLine(id, 1, 0, "started", "", nodes) +
         EventLine(id, 2, 0.1, "state-change", "a", State("executing")) +
         EventLine(id, 3, 1, "state-change", "a", State("completed")) +
         EventLine(id, 4, 1, "state-change", "b", State("executing")) +
         EventLine(id, 5, 1.5, "progress", "b", R"("progress":20)") +
         EventLine(id, 6, 2, "state-change", "b",
                   R"("state":"error","errorMessage":"disk on fire")") +
         EventLine(id, 7, 2.5, "error", "", R"("message":"run failed: b")");
}

// The log stops while g2 and h execute: no end for them, g or the run.
inline std::string IncompleteRun(const std::string& id) {
  std::string nodes =
      R"("rootNodeId":"oflow","nodes":[{"id":"oflow","name":"Open Flow","type":"group"},)"
      R"({"id":"g","name":"G","type":"group","parentId":"oflow"},)"
      R"({"id":"g1","name":"G1","type":"task","parentId":"g"},)"
      R"({"id":"g2","name":"G2","type":"task","parentId":"g"},)"
      R"({"id":"h","name":"H","type":"task","parentId":"oflow"}])";
  return EventLine(id, 1, 0, "started", "", nodes) +
         EventLine(id, 2, 1, "state-change", "g1", State("executing")) +
         EventLine(id, 3, 2, "state-change", "g2", State("executing")) +
         EventLine(id, 4, 3, "state-change", "g1", State("completed")) +
         EventLine(id, 5, 4, "state-change", "h", State("executing")) +
         EventLine(id, 6, 5, "progress", "g2", R"("progress":60)");
}

// The root is the flow's only node, so `nodes` is the root alone, and it sends
// state-changes of its own: it starts 1 ms after the run and ends 2 ms before
// it. A child run hangs under the root; its own root (also its only node) runs
// inside the child run's times, not at them.
inline std::string LeafRootRun(const std::string& id, const std::string& child_id) {
  std::string nodes = R"("rootNodeId":"solo","nodes":[{"id":"solo","name":"Solo","type":"task"}])";
  std::string child_nodes = R"("rootNodeId":"inner","parentExecutionId":")" + id +
                            R"(","parentNodeId":"solo","nodes":[)"
                            R"({"id":"inner","name":"Inner Root","type":"task"}])";
  return EventLine(id, 1, 0, "started", "", nodes) +
         EventLine(id, 2, 1, "state-change", "solo", State("executing")) +
         EventLine(child_id, 1, 2.5, "started", "", child_nodes) +
         EventLine(child_id, 2, 3.125, "state-change", "inner", State("executing")) +
         EventLine(child_id, 3, 6.75, "state-change", "inner", State("completed")) +
         EventLine(child_id, 4, 7.25, "completed") +
         EventLine(id, 3, 8, "state-change", "solo", State("completed")) +
         EventLine(id, 4, 10, "completed");
}

// The root has children (so `nodes` stands for them) and a child run of its
// own, whose root is its only node and runs inside the child run's times.
inline std::string RootWithChildRun(const std::string& id, const std::string& child_id) {
  std::string nodes = R"("rootNodeId":"top","nodes":[{"id":"top","name":"Top","type":"flow"},)"
                      R"({"id":"a","name":"A","type":"task","parentId":"top"}])";
  std::string child_nodes = R"("rootNodeId":"helper","parentExecutionId":")" + id +
                            R"(","parentNodeId":"top","nodes":[)"
                            R"({"id":"helper","name":"Helper","type":"task"}])";
  return EventLine(id, 1, 0, "started", "", nodes) +
         EventLine(id, 2, 0.5, "state-change", "a", State("executing")) +
         EventLine(id, 3, 2, "state-change", "a", State("completed")) +
         EventLine(child_id, 1, 3, "started", "", child_nodes) +
         EventLine(child_id, 2, 3.5, "state-change", "helper", State("executing")) +
         EventLine(child_id, 3, 5.25, "state-change", "helper", State("completed")) +
         EventLine(child_id, 4, 6, "completed") + EventLine(id, 4, 7, "completed");
}

inline ProcessResult ExportCli(const std::string& db, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db", db});
  return RunCli(args);
}

// Fails the test unless the command succeeded; returns its stdout.
inline std::string ExportOk(const std::string& db, const std::vector<std::string>& args) {
  ProcessResult result = ExportCli(db, args);
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  return result.out;
}

inline void Ingest(const std::string& db, const std::string& jsonl) {
  ProcessResult result = RunCli({"--db", db, "ingest"}, jsonl);
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
}

// A store holding the nested, failed and incomplete runs.
inline void IngestTestRuns(const std::string& db) {
  Ingest(db, NestedRun("nested-run") + FailedRun("failed-run") + IncompleteRun("open-run"));
}

inline boost::json::value ParseJson(const std::string& text) {
  boost::json::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  INFO("json: " << text.substr(0, 400));
  REQUIRE_FALSE(ec);
  return value;
}

// A node of `extrace show --json` that has a start: every export must draw it
// with exactly this start and duration.
struct ProjectedInterval {
  std::string execution_id;  // the run holding the node; a child run: its own id
  std::string node_id;
  bool child_run = false;  // the node that stands for a child run
  int64_t start_us = 0;
  std::optional<int64_t> duration_us;
};

// The JSON's milliseconds as integer microseconds. Below 2^53 / 1000 ms a
// double is off by far less than half a microsecond, so rounding is exact.
inline int64_t MillisToMicros(const boost::json::value& ms) {
  return std::llround(ms.to_number<double>() * 1000);
}

inline void CollectIntervals(const boost::json::object& node, const std::string& execution_id,
                             std::vector<ProjectedInterval>& out) {
  const auto* child_run = node.if_contains("executionId");
  std::string holder = child_run ? std::string(child_run->as_string()) : execution_id;
  if (MillisToMicros(node.at("startTime")) != 0) {
    ProjectedInterval interval{holder,
                               std::string(node.at("nodeId").as_string()),
                               child_run != nullptr,
                               MillisToMicros(node.at("startTime")),
                               {}};
    if (const auto* duration = node.if_contains("duration"))
      interval.duration_us = MillisToMicros(*duration);
    out.push_back(interval);
  }
  if (const auto* children = node.if_contains("childTraces"))
    for (const auto& child : children->as_array()) CollectIntervals(child.as_object(), holder, out);
}

// Every node with a start in `extrace show ID --json`, to any depth.
inline std::vector<ProjectedInterval> ProjectedIntervals(const std::string& db,
                                                         const std::string& id) {
  boost::json::value trace = ParseJson(ExportOk(db, {"show", id, "--json"}));
  std::vector<ProjectedInterval> out;
  for (const auto& node : trace.at("nodes").as_array()) CollectIntervals(node.as_object(), id, out);
  return out;
}

// The Atomiton conductor's real streams (shared/examples/atomiton, kept as
// golden inputs), each for its own store: the literal files repeat the
// execution ids of the others.
inline std::vector<std::string> AtomitonStreams() {
  std::vector<std::string> files;
  for (const char* name :
       {"hello_world_flow", "hello_world_flow_literal", "node_error", "node_error_literal"})
    // fmt, not operator+: g++ 12 reports a false -Warray-bounds on the chain.
    files.push_back(fmt::format("{}/atomiton_{}/events.jsonl", EXTRACE_GOLDEN_DIR, name));
  return files;
}

}  // namespace extrace::testing
