// Tests of `extrace export --format otlp` (render/otlp_trace.h), run as a real
// process: the output is parsed again and held to OTLP/JSON's rules and the
// export's (schema/README.md, "Exports"): structure, ids, the span hierarchy
// across child runs, times as decimal strings, status, events, attribute
// value forms, determinism, and one object per line for --flow/--since.
#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "export_test_runs.h"
#include "render/otlp_trace.h"
#include "test_support.h"

namespace extrace {
namespace {

using testing::ExportCli;
using testing::ExportOk;
using testing::kBaseUs;
using testing::ParseJson;
using testing::TempDir;

std::string Text(const boost::json::value& value) {
  return value.is_string() ? std::string(value.as_string()) : std::string();
}

bool IsLowerHex(const std::string& text, size_t length) {
  return text.size() == length &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }) &&
         text != std::string(length, '0');
}

bool IsDecimal(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// {"key": k, "value": {exactly one of stringValue (string), intValue (decimal
// string), doubleValue (number), boolValue (bool)}}.
void CheckAttributes(const boost::json::value& attributes) {
  REQUIRE(attributes.is_array());
  for (const auto& attribute : attributes.as_array()) {
    INFO("attribute " << boost::json::serialize(attribute));
    REQUIRE(attribute.at("key").is_string());
    const auto& value = attribute.at("value").as_object();
    REQUIRE(value.size() == 1);
    const auto& [type, v] = *value.begin();
    if (type == "stringValue")
      CHECK(v.is_string());
    else if (type == "intValue")
      CHECK((v.is_string() &&
             IsDecimal(std::string(v.as_string()).substr(v.as_string().starts_with("-") ? 1 : 0))));
    else if (type == "doubleValue")
      CHECK(v.is_number());
    else if (type == "boolValue")
      CHECK(v.is_bool());
    else
      FAIL("unknown value type " << type);
  }
}

const boost::json::value* Attribute(const boost::json::object& span, const std::string& key) {
  for (const auto& attribute : span.at("attributes").as_array())
    if (attribute.at("key") == key.c_str()) return &attribute.at("value");
  return nullptr;
}

struct OtlpTrace {
  boost::json::value doc;
  std::vector<const boost::json::object*> spans;
  std::map<std::string, const boost::json::object*> by_id;

  const boost::json::object& Named(const std::string& name) const {
    for (const auto* span : spans)
      if (span->at("name") == name.c_str()) return *span;
    FAIL("no span " << name);
    throw;
  }
  std::string SpanId(const std::string& name) const { return Text(Named(name).at("spanId")); }
  std::string ParentId(const std::string& name) const {
    const auto* parent = Named(name).if_contains("parentSpanId");
    return parent ? Text(*parent) : std::string();
  }
};

void CheckSpan(const boost::json::object& span, const std::string& trace_id) {
  INFO("span " << boost::json::serialize(span).substr(0, 300));
  CHECK(span.at("traceId") == trace_id.c_str());
  CHECK(IsLowerHex(Text(span.at("spanId")), 16));
  if (span.contains("parentSpanId")) CHECK(IsLowerHex(Text(span.at("parentSpanId")), 16));
  CHECK(!Text(span.at("name")).empty());
  CHECK(span.at("kind") == 1);
  std::string start = Text(span.at("startTimeUnixNano"));
  std::string end = Text(span.at("endTimeUnixNano"));
  REQUIRE(IsDecimal(start));
  REQUIRE(IsDecimal(end));
  CHECK(std::stoull(start) <= std::stoull(end));
  CheckAttributes(span.at("attributes"));
  for (const auto& event : span.at("events").as_array()) {
    CHECK(IsDecimal(Text(event.at("timeUnixNano"))));
    CHECK(!Text(event.at("name")).empty());
    CheckAttributes(event.at("attributes"));
  }
  int64_t code = span.at("status").at("code").as_int64();
  CHECK((code == 0 || code == 1 || code == 2));
  if (code == 2) CHECK(!Text(span.at("status").at("message")).empty());
}

// Parses one export object and checks the rules every export must keep.
OtlpTrace CheckOtlpRules(const std::string& line) {
  OtlpTrace trace;
  trace.doc = ParseJson(line);
  const auto& resource_spans = trace.doc.at("resourceSpans").as_array();
  REQUIRE(resource_spans.size() == 1);
  const auto& resource = resource_spans[0].at("resource");
  CheckAttributes(resource.at("attributes"));
  REQUIRE(Attribute(resource.as_object(), "service.name") != nullptr);
  const auto& scope_spans = resource_spans[0].at("scopeSpans").as_array();
  REQUIRE(scope_spans.size() == 1);
  CHECK(scope_spans[0].at("scope").at("name") == "extrace");
  CHECK(scope_spans[0].at("scope").at("version").is_string());
  const auto& spans = scope_spans[0].at("spans").as_array();
  REQUIRE(!spans.empty());
  std::string trace_id = Text(spans[0].at("traceId"));
  CHECK(IsLowerHex(trace_id, 32));
  for (const auto& span : spans) {
    CheckSpan(span.as_object(), trace_id);
    trace.spans.push_back(&span.as_object());
    bool fresh = trace.by_id.emplace(Text(span.at("spanId")), &span.as_object()).second;
    INFO("span id " << span.at("spanId"));
    CHECK(fresh);
  }
  size_t roots = 0;
  for (const auto* span : trace.spans) {
    const auto* parent = span->if_contains("parentSpanId");
    if (!parent) {
      ++roots;
      continue;
    }
    INFO("parent of " << span->at("name"));
    CHECK(trace.by_id.count(Text(*parent)) == 1);
  }
  CHECK(roots == 1);
  return trace;
}

OtlpTrace ExportOtlp(const std::string& db, const std::string& id) {
  std::string out = ExportOk(db, {"export", id, "--format", "otlp"});
  REQUIRE(std::count(out.begin(), out.end(), '\n') == 1);
  return CheckOtlpRules(out);
}

std::string Nanos(int64_t micros) { return std::to_string(micros * 1000); }

TEST_CASE("otlp export of nested groups and a child run", "[export][otlp]") {
  TempDir dir;
  std::string db = dir.Store("t.db");
  testing::IngestTestRuns(db);
  OtlpTrace trace = ExportOtlp(db, "nested-run");

  SECTION("one span per run and node, in one trace") {
    CHECK(trace.spans.size() == 11);  // the run, 7 nodes, the child run and its 2 nodes
    CHECK(trace.spans[0]->at("traceId") == OtlpTraceId("nested-run").c_str());
    CHECK(trace.SpanId("run Nested Flow") == OtlpRunSpanId("nested-run"));
    CHECK(trace.SpanId("Leaf 1") == OtlpNodeSpanId("nested-run", "leaf1"));
  }
  SECTION("parents follow the hierarchy, through the child run") {
    CHECK(trace.ParentId("run Nested Flow").empty());
    CHECK(trace.ParentId("Outer") == trace.SpanId("run Nested Flow"));
    CHECK(trace.ParentId("Inner") == trace.SpanId("Outer"));
    CHECK(trace.ParentId("Leaf 2") == trace.SpanId("Inner"));
    CHECK(trace.ParentId("Side") == trace.SpanId("Outer"));
    CHECK(trace.ParentId("Child Flow") == trace.SpanId("Sub"));
    CHECK(trace.SpanId("Child Flow") == OtlpRunSpanId("child-1"));
    CHECK(trace.ParentId("C1") == trace.SpanId("Child Flow"));
    CHECK(trace.SpanId("C1") == OtlpNodeSpanId("child-1", "c1"));
  }
  SECTION("times: exact nanoseconds as decimal strings") {
    const auto& leaf = trace.Named("Leaf 1");
    CHECK(leaf.at("startTimeUnixNano") == Nanos(kBaseUs + 1500).c_str());
    CHECK(leaf.at("endTimeUnixNano") == Nanos(kBaseUs + 6000).c_str());
    CHECK(trace.Named("run Nested Flow").at("endTimeUnixNano") == Nanos(kBaseUs + 15000).c_str());
  }
  SECTION("status ok for completed spans") {
    for (const auto* span : trace.spans) CHECK(span->at("status").at("code") == 1);
  }
  SECTION("state-changes and progress as span events") {
    const auto& events = trace.Named("Leaf 1").at("events").as_array();
    REQUIRE(events.size() == 3);
    CHECK(events[0].at("name") == "state-change");
    CHECK(events[0].at("timeUnixNano") == Nanos(kBaseUs + 1500).c_str());
    CHECK(*Attribute(events[0].as_object(), "state") ==
          boost::json::parse(R"({"stringValue":"executing"})"));
    CHECK(events[1].at("name") == "progress");
    CHECK(*Attribute(events[1].as_object(), "progress") ==
          boost::json::parse(R"({"doubleValue":50})"));
    CHECK(*Attribute(events[1].as_object(), "message") ==
          boost::json::parse(R"({"stringValue":"half"})"));
    const auto& leaf2 = trace.Named("Leaf 2").at("events").as_array();
    CHECK(*Attribute(leaf2[1].as_object(), "progress") ==
          boost::json::parse(R"({"doubleValue":40.5})"));
    // The run's span carries the run's overall progress after each progress event.
    const auto& run_events = trace.Named("run Nested Flow").at("events").as_array();
    auto progress = std::find_if(run_events.begin(), run_events.end(),
                                 [](const auto& e) { return e.at("name") == "progress"; });
    REQUIRE(progress != run_events.end());
    CHECK(Attribute(progress->as_object(), "progress")->as_object().contains("intValue"));
    CHECK(*Attribute(progress->as_object(), "nodeId") ==
          boost::json::parse(R"({"stringValue":"leaf1"})"));
  }
  SECTION("attributes") {
    const auto& leaf = trace.Named("Leaf 1");
    CHECK(*Attribute(leaf, "extrace.node.id") == boost::json::parse(R"({"stringValue":"leaf1"})"));
    CHECK(*Attribute(leaf, "extrace.execution_id") ==
          boost::json::parse(R"({"stringValue":"nested-run"})"));
    CHECK(*Attribute(trace.Named("run Nested Flow"), "extrace.run.progress") ==
          boost::json::parse(R"({"intValue":"100"})"));
    CHECK(*Attribute(trace.Named("Child Flow"), "extrace.execution_id") ==
          boost::json::parse(R"({"stringValue":"child-1"})"));
  }
  SECTION("deterministic: the same log gives the same bytes") {
    CHECK(ExportOk(db, {"export", "nested-run", "--format", "otlp"}) ==
          ExportOk(db, {"export", "nested-run", "--format", "otlp"}));
  }
}

TEST_CASE("otlp export of a failed run: error status with the message", "[export][otlp]") {
  TempDir dir;
  std::string db = dir.Store("t.db");
  testing::IngestTestRuns(db);
  OtlpTrace trace = ExportOtlp(db, "failed-run");
  CHECK(trace.Named("B").at("status") ==
        boost::json::parse(R"({"code":2,"message":"disk on fire"})"));
  CHECK(trace.Named("run Failing Flow").at("status") ==
        boost::json::parse(R"({"code":2,"message":"run failed: b"})"));
  CHECK(trace.Named("A").at("status").at("code") == 1);
  // C never ran: a point where the run ended, marked as never started.
  const auto& c = trace.Named("C");
  CHECK(c.at("status").at("code") == 0);
  CHECK(c.at("startTimeUnixNano") == c.at("endTimeUnixNano"));
  CHECK(c.at("startTimeUnixNano") == Nanos(kBaseUs + 2500).c_str());
  CHECK(*Attribute(c, "extrace.started") == boost::json::parse(R"({"boolValue":false})"));
  const auto& b_events = trace.Named("B").at("events").as_array();
  CHECK(*Attribute(b_events.back().as_object(), "errorMessage") ==
        boost::json::parse(R"({"stringValue":"disk on fire"})"));
  const auto& run_events = trace.Named("run Failing Flow").at("events").as_array();
  CHECK(run_events.back().at("name") == "error");
}

TEST_CASE("otlp export of an incomplete run: open spans end at the last event", "[export][otlp]") {
  TempDir dir;
  std::string db = dir.Store("t.db");
  testing::IngestTestRuns(db);
  OtlpTrace trace = ExportOtlp(db, "open-run");
  for (const char* name : {"run Open Flow", "G", "G2", "H"}) {
    INFO(name);
    const auto& span = trace.Named(name);
    CHECK(span.at("endTimeUnixNano") == Nanos(kBaseUs + 5000).c_str());
    CHECK(*Attribute(span, "extrace.open") == boost::json::parse(R"({"boolValue":true})"));
    CHECK(span.at("status").at("code") == 0);
  }
  CHECK(Attribute(trace.Named("G1"), "extrace.open") == nullptr);
  CHECK(*Attribute(trace.Named("run Open Flow"), "extrace.run.status") ==
        boost::json::parse(R"({"stringValue":"incomplete"})"));
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_CASE("otlp export of a flow's runs: one object per line", "[export][otlp]") {
  TempDir dir;
  std::string db = dir.Store("t.db");
  testing::IngestTestRuns(db);
  testing::Ingest(db, testing::NestedRun("nested-run-2", 60000, "child-2"));

  std::string out = ExportOk(db, {"export", "--flow", "nflow", "--since",
                                  std::to_string(testing::kBaseMs), "--format", "otlp"});
  auto lines = Lines(out);
  REQUIRE(lines.size() == 2);  // the child runs sit inside their parents' lines
  CHECK(out.back() == '\n');
  std::set<std::string> trace_ids;
  for (const auto& line : lines) {
    OtlpTrace trace = CheckOtlpRules(line);
    CHECK(trace.spans.size() == 11);
    trace_ids.insert(Text(trace.spans[0]->at("traceId")));
  }
  CHECK(trace_ids == std::set<std::string>{OtlpTraceId("nested-run"), OtlpTraceId("nested-run-2")});
  // Oldest first.
  CHECK(lines[0].find("\"nested-run\"") != std::string::npos);

  // ISO 8601 after the first run's start: the second run alone.
  auto later = Lines(ExportOk(
      db, {"export", "--flow", "nflow", "--since", "2027-01-15T08:00:30Z", "--format", "otlp"}));
  REQUIRE(later.size() == 1);
  CHECK(later[0].find("\"nested-run-2\"") != std::string::npos);

  // --since alone: every top-level run since then, of any flow.
  auto all = Lines(ExportOk(db, {"export", "--since", "0", "--format", "otlp"}));
  CHECK(all.size() == 4);
  for (const auto& line : all) CheckOtlpRules(line);

  std::string file = dir.File("runs.jsonl");
  auto written = ExportCli(db, {"export", "--flow", "nflow", "--format", "otlp", "-o", file});
  REQUIRE(written.exit_code == 0);
  CHECK(testing::ReadFile(file) == ExportOk(db, {"export", "--flow", "nflow", "--format", "otlp"}));
  CHECK(written.err.find("2 runs") != std::string::npos);
}

// Every node that has a start in `show --json` is a span of its own (found by
// its id) with exactly that start and duration, in nanoseconds.
void CheckEveryProjectedInterval(const OtlpTrace& trace,
                                 const std::vector<testing::ProjectedInterval>& intervals) {
  for (const auto& interval : intervals) {
    INFO(interval.execution_id << " " << interval.node_id
                               << (interval.child_run ? " (child run)" : ""));
    std::string id = interval.child_run ? OtlpRunSpanId(interval.execution_id)
                                        : OtlpNodeSpanId(interval.execution_id, interval.node_id);
    auto it = trace.by_id.find(id);
    REQUIRE(it != trace.by_id.end());
    const boost::json::object& span = *it->second;
    CHECK(span.at("startTimeUnixNano") == Nanos(interval.start_us).c_str());
    if (interval.duration_us)
      CHECK(span.at("endTimeUnixNano") == Nanos(interval.start_us + *interval.duration_us).c_str());
  }
}

TEST_CASE("otlp export keeps a root's own interval, and a child run's root's", "[export][otlp]") {
  TempDir dir;
  std::string db = dir.Store("t.db");
  testing::Ingest(db, testing::LeafRootRun("leaf-root", "leaf-child") +
                          testing::RootWithChildRun("root-owner", "root-child"));

  SECTION("a root that is the only node, with a child run under it") {
    auto intervals = testing::ProjectedIntervals(db, "leaf-root");
    // The root, the child run and the child run's root: each with times of its own.
    REQUIRE(intervals.size() == 3);
    CHECK(intervals[0].start_us == kBaseUs + 1000);
    CHECK(intervals[0].duration_us == 7000);
    OtlpTrace trace = ExportOtlp(db, "leaf-root");
    CheckEveryProjectedInterval(trace, intervals);
    // The run is a span of its own, the parent of the root's, with the run's times.
    CHECK(trace.spans.size() == 4);
    const auto& run = *trace.by_id.at(OtlpRunSpanId("leaf-root"));
    CHECK(run.at("startTimeUnixNano") == Nanos(kBaseUs).c_str());
    CHECK(run.at("endTimeUnixNano") == Nanos(kBaseUs + 10000).c_str());
    CHECK(trace.by_id.at(OtlpNodeSpanId("leaf-root", "solo"))->at("parentSpanId") ==
          OtlpRunSpanId("leaf-root").c_str());
    // Looked up by name, as a reader would, the root is one span with its own
    // times: the run's span is named "run Solo".
    std::vector<const boost::json::object*> solo;
    for (const auto& [id, span] : trace.by_id)
      if (span->at("name") == "Solo") solo.push_back(span);
    REQUIRE(solo.size() == 1);
    CHECK(solo[0]->at("startTimeUnixNano") == Nanos(kBaseUs + 1000).c_str());
    CHECK(run.at("name") == "run Solo");
  }
  SECTION("the same rule for a child run exported alone") {
    auto intervals = testing::ProjectedIntervals(db, "leaf-child");
    REQUIRE(intervals.size() == 1);
    CHECK(intervals[0].start_us == kBaseUs + 3125);
    CheckEveryProjectedInterval(ExportOtlp(db, "leaf-child"), intervals);
  }
  SECTION("a child run of a root that has children is a child of the run's span") {
    auto intervals = testing::ProjectedIntervals(db, "root-owner");
    // A, the child run and its root.
    REQUIRE(intervals.size() == 3);
    OtlpTrace trace = ExportOtlp(db, "root-owner");
    CheckEveryProjectedInterval(trace, intervals);
    CHECK(trace.by_id.at(OtlpNodeSpanId("root-child", "helper"))->at("parentSpanId") ==
          OtlpRunSpanId("root-child").c_str());
    CHECK(trace.by_id.at(OtlpRunSpanId("root-child"))->at("parentSpanId") ==
          OtlpRunSpanId("root-owner").c_str());
  }
}

TEST_CASE("otlp export of the Atomiton conductor's real streams", "[export][otlp]") {
  for (const std::string& file : testing::AtomitonStreams()) {
    INFO(file);
    TempDir dir;
    std::string db = dir.Store("t.db");
    testing::Ingest(db, testing::ReadFile(file));
    OtlpTrace trace = ExportOtlp(db, "latest");
    CHECK(trace.spans.size() >= 2);
    if (file.find("node_error") != std::string::npos) {
      const auto& failed = trace.Named("Read Missing File");
      CHECK(failed.at("status").at("code") == 2);
      CHECK(Text(failed.at("status").at("message")).find("File does not exist") !=
            std::string::npos);
    }
  }
}

TEST_CASE("otlp export: failures exit with their documented codes", "[export][otlp]") {
  TempDir dir;
  std::string db = dir.Store("t.db");
  testing::IngestTestRuns(db);
  CHECK(ExportCli(db, {"export", "no-such-run", "--format", "otlp"}).exit_code == 5);
  CHECK(ExportCli(db, {"export", "--flow", "no-such-flow", "--format", "otlp"}).exit_code == 5);
  CHECK(ExportCli(db, {"export", "nested-run", "--format", "OTLP"}).exit_code == 2);
  CHECK(ExportCli(db, {"export", "--format", "otlp"}).exit_code == 2);
  CHECK(ExportCli(db, {"export", "--since", "yesterday", "--format", "otlp"}).exit_code == 2);
  CHECK(ExportCli(db, {"export", "nested-run", "--since", "0", "--format", "otlp"}).exit_code == 2);
}

TEST_CASE("otlp ids: lowercase hex, never zero, stable, distinct", "[export][otlp][no-store]") {
  CHECK(IsLowerHex(OtlpTraceId(""), 32));
  CHECK(IsLowerHex(OtlpRunSpanId(""), 16));
  CHECK(OtlpTraceId("run-1") == OtlpTraceId("run-1"));
  CHECK(OtlpTraceId("run-1") != OtlpTraceId("run-2"));
  // Parts are length-prefixed: moving a character between them changes the id.
  CHECK(OtlpNodeSpanId("ab", "c") != OtlpNodeSpanId("a", "bc"));
  CHECK(OtlpRunSpanId("x") != OtlpNodeSpanId("x", ""));
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.insert(OtlpNodeSpanId("run", "node-" + std::to_string(i)));
  CHECK(ids.size() == 10000);
}

}  // namespace
}  // namespace extrace
