// STUB (being written): the summaries of the PostgreSQL event log, and Reindex.
#include "storage/postgres/pg_store.h"

namespace extrace {

Status PostgresEventStore::Reindex(const std::function<void(int64_t, int64_t)>&) {
  return MakeError(StatusCode::kInternal, "not yet");
}

}  // namespace extrace
