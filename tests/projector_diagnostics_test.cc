// The projection of a log with anomalies (event-format.md, section 2):
// undeclared nodes, no started event, events after the end, timestamps going
// backwards, each counted as a named diagnostic, nothing thrown.

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "format/event_json.h"
#include "projector_test_support.h"
#include "query/projector.h"
#include "query/trace_json.h"

namespace extrace {
namespace {

using projector_test::Completed;
using projector_test::Node;
using projector_test::Progress;
using projector_test::Project;
using projector_test::Started;
using projector_test::State;

TEST_CASE("projector: an event for an undeclared node stays in events only",
          "[projector][no-store]") {
  auto trace = Project(
      {Started("n", {Node("n")}), State("ghost", "executing", 1001), Progress("ghost", 10, 1002)});
  CHECK(trace.events.size() == 3);
  CHECK(trace.nodes.size() == 1);
  auto data = boost::json::parse(trace.events.back().data_json).as_object();
  CHECK(data["allNodes"].as_array().size() == 1);
  CHECK(trace.diagnostics.size() == 2);
}

TEST_CASE("projector: a run without a started event is reported, not thrown",
          "[projector][no-store]") {
  auto trace = Project({State("n", "executing", 1001), Completed(1002)});
  CHECK(trace.nodes.empty());
  CHECK(trace.events.size() == 2);
  REQUIRE_FALSE(trace.diagnostics.empty());
  CHECK(trace.diagnostics[0].find("no started event") != std::string::npos);
}

TEST_CASE("projector: an event after the end counts for its node but does not move the end",
          "[projector][no-store]") {
  auto trace = Project({Started("g", {Node("g"), Node("a", "g")}), Completed(1001),
                        State("a", "executing", 1002), State("a", "error", 1003)});
  CHECK(*trace.end_us == 1001000);
  CHECK(trace.status == RunStatus::kError);
  CHECK(trace.nodes[0].state == NodeState::kError);
  CHECK(trace.diagnostics.size() == 2);
}

// Issue 10 item 7: each anomaly has a named kind, counted, the first of a kind
// its example; the texts stay as they were.
TEST_CASE("projector: diagnostics are counted by kind with an example", "[projector][no-store]") {
  auto trace =
      Project({Started("g", {Node("g"), Node("a", "g")}), State("ghost", "executing", 1001),
               Progress("ghost", 10, 1002), Completed(1003), State("a", "executing", 1004),
               State("a", "completed", 1005), State("a", "completed", 1000)});
  REQUIRE(trace.diagnostic_counts.size() == 3);
  CHECK(DiagnosticKindName(trace.diagnostic_counts[0].kind) == "undeclared_node");
  CHECK(trace.diagnostic_counts[0].count == 2);
  CHECK(trace.diagnostic_counts[0].example == trace.diagnostics[0]);
  CHECK(DiagnosticKindName(trace.diagnostic_counts[1].kind) == "event_after_end");
  CHECK(trace.diagnostic_counts[1].count == 3);
  CHECK(DiagnosticKindName(trace.diagnostic_counts[2].kind) == "timestamp_backwards");
  CHECK(trace.diagnostic_counts[2].count == 1);
  int64_t total = 0;
  for (const auto& row : trace.diagnostic_counts) total += row.count;
  CHECK(total == static_cast<int64_t>(trace.diagnostics.size()));
  auto json = boost::json::parse(TraceToJson(trace)).as_object();
  const auto& counts = json.at("diagnosticCounts").as_array();
  REQUIRE(counts.size() == 3);
  CHECK(counts[1].at("kind") == "event_after_end");
  CHECK(counts[1].at("count") == 3);
}

TEST_CASE("projector: order stays by seq when timestamps go backwards", "[projector][no-store]") {
  auto trace =
      Project({Started("n", {Node("n")}, 1000), State("n", "executing", 999), Completed(1001)});
  CHECK(trace.events[1].timestamp_us == 999000);
  REQUIRE(trace.diagnostics.size() == 1);
  CHECK(trace.diagnostics[0].find("earlier") != std::string::npos);
}

}  // namespace
}  // namespace extrace
