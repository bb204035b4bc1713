// Run statuses from summaries alone, for any backend: a run's status depends
// on its child runs' (a failed child run standing for a node without a state
// of its own fails that node), so the summaries of a run's whole tree are read
// first and resolved together here. Plain functions: thread-safe.
#pragma once

#include <vector>

#include "storage/event_store.h"

namespace extrace {

struct SummaryRow {
  RunSummary run;
  // This run is a child run whose parent node sends no state of its own: the
  // projection derives that node from this run, so its failure fails the parent.
  bool derives_parent_node = false;
};

// Fills in each run's status as the projection would: a run that ended fails when
// it ended with `error`, when a declared node's last state is `error`, or when a
// failed child run (to any depth) stands for a node without a state of its own.
// `rows` must hold every descendant of the runs whose status matters.
void ResolveStatuses(std::vector<SummaryRow>& rows);

}  // namespace extrace
