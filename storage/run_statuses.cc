// Run statuses from summaries: see run_statuses.h.
#include "storage/run_statuses.h"

#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>

#include "format/run_status.h"

namespace extrace {

void ResolveStatuses(std::vector<SummaryRow>& rows) {
  std::unordered_map<std::string_view, size_t> index;
  std::unordered_map<std::string_view, std::vector<size_t>> children;
  for (size_t i = 0; i < rows.size(); ++i) {
    index.emplace(rows[i].run.execution_id, i);
    if (rows[i].derives_parent_node) children[rows[i].run.parent_execution_id].push_back(i);
  }
  enum class Mark : uint8_t { kUnresolved, kResolving, kResolved };
  std::vector<Mark> marks(rows.size(), Mark::kUnresolved);
  std::function<RunStatus(size_t)> resolve = [&](size_t i) -> RunStatus {
    RunSummary& run = rows[i].run;
    if (marks[i] == Mark::kResolved) return run.status;
    if (marks[i] == Mark::kResolving)
      return RunStatus::kIncomplete;  // a cycle of parents: not stitched
    marks[i] = Mark::kResolving;
    bool failed_child = false;
    if (auto it = children.find(run.execution_id); it != children.end())
      for (size_t child : it->second)
        failed_child = (resolve(child) == RunStatus::kError) || failed_child;
    run.status = RunStatusOf(run.end_type, run.error_nodes > 0 || failed_child);
    marks[i] = Mark::kResolved;
    return run.status;
  };
  for (size_t i = 0; i < rows.size(); ++i) resolve(i);
}

}  // namespace extrace
