// Rows in COPY's text format (tab-separated, \N for NULL, backslash escapes),
// for pg::Connection::CopyIn: how the write path sends rows whose keys
// nobody else can take (their run is locked), the fastest way into a table.
// Not thread-safe: one per batch being built.
#pragma once

#include <string>
#include <string_view>

#include "storage/postgres/field_writer.h"

namespace extrace::pg {

class CopyRows : public FieldWriter<CopyRows> {
 public:
  static constexpr char kNull[] = "\\N";
  static void AppendString(std::string& text, std::string_view value) {
    for (char c : value) {
      switch (c) {
        case '\\':
          text += "\\\\";
          break;
        case '\t':
          text += "\\t";
          break;
        case '\n':
          text += "\\n";
          break;
        case '\r':
          text += "\\r";
          break;
        default:
          text += c;
      }
    }
  }
  void Separate() {
    if (!first_) text_ += '\t';
    first_ = false;
  }

  void EndRow() {
    text_ += '\n';
    first_ = true;
    ++rows_;
  }
  size_t rows() const { return rows_; }
  const std::string& text() const { return text_; }
  void Clear() {
    text_.clear();
    first_ = true;
    rows_ = 0;
  }

 private:
  bool first_ = true;
  size_t rows_ = 0;
};

}  // namespace extrace::pg
