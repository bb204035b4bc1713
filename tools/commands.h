// The CLI's commands, one function each; main.cc parses the command line
// (CLI11) and calls them. Each returns the process exit code and writes its one
// error line to stderr itself.
#pragma once

#include <string>
#include <vector>

namespace extrace::cli {

struct GlobalOptions {
  std::string db_path;  // --db, else $EXTRACE_DB, else ./extrace.db
};

int Ingest(const GlobalOptions& global, const std::vector<std::string>& files,
           bool normal_durability);
int List(const GlobalOptions& global, bool json);
int Show(const GlobalOptions& global, const std::string& id, bool json);
int Events(const GlobalOptions& global, const std::string& id, const std::string& node);
int Export(const GlobalOptions& global, const std::string& id, const std::string& output);

}  // namespace extrace::cli
