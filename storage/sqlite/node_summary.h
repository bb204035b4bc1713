// The per-node facts of each run (table run_nodes, view node_runs), kept current
// inside the append transaction: declared graph position, own last state, first
// start, end, last progress, error message, by the rules of summary_rules.h
// (shared with every backend). Derived groups have no row facts of their own:
// the query layer derives them from their children.
// Rows are read once per transaction and written back by Flush(), so a batch
// that touches a node many times costs one read and one write.
// Not thread-safe: one per connection, used inside its transactions.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "extrace/event.h"
#include "storage/summary_rules.h"

namespace extrace {

struct DeclaredNodeRow {
  int64_t node = 0;    // strings.id
  int64_t parent = 0;  // strings.id, 0 for none
  int64_t name = 0;
  int64_t type = 0;
  int64_t position = 0;
};

class NodeSummary {
 public:
  explicit NodeSummary(SQLite::Database& db) : db_(db) {}

  // Each returns the change in the run's count of declared nodes whose last own
  // state is error (executions.error_nodes).
  int Declare(int64_t run, const DeclaredNodeRow& declared);
  int ApplyState(int64_t run, int64_t node, int64_t seq, int64_t timestamp_us, NodeState state,
                 std::string_view error_message);
  int ApplyProgress(int64_t run, int64_t node, int64_t seq, double progress);
  // Writes every changed row; call before COMMIT.
  void Flush();
  // Drops the cached rows (after COMMIT or ROLLBACK: another process may write
  // next) and releases the statements' read snapshots.
  void Forget() {
    rows_.clear();
    if (find_) find_->reset();
    if (upsert_) upsert_->reset();
  }

 private:
  // The facts (summary_rules.h) and the declaration, as strings.id values.
  struct Row : summary_rules::NodeRunFacts {
    bool dirty = false;  // changed since read: Flush writes it
    std::optional<int64_t> parent, position, name, type;
  };
  struct Key {
    int64_t run;
    int64_t node;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& key) const {
      return std::hash<int64_t>()(key.run * 1000003 + key.node);
    }
  };
  // The cached row, read from the table on first use in the transaction.
  Row& Get(int64_t run, int64_t node);
  void Write(int64_t run, int64_t node, const Row& row);
  SQLite::Statement& Prepare(std::unique_ptr<SQLite::Statement>& slot, const char* sql);

  SQLite::Database& db_;
  std::unordered_map<Key, Row, KeyHash> rows_;
  std::unique_ptr<SQLite::Statement> find_, upsert_;
};

}  // namespace extrace
