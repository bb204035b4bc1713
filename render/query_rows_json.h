// `extrace query SQL --json` (schema/README.md, "Other JSON"): an array of
// objects, one per row, keyed by column name; numbers as numbers, NULL as
// null. Rows are added as the store reads them, and may be taken out in
// pieces. Not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "format/json_text.h"

namespace extrace {

class QueryRowsJson {
 public:
  QueryRowsJson();
  QueryRowsJson(const QueryRowsJson&) = delete;  // the writer points into out_
  QueryRowsJson& operator=(const QueryRowsJson&) = delete;

  // One row as EventStore::Query hands it over: `values[i]` of column
  // `columns[i]`, empty for NULL; `numbers[i]`: the text is a number.
  void AddRow(const std::vector<std::string>& columns,
              const std::vector<std::optional<std::string>>& values,
              const std::vector<bool>& numbers);
  // What was written since the last Take(), to print before the next rows
  // come; the document is the concatenation of every Take() and Finish().
  [[nodiscard]] size_t pending_bytes() const { return out_.size(); }
  std::string Take();
  // The document (what is left of it); once, after the last row.
  std::string Finish();

 private:
  std::string out_;
  JsonWriter w_;
};

}  // namespace extrace
