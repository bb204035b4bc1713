// FlowRun: the events of one run of a flow for the PostgreSQL append tests
// (pg_store_append_test.cc, pg_store_failures_test.cc). Inline, header only.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

#include "event_store_test_support.h"
#include "extrace/event.h"

namespace extrace::pg_test {

// A run of a flow with `nodes` nodes (a group and its leaves): started, each
// leaf executing, progress, then completed (the `fail`th fails with a message),
// the end. seq 0 everywhere when `seq_less`.
inline std::vector<Event> FlowRun(const std::string& run, int nodes, int64_t t0_ms, bool seq_less,
                                  int fail = -1, const std::string& parent = "") {
  std::vector<Event> events;
  int64_t seq = 0, ms = t0_ms;
  auto seq_field = [&] { return seq_less ? std::string() : fmt::format(",\"seq\":{}", ++seq); };
  std::string graph = R"([{"id":"flow","name":"Flow","type":"group"})";
  for (int n = 1; n < nodes; ++n)
    graph +=
        fmt::format(R"(,{{"id":"n{}","name":"Node {}","type":"task","parentId":"flow"}})", n, n);
  graph += "]";
  std::string parent_fields =
      parent.empty() ? "" : fmt::format(R"("parentExecutionId":"{}","parentNodeId":"n1",)", parent);
  events.push_back(event_store_test::Parsed(fmt::format(
      R"({{"executionId":"{}"{},"timestamp":{},"type":"started","data":{{"rootNodeId":"flow",{}"nodes":{}}}}})",
      run, seq_field(), ms, parent_fields, graph)));
  for (int n = 1; n < nodes; ++n) {
    events.push_back(event_store_test::Parsed(fmt::format(
        R"({{"executionId":"{}"{},"timestamp":{},"type":"state-change","nodeId":"n{}","data":{{"state":"executing"}}}})",
        run, seq_field(), ++ms, n)));
    events.push_back(event_store_test::Parsed(fmt::format(
        R"({{"executionId":"{}"{},"timestamp":{},"type":"progress","nodeId":"n{}","data":{{"progress":{},"message":"half"}}}})",
        run, seq_field(), ++ms, n, n % 3 == 0 ? "0.5" : "50")));
    std::string end = n == fail ? R"("state":"error","errorMessage":"boom \"quoted\", {braces}")"
                                : R"("state":"completed")";
    events.push_back(event_store_test::Parsed(fmt::format(
        R"({{"executionId":"{}"{},"timestamp":{}.5,"type":"state-change","nodeId":"n{}","data":{{{}}}}})",
        run, seq_field(), ++ms, n, end)));
  }
  std::string last =
      fail > 0 ? R"("type":"error","data":{"message":"failed"})" : R"("type":"completed")";
  events.push_back(event_store_test::Parsed(
      fmt::format(R"({{"executionId":"{}"{},"timestamp":{},{}}})", run, seq_field(), ++ms, last)));
  return events;
}

}  // namespace extrace::pg_test
