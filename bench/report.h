// The benchmark suite's one table: printed to the terminal and written as
// Markdown between the markers of docs/benchmarks.md, so the hand-written
// parts of that file outside the markers survive every run.
#pragma once

#include <string>
#include <vector>

namespace extrace::bench {

struct Row {
  std::string name;      // the case
  std::string extrace;   // extrace's figure, with its unit
  std::string baseline;  // the same-run baseline's figure ("-" when none)
  std::string ratio;     // extrace / baseline as the target reads it ("-" when none)
  std::string target;
  std::string met;  // "yes", "no", or "-" (no target)
};

struct Machine {
  std::string cpu;
  unsigned cores = 0;
  std::string sqlite_version;
  std::string compiler;
  std::string date_utc;
};

Machine DescribeMachine();

// The table as aligned text columns.
std::string TextTable(const std::vector<Row>& rows);

// The generated Markdown: machine, command, table, notes.
std::string MarkdownReport(const Machine& machine, const std::string& command,
                           const std::vector<Row>& rows, const std::vector<std::string>& notes);

// Writes `generated` between <!-- bench:begin --> and <!-- bench:end --> of
// `path`, keeping everything else. A new file gets a title and an empty
// hand-written section. With `standalone`, the file is just the report.
void WriteReport(const std::string& path, const std::string& generated, bool standalone);

}  // namespace extrace::bench
