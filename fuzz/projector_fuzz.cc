// Fuzz target: the projector (query/projector.h) over arbitrary event
// sequences of a few runs (fuzz/fuzz_events.h: conflicting, duplicate, late,
// out-of-order events, unknown nodes, child runs naming each other), each run
// stitched with its child runs as LoadTrace does, and the trace written as
// `extrace show --json` writes it. Promises checked: the written trace is
// valid JSON, and the same events give the same bytes. EXTRACE_FUZZ_DUMP=1
// prints the decoded events and the trace when a trace is not valid JSON.
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "format/event_json.h"
#include "format/event_line.h"
#include "fuzz/fuzz_events.h"
#include "fuzz/fuzz_support.h"
#include "query/projector.h"
#include "query/trace_json.h"

namespace extrace::fuzz {
namespace {

// Whose `started` names `parent` as its parent run.
std::vector<std::string> ChildrenOf(const RunEvents& runs, const std::string& parent) {
  std::vector<std::string> children;
  for (const auto& [id, events] : runs)
    for (const Event& event : events)
      if (event.type == EventType::kStarted) {
        auto info = ReadStartedInfo(ParseDataObject(event.data_json));
        if (info && info->parent_execution_id == parent) children.push_back(id);
        break;
      }
  return children;
}

ExecutionTrace Project(const RunEvents& runs, const std::string& id, std::set<std::string>& path,
                       const ProjectOptions& options) {
  std::vector<ExecutionTrace> children;
  path.insert(id);
  for (const std::string& child : ChildrenOf(runs, id))
    if (!path.contains(child) && path.size() < 4)
      children.push_back(Project(runs, child, path, options));
  path.erase(id);
  return ProjectRun(id, runs.at(id), std::move(children), options);
}

}  // namespace
}  // namespace extrace::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace extrace;
  fuzz::RunEvents runs = fuzz::DecodeEvents({data, size});
  ProjectOptions options;
  options.all_nodes_snapshots = size % 2 == 0;
  for (const auto& [id, events] : runs) {
    std::set<std::string> path;
    std::string json = TraceToJson(fuzz::Project(runs, id, path, options));
    boost::system::error_code ec;
    boost::json::parse(json, ec);
    if (ec && std::getenv("EXTRACE_FUZZ_DUMP")) {
      for (const auto& [run, evs] : runs)
        for (const Event& e : evs) {
          std::string line;
          AppendEventLine(line, e);
          std::fputs(line.c_str(), stderr);
        }
      std::fprintf(stderr, "%s\n", json.c_str());
    }
    if (ec) fuzz::Broken("the trace of run " + id + " is not valid JSON: " + ec.message());
    std::string again = TraceToJson(fuzz::Project(runs, id, path, options));
    if (again != json) fuzz::Broken("the same events gave two traces for run " + id);
  }
  return 0;
}
