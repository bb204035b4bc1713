// Schema migrations: see migrations.h. The SQL is schema/*.sql, compiled in.
#include "storage/sqlite/migrations.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include "storage/schema_sql.h"
#include "storage/sqlite/errors.h"

namespace extrace {
namespace {

int UserVersion(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

}  // namespace

Result<int> MigrateSchema(SQLite::Database& db, const std::string& path, bool read_only) {
  try {
    // One statement, one snapshot: another process may migrate between two reads.
    SQLite::Statement probe(db,
                            "SELECT (SELECT user_version FROM pragma_user_version), "
                            "(SELECT count(*) FROM sqlite_schema)");
    probe.executeStep();
    int version = probe.getColumn(0).getInt();
    int tables = probe.getColumn(1).getInt();
    probe.reset();
    if (version > kSchemaVersion)
      return MakeError(StatusCode::kSchemaTooNew,
                       fmt::format("{}: schema version {} is newer than this extrace knows ({}): "
                                   "use a newer extrace",
                                   path, version, kSchemaVersion));
    if (version == 0) {
      if (tables > 0)
        return MakeError(
            StatusCode::kCorrupt,
            fmt::format("{}: not an extrace database (it has tables but no extrace schema)", path));
    }
    const int found = version;
    if (version == kSchemaVersion) return found;
    if (read_only)
      return MakeError(version == 0 ? StatusCode::kNotFound : StatusCode::kReadOnly,
                       version == 0 ? fmt::format("{}: empty database: nothing recorded yet", path)
                                    : fmt::format("{}: schema version {} needs an upgrade to {}, "
                                                  "which needs write access",
                                                  path, version, kSchemaVersion));
    while (version < kSchemaVersion) {
      {
        // Rolled back by its destructor unless committed.
        SQLite::Transaction txn(db, SQLite::TransactionBehavior::IMMEDIATE);
        // Another process may have migrated while we waited for the lock.
        int now = UserVersion(db);
        if (now == version) {
          db.exec(std::string(kMigrations[version]));
          db.exec(fmt::format("PRAGMA user_version = {}", version + 1));
        }
        txn.commit();
      }
      version = UserVersion(db);
    }
    return found;
  } catch (const SQLite::Exception& e) {
    return tl::unexpected(ErrorFromSqlite(e, fmt::format("{}: opening the schema", path),
                                          sqlite3_system_errno(db.getHandle())));
  }
}

}  // namespace extrace
