// `extrace list --json`: see list_json.h.
#include "render/list_json.h"

#include "format/json_text.h"
#include "query/run_header_json.h"

namespace extrace {

void WriteRunListItem(JsonWriter& w, const RunSummary& run) {
  w.BeginObject();
  WriteRunHeader(
      w, RunHeaderOf(run),
      {RunField::kExecutionId, RunField::kRootNodeId, RunField::kStatus, RunField::kStartTime,
       RunField::kDuration, RunField::kEventCount, RunField::kParentExecutionId},
      RunUnknowns::kNull);
  w.EndObject();
}

std::string RunListJson(const std::vector<RunSummary>& runs) {
  std::string out;
  JsonWriter w(out);
  w.BeginArray();
  for (const RunSummary& run : runs) WriteRunListItem(w, run);
  w.EndArray();
  return out;
}

}  // namespace extrace
