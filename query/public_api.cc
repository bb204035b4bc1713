// The query layer's part of the public API (include/extrace/extrace.h).
#include "extrace/extrace.h"
#include "query/trace_json.h"
#include "query/trace_loader.h"
#include "storage/event_store.h"

namespace extrace {

Result<ExecutionTrace> ReadTrace(const std::string& db_path, const std::string& execution_id) {
  StoreOptions options;
  options.read_only = true;
  auto store = EventStore::Open(db_path, options);
  if (!store) return tl::unexpected(store.error());
  return LoadTrace(**store, execution_id);
}

std::string TraceJson(const ExecutionTrace& trace) { return TraceToJson(trace); }

}  // namespace extrace
