// What the recorder tests share: opening a recorder and a separate EventStore
// on one file, a flat run, and reading back stored events and the projection
// of a run (Recorder::Trace). Inline, for the recorder_*_test.cc files.
#pragma once

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "extrace/extrace.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace::recorder_test {

inline std::unique_ptr<Recorder> Open(const std::string& db, RecorderOptions options = {}) {
  auto recorder = OpenRecorder(db, options);
  INFO((recorder ? "" : recorder.error().message));
  REQUIRE(recorder);
  return std::move(*recorder);
}

inline std::unique_ptr<EventStore> OpenStore(const std::string& db) {
  auto store = EventStore::Open(db);
  INFO((store ? "" : store.error().message));
  REQUIRE(store);
  return std::move(*store);
}

// root "flow" > leaves "a", "b", "c".
inline RunStart FlatRun(const std::string& id) {
  RunStart run;
  run.execution_id = id;
  run.root_node_id = "flow";
  run.nodes = {{"flow", "Flow", "group", "", 1},
               {"a", "A", "code", "flow", 1},
               {"b", "B", "code", "flow", 1},
               {"c", "C", "code", "flow", 1}};
  return run;
}

inline std::string Start(Recorder& recorder, const RunStart& run) {
  auto id = recorder.StartRun(run);
  INFO((id ? "" : id.error().message));
  REQUIRE(id);
  return *id;
}

inline std::vector<Event> ReadRun(EventStore& store, const std::string& id) {
  auto events = store.ReadEvents(id);
  INFO((events ? "" : events.error().message));
  REQUIRE(events);
  return std::move(*events);
}

inline size_t FirstSeqGap(const std::vector<Event>& events) {
  for (size_t i = 0; i < events.size(); ++i)
    if (events[i].seq != static_cast<int64_t>(i) + 1) return i;
  return events.size();
}

inline std::string MessageOf(const Event& event) {
  auto data = boost::json::parse(event.data_json).as_object();
  return std::string(data.at("message").as_string());
}

inline ExecutionTrace TraceOf(Recorder& recorder, const std::string& id) {
  auto trace = recorder.Trace(id);
  INFO((trace ? "" : trace.error().message));
  REQUIRE(trace);
  return std::move(*trace);
}

inline const NodeTrace* FindNode(const std::vector<NodeTrace>& nodes, const std::string& id) {
  for (const NodeTrace& node : nodes) {
    if (node.node_id == id) return &node;
    if (const NodeTrace* found = FindNode(node.child_traces, id)) return found;
  }
  return nullptr;
}

inline const NodeTrace& NodeOf(const ExecutionTrace& trace, const std::string& id) {
  const NodeTrace* node = FindNode(trace.nodes, id);
  INFO("node " << id);
  REQUIRE(node != nullptr);
  return *node;
}

// A node's own state-change events as "state" or "state: errorMessage".
inline std::vector<std::string> StatesOf(const NodeTrace& node) {
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

inline NodeHandle HandleOf(Recorder& recorder, const std::string& id, const std::string& node) {
  auto handle = recorder.Node(id, node);
  INFO((handle ? "" : handle.error().message));
  REQUIRE(handle);
  return *handle;
}

}  // namespace extrace::recorder_test
