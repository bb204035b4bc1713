// Run id resolution: see run_resolution.h.
#include "query/run_resolution.h"

#include <fmt/format.h>

namespace extrace {

Result<RunSummary> ResolveRun(EventStore& store, const std::string& spec, const std::string& flow) {
  // An exact id wins over the keyword and over prefixes: a run may be named "latest".
  auto exact = store.GetRun(spec);
  if (!exact) return tl::unexpected(exact.error());
  // A run named "latest" of another flow leaves the keyword to mean the newest run of `flow`.
  bool other_flow = *exact && !flow.empty() && (*exact)->root_node_id != flow;
  if (*exact && (*exact)->event_count > 0 && !(other_flow && spec == "latest")) {
    if (other_flow)
      return MakeError(StatusCode::kNotFound,
                       fmt::format("run \"{}\" is of flow \"{}\", not \"{}\"", spec,
                                   (*exact)->root_node_id, flow));
    return **exact;
  }
  if (spec == "latest") {
    RunFilter filter;
    filter.flow = flow;
    filter.limit = 1;
    // Without a flow, "latest" means the newest run an engine started, not the
    // child run that one of its group nodes started last.
    filter.top_level_only = flow.empty();
    auto runs = store.ListRuns(filter);
    if (!runs) return tl::unexpected(runs.error());
    if (runs->empty())
      return MakeError(StatusCode::kNotFound,
                       flow.empty()
                           ? fmt::format("no runs in {}", store.path())
                           : fmt::format("no runs of flow \"{}\" in {}", flow, store.path()));
    return runs->front();
  }
  RunFilter filter;
  filter.flow = flow;
  auto runs = store.ListRuns(filter);
  if (!runs) return tl::unexpected(runs.error());
  std::vector<const RunSummary*> matches;
  for (const auto& run : *runs)
    if (!spec.empty() && run.execution_id.compare(0, spec.size(), spec) == 0)
      matches.push_back(&run);
  if (matches.size() == 1) return *matches.front();
  if (matches.empty())
    return MakeError(StatusCode::kNotFound,
                     fmt::format("no run with executionId \"{}\" (nor one starting with "
                                 "it) in {}",
                                 spec, store.path()));
  std::string some;
  for (size_t i = 0; i < matches.size() && i < 3; ++i)
    some += (i ? ", " : "") + matches[i]->execution_id;
  return MakeError(StatusCode::kInvalidInput,
                   fmt::format("\"{}\" is ambiguous: {} runs start with it ({}{})", spec,
                               matches.size(), some, matches.size() > 3 ? ", ..." : ""));
}

Result<std::vector<RunSummary>> FindRuns(EventStore& store, const RunFilter& filter) {
  auto runs = store.ListRuns(filter);
  if (!runs || !runs->empty() || filter.flow.empty()) return runs;
  RunFilter flow_only;
  flow_only.flow = filter.flow;
  flow_only.limit = 1;
  // Only a flow known to have no run is an error: a failing look-up leaves the empty answer.
  auto any = store.ListRuns(flow_only);
  if (any && any->empty())
    return MakeError(StatusCode::kNotFound,
                     fmt::format("no runs of flow \"{}\" in {}", filter.flow, store.path()));
  return runs;
}

}  // namespace extrace
