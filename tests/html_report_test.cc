// The HTML report generator (render/html_report.h) without a browser: the page
// is self-contained, carries its data as one JSON blob that reads back, and no
// node name can close a <script> element. Plus `extrace report` on the CLI.
#include "render/html_report.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <string>

#include "test_support.h"

namespace extrace {
namespace {

using testing::ReadFile;
using testing::RunCli;
using testing::TempDir;
using testing::WriteFile;

constexpr std::string_view kNastyName = "Fetch </script><script>alert(1)</script> <!-- x";

size_t Count(const std::string& text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// A run of two nodes, one inside a group, as the query layer would hand it over.
struct Fixture {
  ExecutionTrace trace;
  RunTree tree;
  BottleneckReport report;

  Fixture() {
    trace.execution_id = "exec-1";
    trace.root_node_id = "flow";
    trace.root_node_name = "Flow";
    trace.start_us = 1'000'000;
    trace.end_us = 1'500'000;
    trace.duration_us = 500'000;
    trace.status = RunStatus::kCompleted;
    NodeTrace leaf;
    leaf.node_id = "fetch";
    leaf.node_name = std::string(kNastyName);
    leaf.start_us = 1'100'000;
    leaf.end_us = 1'400'000;
    leaf.state = NodeState::kCompleted;
    leaf.events = {{1'100'000, EventType::kStateChange, R"({"state":"executing"})"},
                   {1'400'000, EventType::kStateChange, R"({"state":"completed"})"}};
    NodeTrace group;
    group.node_id = "group";
    group.node_name = "Group";
    group.child_traces = {leaf};
    trace.nodes = {group};

    TreeNode g;
    g.timing.node_id = "group";
    g.timing.name = "Group";
    g.timing.state = NodeState::kCompleted;
    g.timing.start_us = 1'100'000;
    g.timing.end_us = 1'400'000;
    g.timing.children = {1};
    g.path = "group";
    g.execution_id = "exec-1";
    TreeNode l;
    l.timing.node_id = "fetch";
    l.timing.name = std::string(kNastyName);
    l.timing.depth = 1;
    l.timing.state = NodeState::kCompleted;
    l.timing.start_us = 1'100'000;
    l.timing.end_us = 1'400'000;
    l.path = "fetch";
    l.execution_id = "exec-1";
    tree.nodes = {g, l};
    tree.top = {0};

    report.execution_id = "exec-1";
    report.start_us = trace.start_us;
    report.horizon_us = 1'500'000;
    report.run_duration_us = 500'000;
    report.critical_path = {0, 1};
  }
};

// The text of <script type="application/json" id="extrace-data">.
std::string DataBlob(const std::string& html) {
  const std::string open = R"(<script type="application/json" id="extrace-data">)";
  size_t from = html.find(open);
  REQUIRE(from != std::string::npos);
  from += open.size();
  size_t to = html.find("</script>", from);
  REQUIRE(to != std::string::npos);
  return html.substr(from, to - from);
}

TEST_CASE("html report: self-contained, no network", "[no-store]") {
  Fixture f;
  std::string html = RenderRunReport({f.trace, f.tree, f.report});
  CHECK(html.starts_with("<!DOCTYPE html>"));
  CHECK(html.find("<style>") != std::string::npos);
  CHECK(html.find("window.onerror") != std::string::npos);
  CHECK(html.find("id=\"rendered\"") != std::string::npos);
  // Nothing fetched from anywhere: no src/href to a URL, no external script or sheet.
  std::regex remote(R"((src|href)\s*=\s*["']?\s*(https?:)?//)", std::regex::icase);
  CHECK_FALSE(std::regex_search(html, remote));
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("<script src") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
}

TEST_CASE("html report: the data blob reads back and escapes script endings", "[no-store]") {
  Fixture f;
  std::string html = RenderRunReport({f.trace, f.tree, f.report});
  // Three scripts (error hook, data, report): the node name adds no fourth end.
  CHECK(Count(html, "</script") == 3);
  CHECK(html.find("<!-- x") == std::string::npos);
  std::string blob = DataBlob(html);
  CHECK(blob.find('<') == std::string::npos);
  boost::json::value data = boost::json::parse(blob);
  const auto& run = data.at("runs").at(0);
  CHECK(data.at("mode") == "run");
  CHECK(run.at("executionId") == "exec-1");
  CHECK(run.at("rows").as_array().size() == 2);
  const auto& leaf = run.at("rows").at(1);
  CHECK(std::string_view(leaf.at("name").as_string()) == kNastyName);
  CHECK(leaf.at("path") == "fetch");
  CHECK(leaf.at("start") == 100);  // ms since the run's start
  CHECK(leaf.at("end") == 400);
  CHECK(leaf.at("ev").as_array().size() == 2);
  CHECK(run.at("criticalPath").as_array().size() == 2);
}

TEST_CASE("html report: compare mode carries both runs and the deltas", "[no-store]") {
  Fixture a, b;
  b.trace.execution_id = "exec-2";
  RunComparison comparison = CompareRuns(a.tree, b.tree);
  std::string html =
      RenderCompareReport({a.trace, a.tree, a.report}, {b.trace, b.tree, b.report}, comparison);
  boost::json::value data = boost::json::parse(DataBlob(html));
  CHECK(data.at("mode") == "compare");
  CHECK(data.at("runs").as_array().size() == 2);
  CHECK(data.at("comparison").at("nodes").as_array().size() == 2);
}

TEST_CASE("html report: EscapeJsonForScript", "[no-store]") {
  CHECK(EscapeJsonForScript(R"({"a":"</script><!--"})") == R"({"a":"\u003c/script>\u003c!--"})");
}

constexpr const char* kRun =
    R"({"executionId":"r1","seq":1,"timestamp":1000,"type":"started","data":{"rootNodeId":"f","nodes":[{"id":"f","name":"F","type":"group"},{"id":"a","name":"A","type":"task","parentId":"f"}]}}
{"executionId":"r1","seq":2,"timestamp":1010,"type":"state-change","nodeId":"a","data":{"state":"executing"}}
{"executionId":"r1","seq":3,"timestamp":1050,"type":"state-change","nodeId":"a","data":{"state":"error","errorMessage":"boom"}}
{"executionId":"r1","seq":4,"timestamp":1060,"type":"error","data":{"message":"failed"}}
)";

TEST_CASE("extrace report: writes the file and says where") {
  TempDir dir;
  std::string db = dir.Store("t.db");
  WriteFile(dir.File("run.jsonl"), kRun);
  REQUIRE(RunCli({"--db", db, "ingest", dir.File("run.jsonl")}).exit_code == 0);
  std::string out = dir.File("r.html");
  auto result = RunCli({"--db", db, "report", "r1", "-o", out});
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.find("r.html") != std::string::npos);
  std::string html = ReadFile(out);
  CHECK(html.find("\"errorMessage\"") == std::string::npos);  // only what the page uses
  CHECK(html.find("boom") != std::string::npos);
  CHECK(!std::filesystem::exists(out + ".tmp"));

  auto compared = RunCli({"--db", db, "report", "--compare", "r1", "r1", "-o", out});
  CHECK(compared.exit_code == 0);
  CHECK(RunCli({"--db", db, "report"}).exit_code == 2);
  CHECK(RunCli({"--db", db, "report", "r1", "--compare", "r1", "r1"}).exit_code == 2);
  CHECK(RunCli({"--db", db, "report", "nope"}).exit_code == 5);
}

}  // namespace
}  // namespace extrace
