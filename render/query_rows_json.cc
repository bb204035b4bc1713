// `extrace query --json`: see query_rows_json.h.
#include "render/query_rows_json.h"

#include <utility>

namespace extrace {

QueryRowsJson::QueryRowsJson() : w_(out_) { w_.BeginArray(); }

void QueryRowsJson::AddRow(const std::vector<std::string>& columns,
                           const std::vector<std::optional<std::string>>& values,
                           const std::vector<bool>& numbers) {
  w_.BeginObject();
  for (size_t c = 0; c < values.size(); ++c) {
    w_.Key(columns[c]);
    if (!values[c])
      w_.Null();
    else if (numbers[c])
      w_.Raw(*values[c]);  // SQLite's own text of the number
    else
      w_.String(*values[c]);
  }
  w_.EndObject();
}

std::string QueryRowsJson::Take() {
  std::string piece;
  piece.swap(out_);
  return piece;
}

std::string QueryRowsJson::Finish() {
  w_.EndArray();
  return std::move(out_);
}

}  // namespace extrace
