// STUB (being written): the write path of the PostgreSQL event log.
#include "storage/postgres/pg_store.h"

namespace extrace {

AppendResult PostgresEventStore::Append(std::span<Event>) {
  return {0, 0, MakeError(StatusCode::kInternal, "not yet"), 0, {}};
}

}  // namespace extrace
