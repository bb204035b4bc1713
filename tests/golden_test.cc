// Golden tests for the projection: tests/golden/<case>/events.jsonl is ingested
// into a fresh store, and every run's ExecutionTrace must equal the one in
// trace.json (one per run, in order of the run's first line). The files are
// reviewed by hand; tests/golden/regen.py rewrites them after a deliberate change.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "format/event_json.h"
#include "query/trace_json.h"
#include "query/trace_loader.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::TempDir;

struct Ingested {
  std::vector<std::string> runs;  // first-appearance order
};

Ingested IngestFile(EventStore& store, const std::string& path) {
  Ingested result;
  EventParser parser;
  std::vector<Event> events;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto event = parser.Parse(line);
    REQUIRE(event.has_value());
    if (std::find(result.runs.begin(), result.runs.end(), event->execution_id) == result.runs.end())
      result.runs.push_back(event->execution_id);
    events.push_back(std::move(*event));
  }
  AppendResult appended = store.Append(events);
  REQUIRE(appended.status.has_value());
  return result;
}

std::vector<std::string> Cases() {
  std::vector<std::string> cases;
  for (const auto& entry : fs::directory_iterator(EXTRACE_GOLDEN_DIR))
    if (entry.is_directory()) cases.push_back(entry.path().filename().string());
  std::sort(cases.begin(), cases.end());
  return cases;
}

TEST_CASE("golden traces: every case projects to its trace.json", "[golden]") {
  auto cases = Cases();
  REQUIRE(cases.size() >= 16);
  for (const std::string& name : cases) {
    DYNAMIC_SECTION(name) {
      TempDir dir;
      auto store = EventStore::Open(dir.Store("golden.db"));
      REQUIRE(store.has_value());
      fs::path folder = fs::path(EXTRACE_GOLDEN_DIR) / name;
      Ingested ingested = IngestFile(**store, (folder / "events.jsonl").string());
      boost::json::value expected = boost::json::parse(ReadFile((folder / "trace.json").string()));
      REQUIRE(expected.as_array().size() == ingested.runs.size());
      for (size_t i = 0; i < ingested.runs.size(); ++i) {
        auto trace = LoadTrace(**store, ingested.runs[i]);
        REQUIRE(trace.has_value());
        std::string json = TraceToJson(*trace);
        INFO("run " << ingested.runs[i] << "\n" << json);
        CHECK(boost::json::parse(json) == expected.as_array()[i]);
      }
    }
  }
}

TEST_CASE("golden traces: byte-identical across projections and stores", "[golden]") {
  for (const std::string& name : Cases()) {
    DYNAMIC_SECTION(name) {
      // Two stores fed in a different order intern ids differently; the JSON may not differ.
      TempDir dir;
      auto first = EventStore::Open(dir.Store("a.db"));
      auto second = EventStore::Open(dir.Store("b.db"));
      REQUIRE(first.has_value());
      REQUIRE(second.has_value());
      std::string events = (fs::path(EXTRACE_GOLDEN_DIR) / name / "events.jsonl").string();
      Ingested a = IngestFile(**first, events);
      // Warm the second store's string table with other ids first.
      EventParser parser;
      auto noise = parser.Parse(
          R"({"executionId":"noise","seq":1,"timestamp":1,"type":"started","data":{"rootNodeId":"zz","nodes":[{"id":"zz","name":"","type":""},{"id":"yy","name":"","type":"","parentId":"zz"}]}})");
      REQUIRE(noise.has_value());
      std::vector<Event> noise_events{*noise};
      REQUIRE((*second)->Append(noise_events).status.has_value());
      IngestFile(**second, events);
      for (const auto& run : a.runs) {
        auto one = LoadTrace(**first, run);
        auto again = LoadTrace(**first, run);
        auto other = LoadTrace(**second, run);
        REQUIRE(one.has_value());
        REQUIRE(again.has_value());
        REQUIRE(other.has_value());
        CHECK(TraceToJson(*one) == TraceToJson(*again));
        CHECK(TraceToJson(*one) == TraceToJson(*other));
      }
    }
  }
}

}  // namespace
}  // namespace extrace
