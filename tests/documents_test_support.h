// What the document tests share (render/documents.h): a store of two flows,
// written through `extrace ingest` with fixed timestamps, and a read-only
// EventStore on it for the documents themselves.
//
// Flow "etl": etl-1 (completed, 100 ms, with child run etl-1-check of flow
// "check"), etl-2 (node b in error, 250.5 ms), etl-3 (incomplete). Flow
// "report": rep-1 (40 ms), rep-2 (130 ms: node b ten times slower). Newest
// first: etl-3, rep-2, rep-1, etl-2, etl-1.
#pragma once

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli_test_support.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace::documents_test {

constexpr int64_t kT0 = 1'800'000'000'000;  // 2027-01-15T08:00:00Z

// One event line; `node` and `data` left out when empty.
inline std::string Line(const std::string& id, int seq, double ms, const std::string& type,
                        const std::string& node = "", const std::string& data = "") {
  std::string out = fmt::format(R"({{"executionId":"{}","seq":{},"timestamp":{:.1f},"type":"{}")",
                                id, seq, ms, type);
  if (!node.empty()) out += fmt::format(R"(,"nodeId":"{}")", node);
  if (!data.empty()) out += R"(,"data":)" + data;
  return out + "}\n";
}

// Run `id` of `flow` (leaves a, b) from `start`: a runs 10 ms, then b for
// `b_ms`, in `b_state`; the run ends at `end` (none: incomplete).
inline std::string FlowRun(const std::string& id, const std::string& flow, double start,
                           double b_ms, const std::string& b_state, std::optional<double> end) {
  std::string nodes = fmt::format(
      R"([{{"id":"{0}","name":"F","type":"group"}},{{"id":"a","name":"A","type":"t","parentId":"{0}"}},{{"id":"b","name":"B","type":"t","parentId":"{0}"}}])",
      flow);
  std::string out = Line(id, 1, start, "started", "",
                         fmt::format(R"({{"rootNodeId":"{}","nodes":{}}})", flow, nodes));
  out += Line(id, 2, start + 1, "state-change", "a", R"({"state":"executing"})");
  out += Line(id, 3, start + 5, "progress", "a", R"({"progress":50,"message":"half"})");
  out += Line(id, 4, start + 11, "state-change", "a", R"({"state":"completed"})");
  out += Line(id, 5, start + 11, "state-change", "b", R"({"state":"executing"})");
  if (b_state.empty()) return out;
  out += Line(id, 6, start + 11 + b_ms, "state-change", "b",
              fmt::format(R"({{"state":"{}"}})", b_state));
  if (end) out += Line(id, 7, *end, "completed");
  return out;
}

inline std::string TwoFlows() {
  const double t = static_cast<double>(kT0);
  std::string child =
      Line(
          "etl-1-check", 1, t + 20, "started", "",
          R"({"rootNodeId":"check","parentExecutionId":"etl-1","parentNodeId":"b","nodes":[{"id":"check","name":"Check","type":"t"}]})") +
      Line("etl-1-check", 2, t + 30, "completed");
  return FlowRun("etl-1", "etl", t, 80, "completed", t + 100) + child +
         FlowRun("etl-2", "etl", t + 1000, 200, "error", t + 1250.5) +
         FlowRun("etl-3", "etl", t + 3000, 0, "", std::nullopt) +
         FlowRun("rep-1", "report", t + 2000, 10, "completed", t + 2040) +
         FlowRun("rep-2", "report", t + 2500, 100, "completed", t + 2630);
}

struct Store {
  testing::TempDir dir;
  std::string db = dir.Store("docs.db");
  std::unique_ptr<EventStore> store;

  Store() {
    cli_test::CliOk(db, {"ingest"}, TwoFlows());
    StoreOptions options;
    options.read_only = true;
    auto opened = EventStore::Open(db, options);
    REQUIRE(opened);
    store = std::move(*opened);
  }

  // What the CLI prints for `args` on this store, which must succeed (or exit `code`).
  std::string Cli(const std::vector<std::string>& args, int code = 0) const {
    testing::ProcessResult result = cli_test::Cli(db, args);
    INFO("extrace " << args.front() << ": " << result.err);
    REQUIRE(result.exit_code == code);
    return result.out;
  }
};

// A document as the CLI prints it: the JSON and a line break.
inline std::string Printed(const Result<std::string>& document) {
  INFO((document ? std::string() : document.error().message));
  REQUIRE(document);
  return *document + "\n";
}

}  // namespace extrace::documents_test
