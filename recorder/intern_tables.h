// InternTables: the ids behind the recorder's handles. Callers (any thread)
// intern runs and nodes under a shared mutex; the writer thread copies
// pointers to the interned strings (which never move) into its own view.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "extrace/recorder.h"

namespace extrace::recorder {

// The ids behind handles. Index 0 of both tables means "none", so that a
// default NodeHandle{} never names a real node and run-level events use node 0.
// Entries are never removed: a handle stays valid for the recorder's lifetime.
class InternTables {
 public:
  struct Run {
    explicit Run(std::string id) : execution_id(std::move(id)) { node_ids.emplace_back(); }
    const std::string execution_id;
    // A deque: the writer keeps pointers to its strings while callers add more.
    std::deque<std::string> node_ids;
    std::unordered_map<std::string_view, uint32_t> node_index;  // views into node_ids
  };

  InternTables() { runs_.emplace_back(std::string()); }

  uint32_t RunOf(const std::string& execution_id) {
    {
      std::shared_lock lock(mu_);
      if (auto it = run_index_.find(execution_id); it != run_index_.end()) return it->second;
    }
    std::unique_lock lock(mu_);
    return RunLocked(execution_id);
  }

  NodeHandle NodeOf(const std::string& execution_id, const std::string& node_id) {
    {
      std::shared_lock lock(mu_);
      if (auto run = run_index_.find(execution_id); run != run_index_.end()) {
        const Run& table = runs_[run->second];
        if (auto node = table.node_index.find(node_id); node != table.node_index.end())
          return {run->second, node->second};
      }
    }
    std::unique_lock lock(mu_);
    uint32_t run = RunLocked(execution_id);
    Run& table = runs_[run];
    auto it = table.node_index.find(node_id);
    if (it == table.node_index.end()) {
      // Keyed by a view of the deque's own copy: `node_id` belongs to the caller.
      const std::string& stored = table.node_ids.emplace_back(node_id);
      it = table.node_index.emplace(stored, static_cast<uint32_t>(table.node_ids.size() - 1)).first;
    }
    return {run, it->second};
  }

  // The writer's view: copies, under the lock, pointers to the strings of
  // runs and nodes interned since it last looked (the strings never move).
  struct WriterRun {
    const std::string* execution_id = nullptr;
    std::vector<const std::string*> node_ids;
    int64_t last_us = std::numeric_limits<int64_t>::min();  // of the run's last event
  };
  void Refresh(std::vector<WriterRun>& view, uint32_t run) const {
    std::shared_lock lock(mu_);
    while (view.size() < runs_.size()) {
      WriterRun added;
      added.execution_id = &runs_[view.size()].execution_id;
      view.push_back(std::move(added));
    }
    if (run >= view.size()) return;
    const Run& table = runs_[run];
    auto& nodes = view[run].node_ids;
    while (nodes.size() < table.node_ids.size()) nodes.push_back(&table.node_ids[nodes.size()]);
  }

  bool Full() const {
    std::shared_lock lock(mu_);
    return runs_.size() >= std::numeric_limits<uint32_t>::max();
  }

 private:
  uint32_t RunLocked(const std::string& execution_id) {
    auto [it, added] = run_index_.try_emplace(execution_id, static_cast<uint32_t>(runs_.size()));
    if (added) runs_.emplace_back(execution_id);
    return it->second;
  }

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, uint32_t> run_index_;
  std::deque<Run> runs_;  // a deque: the writer keeps pointers into it
};

}  // namespace extrace::recorder
