// What the compare and run tree tests share: stores holding the hand-made
// logs of tests/golden_queries/<case>/events.jsonl or given text, and their
// run trees and comparisons looked up by node path.
#pragma once

#include <catch2/catch.hpp>
#include <fstream>

#include "format/event_json.h"
#include "query/compare.h"
#include "query/trace_loader.h"
#include "test_support.h"

namespace extrace::compare_test {

using testing::TempDir;

// Appended piece by piece: g++ 12 sees a false -Warray-bounds in the chained
// operator+ once this is inlined into its callers.
inline std::string CaseFile(const std::string& name) {
  std::string path = EXTRACE_GOLDEN_DIR;
  path += "/../golden_queries/";
  path += name;
  path += "/events.jsonl";
  return path;
}

inline void Append(EventStore& store, std::istream& in) {
  EventParser parser;
  std::vector<Event> events;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto event = parser.Parse(line);
    INFO(line);
    REQUIRE(event.has_value());
    events.push_back(*event);
  }
  AppendResult result = store.Append(events);
  INFO((result.status ? std::string() : result.status.error().message));
  REQUIRE(result.status.has_value());
}

inline std::unique_ptr<EventStore> StoreWithCase(const TempDir& dir, const std::string& name) {
  auto store = EventStore::Open(dir.Store("t.db"));
  REQUIRE(store.has_value());
  std::ifstream in(CaseFile(name));
  REQUIRE(in.good());
  Append(**store, in);
  return std::move(*store);
}

inline RunTree Tree(EventStore& store, const std::string& id) {
  auto run = store.GetRun(id);
  REQUIRE(run.has_value());
  REQUIRE(run->has_value());
  auto tree = LoadRunTree(store, **run);
  REQUIRE(tree.has_value());
  return std::move(*tree);
}

inline RunComparison Compare(EventStore& store, const std::string& a, const std::string& b) {
  return CompareRuns(Tree(store, a), Tree(store, b));
}

inline const NodeDelta& Row(const RunComparison& c, const std::string& path) {
  for (const auto& row : c.nodes)
    if (row.path == path) return row;
  FAIL("no row " << path);
  throw;
}

inline const TreeNode& Node(const RunTree& tree, const std::string& path) {
  for (const auto& node : tree.nodes)
    if (node.path == path) return node;
  FAIL("no node " << path);
  throw;
}

}  // namespace extrace::compare_test
