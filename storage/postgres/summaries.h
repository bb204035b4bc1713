// The summaries of the PostgreSQL event log, kept in memory while an append
// (or Reindex) transaction is open: each run's executions row and its
// run_nodes rows are read once (locked runs: nobody else changes them until
// COMMIT), changed event by event by the shared rules (summary_rules.h, and
// the run-level rules of the SQLite backend: first `started` and first end by
// seq), and the changed rows written back with one statement per table.
// Not thread-safe: one per store (connection), used inside its transactions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "extrace/event.h"
#include "storage/payload_layout.h"
#include "storage/postgres/connection.h"
#include "storage/summary_rules.h"

namespace extrace::pg {

// One run_nodes row: the facts, and the declaration from the declaring `started`.
struct NodeRow : summary_rules::NodeRunFacts {
  bool dirty = false;   // changed since read: Flush writes it
  bool stored = false;  // the table has the row (else Flush copies it in: the run is locked)
  std::optional<std::string> parent, name, type;
  std::optional<int64_t> position;
};

// One executions row, and its run_nodes rows once loaded.
struct RunRow {
  int64_t id = 0;
  std::string execution_id;
  int64_t base_us = 0;  // event_log.ts_us is relative to it
  int64_t max_seq = 0;
  int64_t event_count = 0;
  std::optional<int64_t> last_us;
  std::optional<std::string> root_node_id, parent_execution_id, parent_node_id;
  std::optional<int64_t> start_seq, start_us, end_seq, end_us, end_type;
  int64_t error_nodes = 0;
  bool dirty = false;
  bool nodes_loaded = false;
  std::unordered_map<std::string, NodeRow> nodes;
};

class RunSummaries {
 public:
  // The run rows of write_sql::kLockRuns, kept by execution id.
  void AddLocked(const Result& rows);
  // A run whose summaries start empty (Reindex: the tables were cleared).
  RunRow& AddEmpty(int64_t id, const std::string& execution_id);
  RunRow* Find(const std::string& execution_id);
  // Reads the run_nodes rows of `runs` not read yet, with one statement.
  void LoadNodes(Connection& db, const std::vector<RunRow*>& runs);
  // What one stored event changes. Its run's nodes must be loaded.
  void Apply(const Event& event, const payload_layout::Pieces& pieces, RunRow& run);
  // Writes every changed row; call before COMMIT.
  void Flush(Connection& db);
  // Drops the rows (after COMMIT or ROLLBACK: another machine may write next).
  void Forget() { runs_.clear(); }
  size_t node_rows() const;

 private:
  // A `started` event's declaration. Runs of one flow usually send the same
  // data: it is parsed once, not once per run (no ids in it: never stale).
  struct Declaration {
    std::string root_node_id;
    std::optional<std::string> parent_execution_id, parent_node_id;
    struct Node {
      std::string id;
      std::optional<std::string> parent;
      std::string name, type;
    };
    std::vector<Node> nodes;
  };
  static constexpr size_t kDeclarationCacheSize = 64;
  const Declaration* Declared(const std::string& data_json);
  void ApplyStarted(const Event& event, RunRow& run);

  std::map<std::string, RunRow> runs_;  // by execution id
  std::unordered_map<std::string, Declaration> declarations_;
};

}  // namespace extrace::pg
