// The recorder example of README.md, compiled and run as it stands there.
#include <catch2/catch.hpp>
#include <cstdio>
#include <stdexcept>

#include "extrace/extrace.h"
#include "test_support.h"

namespace {

void DoTheWork() {}

}  // namespace

TEST_CASE("README recorder example runs as written", "[readme]") {
  extrace::testing::TempDir dir;
  std::string path = dir.File("extrace.db");
  // --- as in README.md ---
  auto recorder = extrace::OpenRecorder(path);  // Result<std::unique_ptr<Recorder>>
  REQUIRE(recorder.has_value());
  auto& rec = **recorder;
  auto run = rec.StartRun({"flow",
                           {{"flow", "My Flow", "group"},
                            {"load", "Load", "task", "flow"},
                            {"save", "Save", "task", "flow", /*weight=*/3}}});
  REQUIRE(run.has_value());
  extrace::NodeScope::Run(rec, *run, "load", [&](extrace::NodeScope& node) {
    node.Progress(50, "half way");
    DoTheWork();
  });
  rec.SetNodeState(*run, "save", extrace::NodeState::kSkipped);
  rec.CompleteRun(*run);
  auto trace = rec.Trace(*run);
  // --- end ---
  REQUIRE(trace.has_value());
  CHECK(trace->status == extrace::RunStatus::kCompleted);
  REQUIRE(trace->nodes.size() == 2);
  CHECK(trace->nodes[0].state == extrace::NodeState::kCompleted);
  CHECK(trace->nodes[0].events.size() == 3);
  CHECK(trace->nodes[1].state == extrace::NodeState::kSkipped);
  CHECK(trace->overall_progress == 100);
  CHECK(extrace::TraceJson(*trace).find("\"status\":\"completed\"") != std::string::npos);
}
