// PostgreSQL schema migrations: see migrations.h.
#include "storage/postgres/migrations.h"

#include <fmt/format.h>

#include "storage/postgres_schema_sql.h"

namespace extrace {
namespace {

// pg_advisory_xact_lock's key for "the extrace schema" ('extrace' in ASCII).
constexpr char kLockSchema[] = "SELECT pg_advisory_xact_lock(28554821853278053)";
// Whether the version table exists, its version, and how many other tables
// the schema holds (a database of another program).
constexpr char kProbe[] =
    "SELECT to_regclass('extrace_schema') IS NOT NULL, "
    "(SELECT count(*) FROM pg_tables WHERE schemaname = current_schema())";
constexpr char kVersion[] = "SELECT version FROM extrace_schema";

struct Found {
  bool has_version_table = false;
  int version = 0;
  int64_t tables = 0;
};

Found Probe(pg::Connection& db) {
  Found found;
  auto probe = db.Exec(kProbe);
  found.has_version_table = probe.Bool(0, 0);
  found.tables = probe.Int64(0, 1);
  if (found.has_version_table) {
    auto version = db.Exec(kVersion);
    found.version = version.rows() > 0 ? static_cast<int>(version.Int64(0, 0)) : 0;
  }
  return found;
}

Status Check(const Found& found, const std::string& display) {
  if (found.version > kPostgresSchemaVersion)
    return MakeError(StatusCode::kSchemaTooNew,
                     fmt::format("{}: schema version {} is newer than this extrace knows ({}): "
                                 "use a newer extrace",
                                 display, found.version, kPostgresSchemaVersion));
  if (!found.has_version_table && found.tables > 0)
    return MakeError(StatusCode::kCorrupt,
                     fmt::format("{}: not an extrace database (it has {} tables but no extrace "
                                 "schema): give extrace a database of its own",
                                 display, found.tables));
  return {};
}

}  // namespace

Result<int> MigratePostgres(pg::Connection& db, const std::string& display, bool read_only) {
  Found found = Probe(db);
  if (auto checked = Check(found, display); !checked) return tl::unexpected(checked.error());
  if (found.version == kPostgresSchemaVersion) return found.version;
  if (read_only)
    return MakeError(found.version == 0 ? StatusCode::kNotFound : StatusCode::kReadOnly,
                     found.version == 0
                         ? fmt::format("{}: empty database: nothing recorded yet", display)
                         : fmt::format("{}: schema version {} needs an upgrade to {}, which "
                                       "needs write access",
                                       display, found.version, kPostgresSchemaVersion));
  pg::Transaction txn(db);
  db.Exec(kLockSchema);
  // Another process may have migrated while we waited for the lock.
  found = Probe(db);
  if (auto checked = Check(found, display); !checked) return tl::unexpected(checked.error());
  const int before = found.version;
  if (!found.has_version_table) {
    db.Exec("CREATE TABLE extrace_schema (version integer NOT NULL)");
    db.Exec("INSERT INTO extrace_schema(version) VALUES (0)");
  }
  for (int version = found.version; version < kPostgresSchemaVersion; ++version) {
    db.Exec(kPostgresMigrations[version]);
    db.Exec(fmt::format("UPDATE extrace_schema SET version = {}", version + 1));
  }
  txn.Commit();
  return before;
}

}  // namespace extrace
