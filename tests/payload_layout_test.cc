// The compact stored form of event data (storage/payload_layout.h): every shape
// puts back together byte for byte, the SQL `events` view rebuilds the same
// text as the store does, and the openings agree with the `layouts` table.
#include "storage/payload_layout.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "event_store_test_support.h"
#include "format/event_json.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using event_store_test::QueryColumn;
using testing::RunCli;
using testing::TempDir;

std::string RoundTrip(EventType type, const std::string& data_json,
                      std::optional<int64_t>* layout) {
  std::string buffer;
  auto pieces = payload_layout::Split(type, data_json, buffer);
  if (layout) *layout = pieces.layout;
  std::string joined;
  REQUIRE(payload_layout::Join(pieces.layout, pieces.data, pieces.graph, joined));
  return joined;
}

TEST_CASE("payload layout: every shape puts back together exactly", "[layout][no-store]") {
  struct Case {
    EventType type;
    std::string data;
    std::optional<int64_t> layout;
  };
  const std::vector<Case> cases = {
      {EventType::kStateChange, R"({"state":"completed"})", 3},
      {EventType::kStateChange, R"({"state":"executing"})", 2},
      {EventType::kStateChange, R"({"state":"error","errorMessage":"boom \"x\""})", 6},
      {EventType::kStateChange, R"({"errorMessage":"boom","state":"error"})", 9},
      {EventType::kStateChange, R"({"state":"errors"})", std::nullopt},
      {EventType::kStateChange, R"({"state":"skipped","extra":[1,2]})", 5},
      {EventType::kProgress, R"({"progress":50})", 7},
      {EventType::kProgress, R"({"progress":33.25,"message":"Processing 3/9"})", 7},
      {EventType::kProgress, R"({"message":"m","progress":1})", 8},
      {EventType::kError, R"({"message":"run failed"})", 8},
      {EventType::kCompleted, "", std::nullopt},
      {EventType::kCompleted, R"({"custom":true})", std::nullopt},
      {EventType::kStarted, R"({"rootNodeId":"g","nodes":[{"id":"g","name":"G","type":"group"}]})",
       1000 + 19},
      // Non-ASCII before the graph: the offset counts characters, as SQLite's substr does.
      {EventType::kStarted,
       R"({"rootNodeId":"größe ✓","config":{"nodes":["not the graph"]},"nodes":[{"id":"größe ✓","name":"]}\"","type":"t"}],"after":1})",
       std::nullopt},
      {EventType::kStarted, R"({"rootNodeId":"\"nodes\":","nodes":[]})", std::nullopt},
      {EventType::kStarted, R"({"rootNodeId":"g"})", std::nullopt},
  };
  for (const auto& c : cases) {
    INFO(c.data);
    std::optional<int64_t> layout;
    CHECK(RoundTrip(c.type, c.data, &layout) == c.data);
    if (c.type == EventType::kStarted && c.data.find(R"(,"nodes":)") != std::string::npos)
      CHECK(layout >= payload_layout::kGraphLayoutBase);
    else
      CHECK(layout == c.layout);
  }
}

TEST_CASE("payload layout: a corrupt row is refused, not misread", "[layout][no-store]") {
  std::string out;
  CHECK_FALSE(payload_layout::Join(42, "x", "", out));
  CHECK_FALSE(payload_layout::Join(payload_layout::kGraphLayoutBase + 10, "short", "[]", out));
  CHECK(payload_layout::StateOf(3) == NodeState::kCompleted);
  CHECK(payload_layout::StateOf(6) == NodeState::kError);
  CHECK_FALSE(payload_layout::StateOf(7).has_value());
}

TEST_CASE("payload layout: the layouts table holds the same openings", "[layout]") {
  TempDir dir;
  std::string path = dir.Store("l.db");
  REQUIRE(EventStore::Open(path).has_value());
  auto rows = QueryColumn(path, "SELECT layout || '=' || opening FROM layouts ORDER BY layout");
  REQUIRE(rows.size() >= 9);
  for (const auto& row : rows) {
    auto eq = row.find('=');
    int64_t layout = std::stoll(row.substr(0, eq));
    CHECK(payload_layout::Opening(layout) == row.substr(eq + 1));
  }
}

TEST_CASE("payload layout: the events view rebuilds what the store reads, for every golden stream",
          "[layout]") {
  TempDir dir;
  std::string path = dir.Store("g.db");
  std::vector<std::string> args = {"--db", path, "ingest"};
  for (const auto& entry : std::filesystem::directory_iterator(EXTRACE_GOLDEN_DIR))
    if (std::filesystem::exists(entry.path() / "events.jsonl"))
      args.push_back((entry.path() / "events.jsonl").string());
  REQUIRE(args.size() > 10);
  auto ingest = RunCli(args);
  // Some golden streams hold deliberate conflicts; what matters is what got stored.
  INFO(ingest.err);
  auto store = EventStore::Open(path);
  REQUIRE(store.has_value());
  auto runs = (*store)->ListRuns();
  REQUIRE(runs.has_value());
  REQUIRE(runs->size() > 5);
  size_t checked = 0;
  for (const auto& run : *runs) {
    auto events = (*store)->ReadEvents(run.execution_id);
    REQUIRE(events.has_value());
    auto view = QueryColumn(path, "SELECT data FROM events WHERE execution_id = '" +
                                      run.execution_id + "' ORDER BY seq");
    REQUIRE(view.size() == events->size());
    for (size_t i = 0; i < view.size(); ++i) {
      const std::string& data = (*events)[i].data_json;
      CHECK(view[i] == (data.empty() ? "{}" : data));
      ++checked;
    }
  }
  CHECK(checked > 50);
}

}  // namespace
}  // namespace extrace
