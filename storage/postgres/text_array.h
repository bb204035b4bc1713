// One array parameter in PostgreSQL's text form ({1,NULL,3}, {"a","b\"c"}):
// the write path sends a batch's column as one array and unnests it on the
// server, so a thousand rows cost one statement, not a thousand round trips.
// Not thread-safe: one per column being built.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace extrace::pg {

class TextArray {
 public:
  void Add(int64_t value) {
    Separate();
    text_ += fmt::format_int(value).str();
  }
  void Add(double value) {
    Separate();
    fmt::format_to(std::back_inserter(text_), "{}", value);
  }
  void Add(bool value) {
    Separate();
    text_ += value ? 't' : 'f';
  }
  void Add(const char* value) { Add(std::string_view(value)); }
  // Quoted, so nothing in it (commas, braces, "NULL") is read as syntax.
  void Add(std::string_view value) {
    Separate();
    text_ += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
  }
  void AddNull() {
    Separate();
    text_ += "NULL";
  }
  template <typename T>
  void Add(const std::optional<T>& value) {
    if (value)
      Add(*value);
    else
      AddNull();
  }
  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  // The literal, closed.
  std::string Text() const { return text_ + '}'; }
  void Clear() {
    // Not `text_ = "{"`: GCC 12 warns falsely about it (-Wrestrict) when inlined.
    text_.clear();
    text_ += '{';
    count_ = 0;
  }

 private:
  void Separate() {
    if (count_++ > 0) text_ += ',';
  }
  std::string text_ = "{";
  size_t count_ = 0;
};

}  // namespace extrace::pg
