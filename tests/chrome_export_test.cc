// Tests of `extrace export --format chrome` (render/chrome_trace.h), run as a
// real process: the output is parsed again and held to the rules of the Chrome
// trace format and of the export (schema/README.md, "Exports"): object form,
// integer times, parents first, properly nested tracks, metadata, the progress
// counter, instants for the run's ends and errors, args.
#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "export_test_runs.h"
#include "test_support.h"

namespace extrace {
namespace {

using testing::ExportCli;
using testing::ExportOk;
using testing::kBaseUs;
using testing::ParseJson;
using testing::TempDir;

struct Slice {
  size_t index = 0;  // position in traceEvents
  std::string name;
  std::string category;  // run, node or child-run
  int64_t tid = 0;
  int64_t ts = 0, dur = 0;
  const boost::json::object* args = nullptr;
  int64_t End() const { return ts + dur; }
  bool Contains(const Slice& other) const { return ts <= other.ts && other.End() <= End(); }
};

struct ChromeTrace {
  boost::json::value doc;
  std::vector<Slice> slices;                         // the X events, in file order
  std::vector<const boost::json::object*> instants;  // the i events
  std::vector<std::pair<int64_t, double>> progress;  // the C events
  std::set<int64_t> named_tids;                      // tids with a thread_name
  bool process_named = false;

  const Slice& Get(const std::string& name) const {
    auto it =
        std::find_if(slices.begin(), slices.end(), [&](const Slice& s) { return s.name == name; });
    INFO("slice " << name);
    REQUIRE(it != slices.end());
    return *it;
  }
  const boost::json::object* Instant(const std::string& name) const {
    for (const auto* event : instants)
      if (event->at("name").as_string() == name) return event;
    return nullptr;
  }
};

std::string Text(const boost::json::object& object, const char* key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

void ReadSlice(ChromeTrace& trace, const boost::json::object& event, size_t index) {
  INFO("X event " << boost::json::serialize(event));
  REQUIRE(event.at("ts").is_int64());
  REQUIRE(event.at("dur").is_int64());
  REQUIRE(event.at("pid").is_int64());
  REQUIRE(event.at("tid").is_int64());
  Slice slice{index,
              Text(event, "name"),
              Text(event, "cat"),
              event.at("tid").as_int64(),
              event.at("ts").as_int64(),
              event.at("dur").as_int64(),
              &event.at("args").as_object()};
  CHECK(slice.ts >= 0);
  CHECK(slice.dur >= 0);
  // The run's slice names its root rootNodeId, every other slice nodeId.
  const char* node_key = slice.category == "run" ? "rootNodeId" : "nodeId";
  for (const char* key : {node_key, "name", "type", "state", "executionId"}) {
    INFO("arg " << key);
    CHECK(slice.args->at(key).is_string());
  }
  if (slice.category == "run") CHECK_FALSE(slice.args->contains("nodeId"));
  trace.slices.push_back(slice);
}

void ReadMetadata(ChromeTrace& trace, const boost::json::object& event) {
  std::string name = Text(event, "name");
  if (name == "process_name") {
    CHECK(!event.at("args").at("name").as_string().empty());
    trace.process_named = true;
  } else if (name == "thread_name") {
    CHECK(!event.at("args").at("name").as_string().empty());
    trace.named_tids.insert(event.at("tid").as_int64());
  }
}

// Two X events of one track: apart, or one inside the other.
void CheckNested(const Slice& a, const Slice& b) {
  INFO(a.name << " [" << a.ts << ", " << a.End() << ") and " << b.name << " [" << b.ts << ", "
              << b.End() << ") on tid " << a.tid);
  bool apart = a.End() <= b.ts || b.End() <= a.ts;
  CHECK((apart || a.Contains(b) || b.Contains(a)));
}

// Parses the export and checks the rules every export must keep.
ChromeTrace CheckChromeRules(const std::string& text) {
  ChromeTrace trace;
  trace.doc = ParseJson(text);
  REQUIRE(trace.doc.is_object());
  const auto& events = trace.doc.at("traceEvents").as_array();
  for (size_t i = 0; i < events.size(); ++i) {
    const auto& event = events[i].as_object();
    std::string ph = Text(event, "ph");
    REQUIRE(event.at("pid").is_int64());
    if (ph == "X") {
      ReadSlice(trace, event, i);
    } else if (ph == "M") {
      ReadMetadata(trace, event);
    } else if (ph == "i") {
      REQUIRE(event.at("ts").is_int64());
      std::string scope = Text(event, "s");
      CHECK((scope == "g" || scope == "p" || scope == "t"));
      trace.instants.push_back(&event);
    } else if (ph == "C") {
      REQUIRE(event.at("ts").is_int64());
      REQUIRE(event.at("args").at("progress").is_number());
      trace.progress.emplace_back(event.at("ts").as_int64(),
                                  event.at("args").at("progress").to_number<double>());
    } else {
      FAIL("unexpected phase " << ph);
    }
  }
  REQUIRE(!trace.slices.empty());
  CHECK(trace.process_named);
  for (size_t i = 0; i < trace.slices.size(); ++i) {
    CHECK(trace.named_tids.count(trace.slices[i].tid) == 1);
    for (size_t j = i + 1; j < trace.slices.size(); ++j)
      if (trace.slices[i].tid == trace.slices[j].tid) CheckNested(trace.slices[i], trace.slices[j]);
  }
  CHECK(trace.Instant("run started") != nullptr);
  return trace;
}

// The parent of every slice of the nested run, by name ("" for the run).
const std::map<std::string, std::string> kNestedParents = {
    {"run Nested Flow", ""},    {"Outer", "run Nested Flow"}, {"Inner", "Outer"},
    {"Leaf 1", "Inner"},        {"Leaf 2", "Inner"},          {"Side", "Outer"},
    {"Sub", "run Nested Flow"}, {"Child Flow", "Sub"},        {"C1", "Child Flow"},
    {"C2", "Child Flow"},       {"Tail", "run Nested Flow"}};

bool IsAncestor(const std::string& ancestor, std::string name) {
  while (!name.empty()) {
    name = kNestedParents.at(name);
    if (name == ancestor) return true;
  }
  return false;
}

ChromeTrace ExportChrome(const std::string& db, const std::string& id) {
  return CheckChromeRules(ExportOk(db, {"export", id, "--format", "chrome"}));
}

TEST_CASE("chrome export of nested groups and a child run", "[export][chrome]") {
  TempDir dir;
  std::string db = dir.Store("t.db");
  testing::IngestTestRuns(db);
  ChromeTrace trace = ExportChrome(db, "nested-run");

  SECTION("every node and the child run, parents before children") {
    REQUIRE(trace.slices.size() == kNestedParents.size());
    for (const auto& [name, parent] : kNestedParents)
      if (!parent.empty()) CHECK(trace.Get(parent).index < trace.Get(name).index);
    CHECK(trace.slices.front().name == "run Nested Flow");
  }
  SECTION("a slice is only ever drawn inside its own ancestors") {
    for (const Slice& a : trace.slices)
      for (const Slice& b : trace.slices) {
        if (&a == &b || a.tid != b.tid || !a.Contains(b) || b.Contains(a)) continue;
        INFO(b.name << " inside " << a.name);
        CHECK(IsAncestor(a.name, b.name));
      }
  }
  SECTION("nesting on one track, overlap on separate tracks") {
    CHECK(trace.Get("Inner").tid == trace.Get("Outer").tid);
    CHECK(trace.Get("Leaf 1").tid == trace.Get("Inner").tid);
    CHECK(trace.Get("Leaf 2").tid != trace.Get("Leaf 1").tid);
    CHECK(trace.Get("Side").tid != trace.Get("Inner").tid);
    CHECK(trace.Get("Child Flow").tid == trace.Get("Sub").tid);
    CHECK(trace.Get("C1").tid == trace.Get("Child Flow").tid);
  }
  SECTION("exact integer microseconds since the epoch") {
    CHECK(trace.Get("run Nested Flow").ts == kBaseUs);
    CHECK(trace.Get("run Nested Flow").dur == 15000);
    CHECK(trace.Get("Leaf 1").ts == kBaseUs + 1500);
    CHECK(trace.Get("Leaf 1").dur == 4500);
    CHECK(trace.Get("Leaf 2").ts == kBaseUs + 3250);
    CHECK(trace.Get("Inner").ts == kBaseUs + 1500);  // derived: its first child's start
    CHECK(trace.Get("Inner").dur == 6500);           // to its last child's end
  }
  SECTION("args") {
    const auto& leaf = *trace.Get("Leaf 1").args;
    CHECK(leaf.at("nodeId") == "leaf1");
    CHECK(leaf.at("name") == "Leaf 1");
    CHECK(leaf.at("type") == "task");
    CHECK(leaf.at("state") == "completed");
    CHECK(leaf.at("executionId") == "nested-run");
    CHECK(!leaf.contains("error"));
    CHECK(!leaf.contains("open"));
    CHECK(trace.Get("C1").args->at("executionId") == "child-1");
    CHECK(trace.Get("Child Flow").args->at("executionId") == "child-1");
    CHECK(trace.Get("Child Flow").args->at("nodeId") == "cflow");
  }
  SECTION("metadata, progress counter, instants") {
    CHECK(trace.named_tids.size() >= 3);
    REQUIRE(trace.progress.size() >= 3);
    CHECK(trace.progress.front() == std::pair<int64_t, double>{kBaseUs, 0});
    CHECK(trace.progress.back() == std::pair<int64_t, double>{kBaseUs + 15000, 100});
    CHECK(trace.Instant("run completed") != nullptr);
    CHECK(trace.Instant("child run Child Flow started") != nullptr);
    CHECK(trace.Instant("child run Child Flow completed") != nullptr);
    CHECK(trace.Instant("run completed")->at("ts").as_int64() == kBaseUs + 15000);
  }
  SECTION("the same log gives the same bytes") {
    CHECK(ExportOk(db, {"export", "nested-run", "--format", "chrome"}) ==
          ExportOk(db, {"export", "nested-run", "--format", "chrome"}));
  }
}

TEST_CASE("chrome export of a failed run: errors as instants and args", "[export][chrome]") {
  TempDir dir;
  std::string db = dir.Store("t.db");
  testing::IngestTestRuns(db);
  ChromeTrace trace = ExportChrome(db, "failed-run");
  const auto& b = *trace.Get("B").args;
  CHECK(b.at("state") == "error");
  CHECK(b.at("error") == "disk on fire");
  CHECK(trace.Get("run Failing Flow").args->at("state") == "error");
  CHECK(trace.Get("run Failing Flow").args->at("error") == "run failed: b");
  // C never ran: no slice of its own.
  CHECK(std::none_of(trace.slices.begin(), trace.slices.end(),
                     [](const Slice& s) { return s.name == "C"; }));
  const auto* node_error = trace.Instant("error: B");
  REQUIRE(node_error != nullptr);
  CHECK(node_error->at("ts").as_int64() == kBaseUs + 2000);
  CHECK(node_error->at("s") == "t");
  CHECK(node_error->at("tid") == boost::json::value(trace.Get("B").tid));
  CHECK(node_error->at("args").at("error") == "disk on fire");
  const auto* run_error = trace.Instant("run error");
  REQUIRE(run_error != nullptr);
  CHECK(run_error->at("ts").as_int64() == kBaseUs + 2500);
  CHECK(run_error->at("s") == "p");
  CHECK(run_error->at("args").at("error") == "run failed: b");
}

TEST_CASE("chrome export of an incomplete run: open slices end at the last event",
          "[export][chrome]") {
  TempDir dir;
  std::string db = dir.Store("t.db");
  testing::IngestTestRuns(db);
  ChromeTrace trace = ExportChrome(db, "open-run");
  const int64_t last_event = kBaseUs + 5000;
  for (const char* name : {"run Open Flow", "G", "G2", "H"}) {
    INFO(name);
    CHECK(trace.Get(name).End() == last_event);
    CHECK(trace.Get(name).args->at("open") == true);
  }
  CHECK(!trace.Get("G1").args->contains("open"));
  CHECK(trace.Get("G1").End() == kBaseUs + 3000);
  CHECK(trace.Instant("run still open where the log ends") != nullptr);
  CHECK(trace.Instant("run completed") == nullptr);
}

// Every node that has a start in `show --json` is an X event of its own with
// exactly that start and duration; the run's slice may enclose it.
void CheckEveryProjectedInterval(const ChromeTrace& trace,
                                 const std::vector<testing::ProjectedInterval>& intervals) {
  for (const auto& interval : intervals) {
    INFO(interval.execution_id << " " << interval.node_id
                               << (interval.child_run ? " (child run)" : ""));
    auto it = std::find_if(trace.slices.begin(), trace.slices.end(), [&](const Slice& s) {
      return s.args->contains("nodeId") && s.args->at("nodeId") == interval.node_id.c_str() &&
             s.args->at("executionId") == interval.execution_id.c_str() &&
             s.category == (interval.child_run ? "child-run" : "node");
    });
    REQUIRE(it != trace.slices.end());
    CHECK(it->ts == interval.start_us);
    if (interval.duration_us) CHECK(it->dur == *interval.duration_us);
  }
}

TEST_CASE("chrome export keeps a root's own interval, and a child run's root's",
          "[export][chrome]") {
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
    ChromeTrace trace = ExportChrome(db, "leaf-root");
    CheckEveryProjectedInterval(trace, intervals);
    // The run is a slice of its own around them, with the run's times.
    CHECK(trace.slices.size() == 4);
    CHECK(trace.slices.front().ts == kBaseUs);
    CHECK(trace.slices.front().dur == 10000);
    CHECK(trace.slices.front().category == "run");
    // Looked up as a reader would, by node id or by name, the root is one
    // slice with its own times: the run's slice is "run Solo", with rootNodeId.
    std::vector<const Slice*> solo;
    for (const Slice& s : trace.slices)
      if ((s.args->contains("nodeId") && s.args->at("nodeId") == "solo") || s.name == "Solo")
        solo.push_back(&s);
    REQUIRE(solo.size() == 1);
    CHECK(solo[0]->ts == kBaseUs + 1000);
    CHECK(solo[0]->dur == 7000);
    CHECK(trace.slices.front().name == "run Solo");
    CHECK(trace.slices.front().args->at("rootNodeId") == "solo");
  }
  SECTION("the same rule for a child run exported alone") {
    auto intervals = testing::ProjectedIntervals(db, "leaf-child");
    REQUIRE(intervals.size() == 1);
    CHECK(intervals[0].start_us == kBaseUs + 3125);
    CheckEveryProjectedInterval(ExportChrome(db, "leaf-child"), intervals);
  }
  SECTION("a child run of a root that has children stands beside them") {
    auto intervals = testing::ProjectedIntervals(db, "root-owner");
    // A, the child run and its root.
    REQUIRE(intervals.size() == 3);
    ChromeTrace trace = ExportChrome(db, "root-owner");
    CheckEveryProjectedInterval(trace, intervals);
    CHECK(trace.Get("Helper").args->at("executionId") == "root-child");
  }
}

TEST_CASE("chrome export of the Atomiton conductor's real streams", "[export][chrome]") {
  for (const std::string& file : testing::AtomitonStreams()) {
    INFO(file);
    TempDir dir;
    std::string db = dir.Store("t.db");
    testing::Ingest(db, testing::ReadFile(file));
    ChromeTrace trace = ExportChrome(db, "latest");
    CHECK(trace.slices.size() >= 2);
    bool error_stream = file.find("node_error") != std::string::npos;
    CHECK((trace.Instant("error: Read Missing File") != nullptr) == error_stream);
  }
}

TEST_CASE("chrome export: failures exit with their documented codes", "[export][chrome]") {
  TempDir dir;
  std::string db = dir.Store("t.db");
  testing::IngestTestRuns(db);
  auto unknown_run = ExportCli(db, {"export", "no-such-run", "--format", "chrome"});
  CHECK(unknown_run.exit_code == 5);
  CHECK(unknown_run.out.empty());
  CHECK(unknown_run.err.rfind("extrace export: ", 0) == 0);
  CHECK(std::count(unknown_run.err.begin(), unknown_run.err.end(), '\n') == 1);
  auto unknown_format = ExportCli(db, {"export", "nested-run", "--format", "xml"});
  CHECK(unknown_format.exit_code == 2);
  CHECK(unknown_format.err.find("--format xml") != std::string::npos);
  auto several = ExportCli(db, {"export", "--flow", "nflow", "--format", "chrome"});
  CHECK(several.exit_code == 2);
}

TEST_CASE("chrome export to a file", "[export][chrome]") {
  TempDir dir;
  std::string db = dir.Store("t.db");
  testing::IngestTestRuns(db);
  std::string file = dir.File("run.json");
  auto result = ExportCli(db, {"export", "nested-run", "--format", "chrome", "-o", file});
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.empty());
  CHECK(result.err.rfind("wrote " + file, 0) == 0);
  CHECK(testing::ReadFile(file) == ExportOk(db, {"export", "nested-run", "--format", "chrome"}));
}

}  // namespace
}  // namespace extrace
