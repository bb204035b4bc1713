// STUB (being written): `extrace sql` on the PostgreSQL event log.
#include "storage/postgres/pg_store.h"

namespace extrace {

Status PostgresEventStore::Query(
    const std::string&, const std::function<void(const std::vector<std::string>&)>&,
    const std::function<void(const std::vector<std::optional<std::string>>&,
                             const std::vector<bool>&)>&) {
  return MakeError(StatusCode::kInternal, "not yet");
}

}  // namespace extrace
