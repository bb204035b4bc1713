// LoadTrace: see trace_loader.h.
#include "query/trace_loader.h"

#include <fmt/format.h>

#include <set>

#include "query/projector.h"

namespace extrace {
namespace {

Result<ExecutionTrace> Load(EventStore& store, const std::string& execution_id, int depth,
                            std::set<std::string>& path, const ProjectOptions& options) {
  auto events = store.ReadEvents(execution_id);
  if (!events) return tl::unexpected(events.error());
  if (events->empty())
    return MakeError(StatusCode::kNotFound,
                     fmt::format("no run with executionId \"{}\"", execution_id));
  std::vector<ExecutionTrace> children;
  std::vector<std::pair<DiagnosticKind, std::string>> notes;
  auto child_ids = store.ChildRuns(execution_id);
  if (!child_ids) return tl::unexpected(child_ids.error());
  path.insert(execution_id);
  for (const std::string& child : *child_ids) {
    if (path.contains(child)) {
      notes.emplace_back(
          DiagnosticKind::kChildRunCycle,
          fmt::format("child run \"{}\" is also an ancestor of this run: not stitched", child));
      continue;
    }
    if (depth >= kMaxChildRunDepth) {
      notes.emplace_back(DiagnosticKind::kChildRunTooDeep,
                         fmt::format("child run \"{}\" is nested deeper than {} runs: not stitched",
                                     child, kMaxChildRunDepth));
      continue;
    }
    auto trace = Load(store, child, depth + 1, path, options);
    if (!trace) return trace;
    children.push_back(std::move(*trace));
  }
  path.erase(execution_id);
  ExecutionTrace trace = ProjectRun(execution_id, *events, std::move(children), options);
  for (auto& [kind, text] : notes) AddDiagnostic(trace, kind, std::move(text));
  return trace;
}

}  // namespace

Result<ExecutionTrace> LoadTrace(EventStore& store, const std::string& execution_id,
                                 const ProjectOptions& options) {
  std::set<std::string> path;
  return Load(store, execution_id, 0, path, options);
}

}  // namespace extrace
