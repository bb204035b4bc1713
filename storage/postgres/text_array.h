// One array parameter in PostgreSQL's text form ({1,NULL,3}, {"a","b\"c"}):
// the write path sends a batch's column as one array and unnests it on the
// server, so a thousand rows cost one statement, not a thousand round trips.
// Not thread-safe: one per column being built.
#pragma once

#include <string>
#include <string_view>

#include "storage/postgres/field_writer.h"

namespace extrace::pg {

class TextArray : public FieldWriter<TextArray> {
 public:
  static constexpr char kNull[] = "NULL";
  // Quoted, so nothing in it (commas, braces, "NULL") is read as syntax.
  static void AppendString(std::string& text, std::string_view value) {
    text += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') text += '\\';
      text += c;
    }
    text += '"';
  }
  void Separate() { text_ += count_++ > 0 ? ',' : '{'; }

  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  // The literal, closed.
  std::string Text() const { return count_ == 0 ? "{}" : text_ + '}'; }
  void Clear() {
    text_.clear();
    count_ = 0;
  }

 private:
  size_t count_ = 0;
};

}  // namespace extrace::pg
