// The recorder API (include/extrace/recorder.h) as an engine uses it: many
// threads at once, back-pressure, NodeScope, graph checks, child runs, Trace(),
// the flush on destruction, and the handle API (Node() + the hot-path calls). Stored events are
// read back through a separate EventStore, the projection through Recorder::Trace().
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "extrace/extrace.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using testing::TempDir;

std::unique_ptr<Recorder> Open(const std::string& db, RecorderOptions options = {}) {
  auto recorder = OpenRecorder(db, options);
  INFO((recorder ? "" : recorder.error().message));
  REQUIRE(recorder);
  return std::move(*recorder);
}

std::unique_ptr<EventStore> OpenStore(const std::string& db) {
  auto store = EventStore::Open(db);
  INFO((store ? "" : store.error().message));
  REQUIRE(store);
  return std::move(*store);
}

// root "flow" > leaves "a", "b", "c".
RunStart FlatRun(const std::string& id) {
  RunStart run;
  run.execution_id = id;
  run.root_node_id = "flow";
  run.nodes = {{"flow", "Flow", "group", "", 1},
               {"a", "A", "code", "flow", 1},
               {"b", "B", "code", "flow", 1},
               {"c", "C", "code", "flow", 1}};
  return run;
}

std::string Start(Recorder& recorder, const RunStart& run) {
  auto id = recorder.StartRun(run);
  INFO((id ? "" : id.error().message));
  REQUIRE(id);
  return *id;
}

std::vector<Event> ReadRun(EventStore& store, const std::string& id) {
  auto events = store.ReadEvents(id);
  INFO((events ? "" : events.error().message));
  REQUIRE(events);
  return std::move(*events);
}

size_t FirstSeqGap(const std::vector<Event>& events) {
  for (size_t i = 0; i < events.size(); ++i)
    if (events[i].seq != static_cast<int64_t>(i) + 1) return i;
  return events.size();
}

std::string MessageOf(const Event& event) {
  auto data = boost::json::parse(event.data_json).as_object();
  return std::string(data.at("message").as_string());
}

ExecutionTrace TraceOf(Recorder& recorder, const std::string& id) {
  auto trace = recorder.Trace(id);
  INFO((trace ? "" : trace.error().message));
  REQUIRE(trace);
  return std::move(*trace);
}

const NodeTrace* FindNode(const std::vector<NodeTrace>& nodes, const std::string& id) {
  for (const NodeTrace& node : nodes) {
    if (node.node_id == id) return &node;
    if (const NodeTrace* found = FindNode(node.child_traces, id)) return found;
  }
  return nullptr;
}

const NodeTrace& NodeOf(const ExecutionTrace& trace, const std::string& id) {
  const NodeTrace* node = FindNode(trace.nodes, id);
  INFO("node " << id);
  REQUIRE(node != nullptr);
  return *node;
}

// A node's own state-change events as "state" or "state: errorMessage".
std::vector<std::string> StatesOf(const NodeTrace& node) {
  std::vector<std::string> states;
  for (const TraceEvent& event : node.events) {
    if (event.type != EventType::kStateChange) continue;
    auto data = boost::json::parse(event.data_json).as_object();
    std::string text(data.at("state").as_string());
    if (const auto* message = data.if_contains("errorMessage"))
      text += ": " + std::string(message->as_string());
    states.push_back(text);
  }
  return states;
}

TEST_CASE("threads recording at once store every event with seqs 1..N per run", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("threads.db");
  auto recorder = Open(db);
  constexpr int kOwnThreads = 4;
  constexpr int kOwnEvents = 3000;  // progress events per own run
  constexpr int kSharedThreads = 3;
  constexpr int kSharedEvents = 2000;  // progress events per thread in the shared run
  const std::string shared = Start(*recorder, FlatRun("shared"));
  std::atomic<int> flush_failures = 0;

  std::vector<std::thread> threads;
  for (int t = 0; t < kOwnThreads; ++t) {
    threads.emplace_back([&, t] {
      // An empty id: the recorder makes a unique one, which must not collide.
      RunStart run = FlatRun(t % 2 == 0 ? fmt::format("own-{}", t) : "");
      auto id = recorder->StartRun(run);
      if (!id) {
        ++flush_failures;
        return;
      }
      if (t % 2 == 1) {
        // Tell the checker the generated id through the run's own events.
        recorder->ReportProgress(*id, "a", 0, fmt::format("own-{}", t));
      }
      recorder->SetNodeState(*id, "a", NodeState::kExecuting);
      for (int i = 0; i < kOwnEvents; ++i) {
        recorder->ReportProgress(*id, "a", i % 100, fmt::format("{}", i));
        // Flushes from several threads while the others keep enqueueing.
        if (i % 997 == 0 && !recorder->Flush()) ++flush_failures;
      }
      recorder->SetNodeState(*id, "a", NodeState::kCompleted);
      recorder->CompleteRun(*id);
    });
  }
  for (int t = 0; t < kSharedThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSharedEvents; ++i)
        recorder->ReportProgress(shared, "b", 50, fmt::format("t{}-{}", t, i));
    });
  }
  for (auto& thread : threads) thread.join();
  recorder->CompleteRun(shared);
  REQUIRE(recorder->Flush());
  CHECK(flush_failures == 0);
  CHECK(recorder->LastError());

  const size_t own_size_even = 1 + 1 + kOwnEvents + 1 + 1;  // started, executing, ..., completed x2
  const size_t own_size_odd = own_size_even + 1;            // + the id-telling progress event
  const size_t shared_size = 1 + kSharedThreads * kSharedEvents + 1;
  const size_t total = (kOwnThreads / 2) * (own_size_even + own_size_odd) + shared_size;
  CHECK(recorder->DurableCount() == total);

  auto store = OpenStore(db);
  auto runs = store->ListRuns();
  REQUIRE(runs);
  REQUIRE(runs->size() == kOwnThreads + 1);
  size_t stored_total = 0;
  std::set<std::string> own_seen;
  for (const RunSummary& summary : *runs) {
    INFO("run " << summary.execution_id);
    auto events = ReadRun(*store, summary.execution_id);
    stored_total += events.size();
    REQUIRE(FirstSeqGap(events) == events.size());
    CHECK(summary.event_count == static_cast<int64_t>(events.size()));
    CHECK(summary.max_seq == static_cast<int64_t>(events.size()));
    CHECK(summary.status == RunStatus::kCompleted);
    CHECK(events.front().type == EventType::kStarted);
    CHECK(events.back().type == EventType::kCompleted);
    if (summary.execution_id == shared) {
      REQUIRE(events.size() == shared_size);
      // Each thread's events are all there, in the order that thread sent them.
      std::map<std::string, int> next;
      for (size_t i = 1; i + 1 < events.size(); ++i) {
        std::string message = MessageOf(events[i]);
        std::string tag = message.substr(0, message.find('-'));
        INFO("seq " << events[i].seq << " message " << message);
        REQUIRE(std::stoi(message.substr(tag.size() + 1)) == next[tag]);
        ++next[tag];
      }
      REQUIRE(next.size() == kSharedThreads);
      for (const auto& [tag, count] : next) CHECK(count == kSharedEvents);
      continue;
    }
    // An own run: progress "0".."2999" in order, between executing and completed.
    bool generated_id = events.size() == own_size_odd;
    REQUIRE(events.size() == (generated_id ? own_size_odd : own_size_even));
    size_t first = 2;
    if (generated_id) {
      own_seen.insert(MessageOf(events[1]));
      CHECK(summary.execution_id.starts_with("exec_"));
      first = 3;
    } else {
      own_seen.insert(summary.execution_id);
    }
    for (int i = 0; i < kOwnEvents; ++i) {
      const Event& event = events[first + static_cast<size_t>(i)];
      if (event.type != EventType::kProgress || MessageOf(event) != std::to_string(i)) {
        FAIL("seq " << event.seq << " is not progress " << i);
      }
    }
  }
  CHECK(stored_total == total);
  CHECK(own_seen.size() == kOwnThreads);
}

TEST_CASE("a tiny queue blocks the callers and drops nothing", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("tiny.db");
  RecorderOptions options;
  options.queue_capacity = 4;
  options.max_batch = 3;
  // Commits without fsync: the test is about the queue, not the disk.
  options.durability = Durability::kNormal;
  constexpr int kThreads = 4;
  constexpr int kEvents = 400;
  {
    auto recorder = Open(db, options);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::string id = fmt::format("tiny-{}", t);
        if (!recorder->StartRun(FlatRun(id))) return;
        for (int i = 0; i < kEvents; ++i)
          recorder->ReportProgress(id, "c", i % 100, fmt::format("{}", i));
        recorder->CompleteRun(id);
      });
    }
    for (auto& thread : threads) thread.join();
    REQUIRE(recorder->Flush());
    CHECK(recorder->DurableCount() == kThreads * (kEvents + 2));
    CHECK(recorder->LastError());
  }
  auto store = OpenStore(db);
  for (int t = 0; t < kThreads; ++t) {
    const std::string id = fmt::format("tiny-{}", t);
    INFO("run " << id);
    auto events = ReadRun(*store, id);
    REQUIRE(events.size() == kEvents + 2);
    CHECK(FirstSeqGap(events) == events.size());
    for (int i = 0; i < kEvents; ++i) {
      const Event& event = events[1 + static_cast<size_t>(i)];
      if (MessageOf(event) != std::to_string(i))
        FAIL("seq " << event.seq << " is not progress " << i);
    }
    CHECK(events.back().type == EventType::kCompleted);
  }
}

TEST_CASE("NodeScope marks a node executing on entry and completed on exit", "[recorder]") {
  TempDir dir;
  auto recorder = Open(dir.File("scope.db"));
  const std::string id = Start(*recorder, FlatRun("scope"));
  {
    NodeScope scope(*recorder, id, "a");
    ExecutionTrace inside = TraceOf(*recorder, id);
    const NodeTrace& a = NodeOf(inside, "a");
    CHECK(a.state == NodeState::kExecuting);
    CHECK(a.start_us > 0);
    CHECK_FALSE(a.end_us);
    CHECK(StatesOf(a) == std::vector<std::string>{"executing"});
    scope.Progress(40, "almost");
  }
  ExecutionTrace after = TraceOf(*recorder, id);
  const NodeTrace& a = NodeOf(after, "a");
  CHECK(a.state == NodeState::kCompleted);
  CHECK(a.progress == 100);
  REQUIRE(a.end_us);
  REQUIRE(a.duration_us);
  CHECK(*a.duration_us == *a.end_us - a.start_us);
  CHECK(StatesOf(a) == std::vector<std::string>{"executing", "completed"});
  REQUIRE(a.events.size() == 3);
  CHECK(a.events[1].type == EventType::kProgress);
  // The other nodes never ran.
  CHECK(NodeOf(after, "b").state == NodeState::kPending);
  CHECK(after.status == RunStatus::kIncomplete);
}

TEST_CASE("NodeScope::Run records a thrown exception's message and rethrows it", "[recorder]") {
  TempDir dir;
  auto recorder = Open(dir.File("throw.db"));
  const std::string id = Start(*recorder, FlatRun("throw"));

  bool ran = false;
  REQUIRE_THROWS_WITH(NodeScope::Run(*recorder, id, "a",
                                     [&](NodeScope& scope) {
                                       ran = true;
                                       scope.Progress(10, "started work");
                                       throw std::runtime_error("disk on fire");
                                     }),
                      "disk on fire");
  CHECK(ran);
  // Something that is not a std::exception is rethrown as it was.
  REQUIRE_THROWS_AS(NodeScope::Run(*recorder, id, "b", [](NodeScope&) { throw 42; }), int);
  // A scope that returns normally completes its node.
  NodeScope::Run(*recorder, id, "c", [](NodeScope& scope) { scope.Progress(70); });

  ExecutionTrace trace = TraceOf(*recorder, id);
  const NodeTrace& a = NodeOf(trace, "a");
  CHECK(a.state == NodeState::kError);
  // One terminal state only: the scope does not add "completed" or a second error.
  CHECK(StatesOf(a) == std::vector<std::string>{"executing", "error: disk on fire"});
  CHECK(a.end_us);
  const NodeTrace& b = NodeOf(trace, "b");
  CHECK(StatesOf(b) == std::vector<std::string>{"executing", "error: unknown exception"});
  const NodeTrace& c = NodeOf(trace, "c");
  CHECK(StatesOf(c) == std::vector<std::string>{"executing", "completed"});

  recorder->CompleteRun(id);
  CHECK(TraceOf(*recorder, id).status == RunStatus::kError);
}

TEST_CASE("a NodeScope left by an exception without Run marks its node error", "[recorder]") {
  TempDir dir;
  auto recorder = Open(dir.File("unwind.db"));
  const std::string id = Start(*recorder, FlatRun("unwind"));
  try {
    NodeScope scope(*recorder, id, "a");
    throw std::logic_error("left early");
  } catch (const std::logic_error&) {
    // Expected: the scope's destructor ran during unwinding.
  }
  {
    NodeScope scope(*recorder, id, "b");
    scope.Fail("gave up");
  }
  ExecutionTrace trace = TraceOf(*recorder, id);
  CHECK(StatesOf(NodeOf(trace, "a")) ==
        std::vector<std::string>{"executing", "error: unwound by an exception"});
  CHECK(StatesOf(NodeOf(trace, "b")) == std::vector<std::string>{"executing", "error: gave up"});
}

TEST_CASE("StartRun refuses an invalid graph and records nothing", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("invalid.db");
  auto recorder = Open(db);
  auto refused = [&](RunStart run, const std::string& mention) {
    INFO("expecting an error that mentions " << mention);
    auto id = recorder->StartRun(run);
    REQUIRE_FALSE(id);
    CHECK(id.error().code == StatusCode::kInvalidInput);
    CHECK_THAT(id.error().message, Catch::Contains(mention));
  };

  RunStart root_missing = FlatRun("bad-root");
  root_missing.root_node_id = "nowhere";
  refused(root_missing, "rootNodeId");

  RunStart duplicate = FlatRun("bad-duplicate");
  duplicate.nodes.push_back({"b", "B again", "code", "flow", 1});
  refused(duplicate, "duplicate node id");

  RunStart unknown_parent = FlatRun("bad-parent");
  unknown_parent.nodes[2].parent_id = "ghost";
  refused(unknown_parent, "ghost");

  RunStart cycle = FlatRun("bad-cycle");
  cycle.nodes[1].parent_id = "b";
  cycle.nodes[2].parent_id = "a";
  refused(cycle, "its own ancestor");

  RunStart no_nodes = FlatRun("bad-empty");
  no_nodes.nodes.clear();
  refused(no_nodes, "rootNodeId");

  RunStart bad_config = FlatRun("bad-config");
  bad_config.config_json = "[1, 2]";
  refused(bad_config, "config");

  RunStart half_parent = FlatRun("bad-half-parent");
  half_parent.parent_execution_id = "somewhere";
  refused(half_parent, "parent");

  RunStart long_id = FlatRun(std::string(300, 'x'));
  refused(long_id, "executionId");

  REQUIRE(recorder->Flush());
  CHECK(recorder->DurableCount() == 0);
  auto store = OpenStore(db);
  auto runs = store->ListRuns();
  REQUIRE(runs);
  CHECK(runs->empty());
}

TEST_CASE("a child run appears in its parent node's childTraces", "[recorder]") {
  TempDir dir;
  auto recorder = Open(dir.File("child.db"));
  RunStart parent_run;
  parent_run.execution_id = "parent";
  parent_run.root_node_id = "flow";
  parent_run.nodes = {{"flow", "Flow", "group", "", 1},
                      {"sub", "Sub flow", "subflow", "flow", 1},
                      {"after", "After", "code", "flow", 1}};
  const std::string parent = Start(*recorder, parent_run);

  RunStart child_run;
  child_run.execution_id = "child";
  child_run.root_node_id = "inner";
  child_run.parent_execution_id = parent;
  child_run.parent_node_id = "sub";
  child_run.nodes = {{"inner", "Inner", "group", "", 1},
                     {"x", "X", "code", "inner", 1},
                     {"y", "Y", "code", "inner", 1}};
  const std::string child = Start(*recorder, child_run);
  NodeScope::Run(*recorder, child, "x", [](NodeScope&) {});
  NodeScope::Run(*recorder, child, "y", [](NodeScope&) {});
  recorder->CompleteRun(child);

  ExecutionTrace trace = TraceOf(*recorder, parent);
  REQUIRE(trace.nodes.size() == 2);
  const NodeTrace& sub = trace.nodes[0];
  REQUIRE(sub.node_id == "sub");
  REQUIRE(sub.child_traces.size() == 1);
  const NodeTrace& stitched = sub.child_traces[0];
  CHECK(stitched.node_id == "inner");
  CHECK(stitched.node_name == "Inner");
  CHECK(stitched.child_execution_id == child);
  CHECK(stitched.state == NodeState::kCompleted);
  CHECK(stitched.end_us);
  REQUIRE(stitched.child_traces.size() == 2);
  CHECK(stitched.child_traces[0].node_id == "x");
  CHECK(stitched.child_traces[1].node_id == "y");
  CHECK(stitched.child_traces[0].state == NodeState::kCompleted);
  // "sub" sent no state of its own: it takes the finished child run's.
  CHECK(sub.state == NodeState::kCompleted);
  // The parent itself never ended.
  CHECK(trace.status == RunStatus::kIncomplete);

  ExecutionTrace child_trace = TraceOf(*recorder, child);
  CHECK(child_trace.parent_execution_id == parent);
  CHECK(child_trace.parent_node_id == "sub");
  CHECK(child_trace.status == RunStatus::kCompleted);
}

TEST_CASE("Trace reports how a run ended", "[recorder]") {
  TempDir dir;
  auto recorder = Open(dir.File("ended.db"));

  const std::string ok = Start(*recorder, FlatRun("ok"));
  for (const char* node : {"a", "b", "c"}) NodeScope::Run(*recorder, ok, node, [](NodeScope&) {});
  recorder->CompleteRun(ok);

  const std::string failed = Start(*recorder, FlatRun("failed"));
  NodeScope::Run(*recorder, failed, "a", [](NodeScope&) {});
  recorder->FailRun(failed, "engine stopped");

  const std::string node_error = Start(*recorder, FlatRun("node-error"));
  recorder->SetNodeState(node_error, "a", NodeState::kExecuting);
  recorder->SetNodeState(node_error, "a", NodeState::kError, "bad input");
  recorder->CompleteRun(node_error);

  const std::string running = Start(*recorder, FlatRun("running"));
  recorder->SetNodeState(running, "a", NodeState::kExecuting);

  ExecutionTrace ok_trace = TraceOf(*recorder, ok);
  CHECK(ok_trace.status == RunStatus::kCompleted);
  REQUIRE(ok_trace.end_us);
  REQUIRE(ok_trace.duration_us);
  CHECK(*ok_trace.duration_us == *ok_trace.end_us - ok_trace.start_us);
  CHECK(*ok_trace.duration_us >= 0);
  CHECK(ok_trace.overall_progress == 100);
  CHECK(ok_trace.events.back().type == EventType::kCompleted);

  ExecutionTrace failed_trace = TraceOf(*recorder, failed);
  CHECK(failed_trace.status == RunStatus::kError);
  CHECK(failed_trace.end_us);
  REQUIRE(failed_trace.events.back().type == EventType::kError);
  CHECK_THAT(failed_trace.events.back().data_json, Catch::Contains("engine stopped"));

  ExecutionTrace node_error_trace = TraceOf(*recorder, node_error);
  CHECK(node_error_trace.status == RunStatus::kError);
  CHECK(node_error_trace.end_us);

  ExecutionTrace running_trace = TraceOf(*recorder, running);
  CHECK(running_trace.status == RunStatus::kIncomplete);
  CHECK_FALSE(running_trace.end_us);
  CHECK_FALSE(running_trace.duration_us);

  auto missing = recorder->Trace("no-such-run");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == StatusCode::kNotFound);
}

TEST_CASE("Trace without a trace reader says how to get one", "[recorder]") {
  TempDir dir;
  auto recorder = Recorder::Open(dir.File("plain.db"));  // not OpenRecorder: no reader
  REQUIRE(recorder);
  const std::string id = Start(**recorder, FlatRun("plain"));
  auto trace = (*recorder)->Trace(id);
  REQUIRE_FALSE(trace);
  CHECK(trace.error().code == StatusCode::kInternal);
  CHECK_THAT(trace.error().message, Catch::Contains("OpenRecorder"));
}

TEST_CASE("destroying the recorder stores everything still queued", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("destroy.db");
  constexpr int kEvents = 5000;
  std::vector<std::string> ids;
  {
    auto recorder = Open(db);
    for (int r = 0; r < 3; ++r) {
      ids.push_back(Start(*recorder, FlatRun(fmt::format("run-{}", r))));
      for (int i = 0; i < kEvents; ++i)
        recorder->ReportProgress(ids.back(), "a", i % 100, fmt::format("{}", i));
      if (r != 2) recorder->CompleteRun(ids.back());
    }
    // No Flush(): the destructor must write what is still queued.
  }
  auto store = OpenStore(db);
  for (size_t r = 0; r < ids.size(); ++r) {
    INFO("run " << ids[r]);
    auto events = ReadRun(*store, ids[r]);
    const bool ended = r != 2;
    REQUIRE(events.size() == static_cast<size_t>(kEvents + 1 + (ended ? 1 : 0)));
    CHECK(FirstSeqGap(events) == events.size());
    CHECK(MessageOf(events[kEvents]) == std::to_string(kEvents - 1));
    auto run = store->GetRun(ids[r]);
    REQUIRE(run);
    REQUIRE(run->has_value());
    CHECK((*run)->status == (ended ? RunStatus::kCompleted : RunStatus::kIncomplete));
  }
}

NodeHandle HandleOf(Recorder& recorder, const std::string& id, const std::string& node) {
  auto handle = recorder.Node(id, node);
  INFO((handle ? "" : handle.error().message));
  REQUIRE(handle);
  return *handle;
}

// What a stored event says, without its run and time.
std::string Shape(const Event& event) {
  return fmt::format("{} {} {} {}", event.seq, EventTypeName(event.type), event.node_id,
                     event.data_json);
}

TEST_CASE("handle API events are stored and projected as the string API's", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("handles.db");
  auto recorder = Open(db);
  const std::string by_string = Start(*recorder, FlatRun("by-string"));
  const std::string by_handle = Start(*recorder, FlatRun("by-handle"));

  recorder->SetNodeState(by_string, "a", NodeState::kExecuting);
  recorder->ReportProgress(by_string, "a", 12.5);
  recorder->ReportProgress(by_string, "a", 250);  // clamped
  recorder->ReportProgress(by_string, "a", 60, "sixty \"quoted\"");
  recorder->SetNodeState(by_string, "a", NodeState::kCompleted);
  recorder->SetNodeState(by_string, "b", NodeState::kExecuting);
  recorder->SetNodeState(by_string, "b", NodeState::kError, "b broke");
  recorder->SetNodeState(by_string, "c", NodeState::kSkipped);
  recorder->CompleteRun(by_string);

  const NodeHandle a = HandleOf(*recorder, by_handle, "a");
  const NodeHandle b = HandleOf(*recorder, by_handle, "b");
  const NodeHandle c = HandleOf(*recorder, by_handle, "c");
  recorder->SetNodeState(a, NodeState::kExecuting);
  recorder->ReportProgress(a, 12.5);
  recorder->ReportProgress(a, 250);
  recorder->ReportProgress(a, 60, "sixty \"quoted\"");
  recorder->SetNodeState(a, NodeState::kCompleted);
  recorder->SetNodeState(b, NodeState::kExecuting);
  recorder->SetNodeState(b, NodeState::kError, "b broke");
  recorder->SetNodeState(c, NodeState::kSkipped);
  recorder->CompleteRun(by_handle);
  REQUIRE(recorder->Flush());

  auto store = OpenStore(db);
  auto string_events = ReadRun(*store, by_string);
  auto handle_events = ReadRun(*store, by_handle);
  REQUIRE(string_events.size() == 10);
  REQUIRE(handle_events.size() == string_events.size());
  for (size_t i = 0; i < string_events.size(); ++i) {
    INFO("event " << i);
    CHECK(Shape(handle_events[i]) == Shape(string_events[i]));
  }
  CHECK(handle_events[3].data_json == R"({"progress":100})");

  ExecutionTrace string_trace = TraceOf(*recorder, by_string);
  ExecutionTrace handle_trace = TraceOf(*recorder, by_handle);
  CHECK(handle_trace.status == string_trace.status);
  CHECK(handle_trace.status == RunStatus::kError);
  CHECK(handle_trace.overall_progress == string_trace.overall_progress);
  for (const char* node : {"a", "b", "c"}) {
    INFO("node " << node);
    const NodeTrace& from_string = NodeOf(string_trace, node);
    const NodeTrace& from_handle = NodeOf(handle_trace, node);
    CHECK(from_handle.state == from_string.state);
    CHECK(from_handle.progress == from_string.progress);
    CHECK(StatesOf(from_handle) == StatesOf(from_string));
    REQUIRE(from_handle.events.size() == from_string.events.size());
    for (size_t i = 0; i < from_handle.events.size(); ++i)
      CHECK(from_handle.events[i].data_json == from_string.events[i].data_json);
  }
  // Run-level node events carry the same snapshots (`completed` has durations).
  REQUIRE(handle_trace.events.size() == string_trace.events.size());
  for (size_t i = 0; i < handle_trace.events.size(); ++i) {
    if (handle_trace.events[i].type != EventType::kProgress &&
        handle_trace.events[i].type != EventType::kStateChange)
      continue;
    CHECK(handle_trace.events[i].data_json == string_trace.events[i].data_json);
  }
}

TEST_CASE("Node() resolves once per pair and checks its ids", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("node.db");
  auto recorder = Open(db);
  const std::string id = Start(*recorder, FlatRun("node"));
  const NodeHandle a = HandleOf(*recorder, id, "a");
  const NodeHandle again = HandleOf(*recorder, id, "a");
  const NodeHandle b = HandleOf(*recorder, id, "b");
  CHECK(a.run == again.run);
  CHECK(a.node == again.node);
  CHECK(a.run == b.run);
  CHECK(a.node != b.node);
  // The string API and the handle API share one table.
  recorder->SetNodeState(id, "c", NodeState::kExecuting);
  const NodeHandle c = HandleOf(*recorder, id, "c");
  CHECK(c.node != a.node);
  CHECK(c.node != b.node);

  auto refused = [&](const std::string& run, const std::string& node, const std::string& field) {
    auto handle = recorder->Node(run, node);
    REQUIRE_FALSE(handle);
    CHECK(handle.error().code == StatusCode::kInvalidInput);
    CHECK_THAT(handle.error().message, Catch::Contains(field));
  };
  refused("", "a", "executionId");
  refused(std::string(257, 'x'), "a", "executionId");
  refused(id, "", "nodeId");
  // 256 characters of two bytes each are still 256 characters.
  std::string wide;
  for (int i = 0; i < 256; ++i) wide += "\xc3\xa9";
  CHECK(recorder->Node(wide, "a"));

  // A node `started` did not declare, and a run this recorder did not start,
  // are accepted: the log keeps their events, the projection reports them.
  const NodeHandle ghost = HandleOf(*recorder, id, "ghost");
  recorder->SetNodeState(ghost, NodeState::kExecuting);
  const NodeHandle elsewhere = HandleOf(*recorder, "elsewhere", "x");
  recorder->ReportProgress(elsewhere, 5);
  REQUIRE(recorder->Flush());
  auto store = OpenStore(db);
  auto events = ReadRun(*store, id);
  REQUIRE(events.size() == 3);
  CHECK(events[2].node_id == "ghost");
  auto other = ReadRun(*store, "elsewhere");
  REQUIRE(other.size() == 1);
  CHECK(other[0].seq == 1);
  CHECK(other[0].data_json == R"({"progress":5})");
}

TEST_CASE("a run another recorder began continues its seqs through handles", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("continue.db");
  {
    auto first = Open(db);
    Start(*first, FlatRun("shared-run"));
    first->SetNodeState("shared-run", "a", NodeState::kExecuting);
  }
  auto second = Open(db);
  const NodeHandle a = HandleOf(*second, "shared-run", "a");
  second->ReportProgress(a, 50);
  second->SetNodeState(a, NodeState::kCompleted);
  REQUIRE(second->Flush());
  auto events = ReadRun(*OpenStore(db), "shared-run");
  REQUIRE(events.size() == 4);
  CHECK(FirstSeqGap(events) == 4);
  CHECK(events[3].data_json == R"({"state":"completed"})");
}

TEST_CASE("a handle the recorder did not make is refused and reported", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("forged.db");
  auto recorder = Open(db);
  const std::string id = Start(*recorder, FlatRun("forged"));
  const NodeHandle a = HandleOf(*recorder, id, "a");
  recorder->SetNodeState(NodeHandle{}, NodeState::kExecuting);
  recorder->ReportProgress(NodeHandle{a.run, a.node + 1000}, 1);
  recorder->ReportProgress(NodeHandle{a.run + 1000, a.node}, 1);
  recorder->SetNodeState(a, NodeState::kExecuting);
  auto flushed = recorder->Flush();
  REQUIRE_FALSE(flushed);
  CHECK(flushed.error().code == StatusCode::kInvalidInput);
  CHECK_THAT(flushed.error().message, Catch::Contains("Node()"));
  // Reported once; the events around it are stored.
  CHECK(recorder->Flush());
  CHECK(recorder->DurableCount() == 2);
  auto events = ReadRun(*OpenStore(db), id);
  REQUIRE(events.size() == 2);
  CHECK(events[1].node_id == "a");
}

TEST_CASE("many threads through a ring of 8 lose nothing and keep time in seq order",
          "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("ring8.db");
  RecorderOptions options;
  options.queue_capacity = 8;
  options.durability = Durability::kNormal;  // about the ring, not the disk
  constexpr int kThreads = 4;
  constexpr int kEvents = 50000;  // per thread
  // Threads 0 and 1 share run "ring-shared" (nodes a and b); 2 and 3 own a run each.
  auto run_of = [](int t) {
    return t < 2 ? std::string("ring-shared") : fmt::format("ring-{}", t);
  };
  auto node_of = [](int t) { return t % 2 == 0 ? std::string("a") : std::string("b"); };
  const int64_t wall_before = std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  {
    auto recorder = Open(db, options);
    for (const std::string& id : {run_of(0), run_of(2), run_of(3)}) Start(*recorder, FlatRun(id));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        auto handle = recorder->Node(run_of(t), node_of(t));
        if (!handle) return;
        recorder->SetNodeState(*handle, NodeState::kExecuting);
        for (int i = 0; i < kEvents; ++i) recorder->ReportProgress(*handle, i % 101);
        recorder->SetNodeState(*handle, NodeState::kCompleted);
      });
    }
    for (auto& thread : threads) thread.join();
    REQUIRE(recorder->Flush());
    CHECK(recorder->DurableCount() == 3 + kThreads * (kEvents + 2));
  }
  const int64_t wall_after = std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  auto store = OpenStore(db);
  for (const std::string& id : {run_of(0), run_of(2), run_of(3)}) {
    INFO("run " << id);
    auto events = ReadRun(*store, id);
    const int threads_in_run = id == run_of(0) ? 2 : 1;
    REQUIRE(events.size() == 1 + static_cast<size_t>(threads_in_run) * (kEvents + 2));
    REQUIRE(FirstSeqGap(events) == events.size());
    // Each node's events in the order its thread sent them.
    std::map<std::string, int> next;  // node -> events seen
    for (size_t i = 1; i < events.size(); ++i) {
      const Event& event = events[i];
      if (event.timestamp_us < events[i - 1].timestamp_us)
        FAIL("seq " << event.seq << " goes back in time");
      // Epoch microseconds, read while the test ran.
      if (event.timestamp_us < wall_before || event.timestamp_us > wall_after)
        FAIL("seq " << event.seq << " has timestamp " << event.timestamp_us);
      int& seen = next[event.node_id];
      std::string expected;
      if (seen == 0)
        expected = R"({"state":"executing"})";
      else if (seen == kEvents + 1)
        expected = R"({"state":"completed"})";
      else
        expected = fmt::format(R"({{"progress":{}}})", (seen - 1) % 101);
      if (event.data_json != expected)
        FAIL("seq " << event.seq << " of node " << event.node_id << " is " << event.data_json
                    << ", expected " << expected);
      ++seen;
    }
    CHECK(next.size() == static_cast<size_t>(threads_in_run));
  }
}

TEST_CASE("an idle recorder still stores what comes in after it went to sleep", "[recorder]") {
  TempDir dir;
  const std::string db = dir.File("idle.db");
  auto recorder = Open(db);
  const std::string id = Start(*recorder, FlatRun("idle"));
  const NodeHandle a = HandleOf(*recorder, id, "a");
  REQUIRE(recorder->Flush());
  // Long enough for the writer to stop napping and sleep without a timeout:
  // the next event must wake it (no Flush until the count shows it stored).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  recorder->SetNodeState(a, NodeState::kExecuting);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (recorder->DurableCount() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(recorder->DurableCount() == 2);
}

}  // namespace
}  // namespace extrace
