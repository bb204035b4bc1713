// STUB (being written): the read side of the PostgreSQL event log.
#include "storage/postgres/pg_store.h"

namespace extrace {

Result<std::optional<RunSummary>> PostgresEventStore::GetRun(const std::string&) {
  return MakeError(StatusCode::kInternal, "not yet");
}
Result<std::vector<RunSummary>> PostgresEventStore::ListRuns(const RunFilter&) {
  return MakeError(StatusCode::kInternal, "not yet");
}
Result<std::vector<NodeFact>> PostgresEventStore::NodeFacts(const std::vector<std::string>&) {
  return MakeError(StatusCode::kInternal, "not yet");
}
Result<std::vector<std::string>> PostgresEventStore::ChildRuns(const std::string&) {
  return MakeError(StatusCode::kInternal, "not yet");
}
Status PostgresEventStore::ForEachEventAfter(const std::string&, int64_t, size_t,
                                             const std::function<void(Event&&)>&) {
  return MakeError(StatusCode::kInternal, "not yet");
}
Result<int64_t> PostgresEventStore::ChangeCounter() {
  return MakeError(StatusCode::kInternal, "not yet");
}
Result<std::string> PostgresEventStore::IntegrityCheck() {
  return MakeError(StatusCode::kInternal, "not yet");
}

}  // namespace extrace
