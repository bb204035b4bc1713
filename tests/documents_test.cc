// The JSON documents of render/documents.h: each is byte for byte what the
// CLI's --json prints for the same store (the server and the CLI share one
// serializer), the new flows document, the event lines after a seq, and the
// errors (unknown run or flow, ambiguous prefix, bad argument).
#include "render/documents.h"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "documents_test_support.h"
#include "render/flows_json.h"
#include "render/html_report.h"

namespace extrace {
namespace {

using documents_test::Printed;
using documents_test::Store;

TEST_CASE("documents equal what the CLI prints with --json", "[documents]") {
  Store s;
  EventStore& store = *s.store;
  CHECK(Printed(RunListDocument(store, {})) == s.Cli({"list", "--json"}));
  RunFilter etl;
  etl.flow = "etl";
  etl.limit = 2;
  CHECK(Printed(RunListDocument(store, etl)) ==
        s.Cli({"list", "--json", "--flow", "etl", "--limit", "2"}));
  CHECK(Printed(TraceDocument(store, "etl-1")) == s.Cli({"show", "etl-1", "--json"}));
  CHECK(Printed(TraceDocument(store, "latest", "report")) ==
        s.Cli({"show", "latest", "--flow", "report", "--json"}));
  CHECK(Printed(TraceDocument(store, "etl-3")) == s.Cli({"show", "etl-3", "--json"}));
  CHECK(Printed(BottlenecksDocument(store, "etl-1", 2)) ==
        s.Cli({"bottlenecks", "etl-1", "--json", "--top", "2"}));
  CHECK(Printed(BottlenecksDocument(store, "latest", 10)) ==
        s.Cli({"bottlenecks", "latest", "--json"}));
  CHECK(Printed(CompareDocument(store, "rep-1", "rep-2")) ==
        s.Cli({"compare", "rep-1", "rep-2", "--json"}));
  CHECK(Printed(HistoryDocument(store, "etl", 2)) ==
        s.Cli({"history", "etl", "--last", "2", "--json"}));
  CHECK(Printed(HistoryDocument(store, "report", 50)) == s.Cli({"history", "report", "--json"}));
}

TEST_CASE("compare and regressions documents carry the CLI's warning and exit code",
          "[documents]") {
  Store s;
  EventStore& store = *s.store;
  // Runs of two flows: the CLI warns on stderr, the document says the same words.
  auto compared = CompareDocumentWithWarning(store, "etl-1", "rep-1");
  REQUIRE(compared);
  testing::ProcessResult cli = cli_test::Cli(s.db, {"compare", "etl-1", "rep-1", "--json"});
  REQUIRE(cli.exit_code == 0);
  CHECK(cli.out == compared->json + "\n");
  CHECK(cli.err == "extrace compare: warning: " + compared->warning + "\n");
  CHECK_FALSE(compared->warning.empty());
  CHECK(CompareDocumentWithWarning(store, "rep-1", "rep-2")->warning.empty());

  RegressionRule rule;
  // rep-2's node b took ten times rep-1's: regressed, exit 12.
  auto latest = RegressionsDocument(store, "report", "", 10, rule);
  REQUIRE(latest);
  CHECK(latest->regressed);
  CHECK(latest->json + "\n" == s.Cli({"regressions", "report", "--json"}, 12));
  // rep-1 has no run before it: nothing judged, exit 0.
  auto first = RegressionsDocument(store, "report", "rep-1", 3, rule);
  REQUIRE(first);
  CHECK_FALSE(first->regressed);
  CHECK(first->json + "\n" ==
        s.Cli({"regressions", "report", "--run", "rep-1", "--baseline", "3", "--json"}));
}

TEST_CASE("report documents are the data blob of the CLI's HTML report", "[documents]") {
  Store s;
  EventStore& store = *s.store;
  // The page embeds the data escaped for a <script> element.
  auto blob = [](const std::string& html) {
    const std::string open = R"(<script type="application/json" id="extrace-data">)";
    size_t from = html.find(open);
    REQUIRE(from != std::string::npos);
    from += open.size();
    return html.substr(from, html.find("</script>", from) - from);
  };
  auto run = RunReportDocument(store, "etl-1");
  REQUIRE(run);
  CHECK(EscapeJsonForScript(*run) == blob(s.Cli({"report", "etl-1", "-o", "-"})));
  auto compare = CompareReportDocument(store, "rep-1", "rep-2");
  REQUIRE(compare);
  CHECK(EscapeJsonForScript(*compare) ==
        blob(s.Cli({"report", "--compare", "rep-1", "rep-2", "-o", "-"})));
}

TEST_CASE("event lines document: the CLI's lines, only those after a seq", "[documents]") {
  Store s;
  EventStore& store = *s.store;
  // The lines of `text` from the `skip`+1-th on.
  auto from_line = [](const std::string& text, int skip) {
    size_t at = 0;
    for (int i = 0; i < skip; ++i) at = text.find('\n', at) + 1;
    return text.substr(at);
  };
  std::string all = s.Cli({"events", "etl-1"});
  REQUIRE(cli_test::LineCount(all) == 7);  // seqs 1 to 7
  CHECK(EventLinesDocument(store, "etl-1").value() == all);
  auto after = EventLinesDocument(store, "etl-1", 3);
  REQUIRE(after);
  CHECK(*after == from_line(all, 3));
  CHECK(boost::json::parse(after->substr(0, after->find('\n'))).at("seq").as_int64() == 4);
  CHECK(EventLinesDocument(store, "etl-1", 7).value() == "");
  // --node keeps the node's events (seqs 2, 3, 4 of node a); after_seq applies on top.
  std::string node_a = s.Cli({"events", "etl-1", "--node", "a"});
  REQUIRE(cli_test::LineCount(node_a) == 3);
  CHECK(EventLinesDocument(store, "etl-1", 0, "a").value() == node_a);
  CHECK(EventLinesDocument(store, "etl-1", 3, "a").value() == from_line(node_a, 2));
}

TEST_CASE("flows document: counts, newest flow first, lastRun as listed, durations",
          "[documents]") {
  Store s;
  auto document = FlowsDocument(*s.store);
  REQUIRE(document);
  boost::json::array flows = boost::json::parse(*document).at("flows").as_array();
  // The child run's flow "check" is no flow of its own.
  REQUIRE(flows.size() == 2);
  auto list = boost::json::parse(s.Cli({"list", "--json"})).as_array();
  auto listed = [&](const std::string& id) {
    for (const auto& run : list)
      if (run.at("executionId").as_string() == id) return boost::json::serialize(run);
    FAIL("not listed: " << id);
    return std::string();
  };
  const auto& etl = flows[0].as_object();
  CHECK(etl.at("flow").as_string() == "etl");
  CHECK(etl.at("runs").as_int64() == 3);
  CHECK(etl.at("completed").as_int64() == 1);
  CHECK(etl.at("error").as_int64() == 1);
  CHECK(etl.at("incomplete").as_int64() == 1);
  CHECK(boost::json::serialize(etl.at("lastRun")) == listed("etl-3"));
  const auto& report = flows[1].as_object();
  CHECK(report.at("flow").as_string() == "report");
  CHECK(report.at("runs").as_int64() == 2);
  CHECK(report.at("completed").as_int64() == 2);
  CHECK(report.at("error").as_int64() == 0);
  CHECK(boost::json::serialize(report.at("lastRun")) == listed("rep-2"));
  // Plain decimals, oldest first; the incomplete run has none.
  CHECK(document->find(R"("recentDurationsMs":[100,250.5]})") != std::string::npos);
  CHECK(document->find(R"("recentDurationsMs":[40,130]})") != std::string::npos);
  // The lastRun bytes are list --json's element bytes.
  std::string list_text = s.Cli({"list", "--json"});
  size_t at = document->find(R"("lastRun":)") + std::string(R"("lastRun":)").size();
  std::string last_run = document->substr(at, document->find('}', at) + 1 - at);
  CHECK(list_text.find(last_run) != std::string::npos);
}

TEST_CASE("flows json keeps the last 20 ended runs and skips runs without a flow",
          "[documents][no-store]") {
  std::vector<RunSummary> runs;  // newest first, as ListRuns
  for (int i = 25; i >= 1; --i) {
    RunSummary run;
    run.execution_id = "r" + std::to_string(i);
    run.root_node_id = "f";
    run.start_us = int64_t{1'800'000'000'000'000} + i * int64_t{1'000'000};
    run.end_us = *run.start_us + i * 1000 + 500;  // i.5 ms
    run.status = RunStatus::kCompleted;
    runs.push_back(run);
  }
  RunSummary no_start;  // no `started` stored yet: no flow
  no_start.execution_id = "no-start";
  runs.insert(runs.begin() + 3, no_start);
  std::string json = FlowsJson(runs);
  auto flow = boost::json::parse(json).at("flows").as_array().at(0).as_object();
  CHECK(flow.at("runs").as_int64() == 25);
  CHECK(flow.at("lastRun").at("executionId").as_string() == "r25");
  auto durations = flow.at("recentDurationsMs").as_array();
  REQUIRE(durations.size() == kFlowRecentDurations);
  CHECK(json.find("[6.5,7.5,") != std::string::npos);  // r6 is the oldest kept
  CHECK(durations.back().as_double() == 25.5);
  CHECK(FlowsJson({}) == R"({"flows":[]})");
}

TEST_CASE("documents refuse unknown runs and flows, ambiguous prefixes, bad arguments",
          "[documents]") {
  Store s;
  EventStore& store = *s.store;
  auto code = [](const auto& result) { return result ? StatusCode::kOk : result.error().code; };
  constexpr auto kNotFound = StatusCode::kNotFound;
  constexpr auto kInvalid = StatusCode::kInvalidInput;
  RunFilter unknown_flow;
  unknown_flow.flow = "nope";
  auto listed = RunListDocument(store, unknown_flow);
  REQUIRE(code(listed) == kNotFound);
  CHECK(cli_test::Cli(s.db, {"list", "--json", "--flow", "nope"}).err ==
        "extrace list: " + listed.error().message + "\n");
  unknown_flow.flow = "etl";
  unknown_flow.status = RunStatus::kCompleted;
  unknown_flow.since_us = int64_t{2'000'000'000'000'000};
  CHECK(RunListDocument(store, unknown_flow).value() == "[]");  // a known flow, no match

  CHECK(code(TraceDocument(store, "nope")) == kNotFound);
  auto ambiguous = TraceDocument(store, "etl-");
  REQUIRE(code(ambiguous) == kInvalid);
  CHECK(cli_test::Cli(s.db, {"show", "etl-", "--json"}).err ==
        "extrace show: " + ambiguous.error().message + "\n");
  CHECK(code(TraceDocument(store, "etl-1", "report")) == kNotFound);
  CHECK(code(TraceDocument(store, "latest", "nope")) == kNotFound);
  CHECK(code(BottlenecksDocument(store, "nope", 5)) == kNotFound);
  CHECK(code(BottlenecksDocument(store, "rep-", 5)) == kInvalid);
  CHECK(code(BottlenecksDocument(store, "etl-1", 0)) == kInvalid);
  CHECK(code(CompareDocument(store, "etl-1", "nope")) == kNotFound);
  CHECK(code(CompareDocument(store, "etl-", "rep-1")) == kInvalid);
  CHECK(code(HistoryDocument(store, "nope", 5)) == kNotFound);
  CHECK(code(HistoryDocument(store, "etl", 0)) == kInvalid);
  RegressionRule rule;
  CHECK(code(RegressionsDocument(store, "nope", "", 10, rule)) == kNotFound);
  CHECK(code(RegressionsDocument(store, "report", "rep-", 10, rule)) == kInvalid);
  CHECK(code(RegressionsDocument(store, "report", "", 2, rule)) == kInvalid);
  rule.threshold = 0;
  CHECK(code(RegressionsDocument(store, "report", "", 10, rule)) == kInvalid);
  CHECK(code(EventLinesDocument(store, "nope")) == kNotFound);
  CHECK(code(EventLinesDocument(store, "etl-")) == kInvalid);
  CHECK(code(EventLinesDocument(store, "etl-1", -1)) == kInvalid);
  CHECK(code(RunReportDocument(store, "nope")) == kNotFound);
  CHECK(code(CompareReportDocument(store, "rep-1", "etl-")) == kInvalid);
}

}  // namespace
}  // namespace extrace
