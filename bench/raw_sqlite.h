// The baselines' SQLite: what a plain C++ program does with the same event rows
// and no extrace in between. One table shaped like a plain event log
// (execution id as an integer, seq, timestamp, type, node as an integer, data as
// JSON text), keyed by (execution, seq) like any log that must refuse a
// duplicate, WAL, one reused prepared INSERT. Errors throw std::runtime_error
// (the driver reports them and fails). One RawEventTable per thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace extrace::bench {

class RawEventTable {
 public:
  // Creates the file and table if missing; `synchronous` is "FULL" or "NORMAL".
  RawEventTable(const std::string& path, const std::string& synchronous);
  ~RawEventTable();
  RawEventTable(const RawEventTable&) = delete;
  RawEventTable& operator=(const RawEventTable&) = delete;

  void Begin();
  void Commit();
  // node < 0 and empty data store NULL.
  void Insert(int64_t execution, int64_t seq, int64_t ts_us, int type, int64_t node,
              std::string_view data);
  // SELECT every column of one run ORDER BY seq, touching each value; returns
  // the rows read and adds their bytes to `*bytes`.
  int64_t ReadRun(int64_t execution, int64_t* bytes);
  void Checkpoint();
  void Exec(const char* sql);

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* read_ = nullptr;
};

// Rows inserted per transaction by the batched baselines.
inline constexpr int64_t kRawBatch = 10000;

// Size of the database file after a TRUNCATE checkpoint (its -wal emptied).
int64_t CheckpointedFileSize(const std::string& path);
// Removes a database and its -wal and -shm.
void RemoveDatabase(const std::string& path);

}  // namespace extrace::bench
