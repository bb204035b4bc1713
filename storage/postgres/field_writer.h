// What the write path's two text encodings of rows share: values appended as
// PostgreSQL reads them back (integers, shortest round-trip doubles, t/f,
// strings escaped by the encoding), each after the encoding's separator.
// TextArray (array parameters) and CopyRows (COPY's text format) derive from
// it (CRTP: `Derived` supplies Separate(), AppendString() and kNull).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

namespace extrace::pg {

template <typename Derived>
class FieldWriter {
 public:
  void Add(int64_t value) {
    self().Separate();
    text_ += fmt::format_int(value).str();
  }
  void Add(double value) {
    self().Separate();
    fmt::format_to(std::back_inserter(text_), "{}", value);
  }
  void Add(bool value) {
    self().Separate();
    text_ += value ? 't' : 'f';
  }
  void Add(const char* value) { Add(std::string_view(value)); }
  void Add(std::string_view value) {
    self().Separate();
    Derived::AppendString(text_, value);
  }
  void AddNull() {
    self().Separate();
    text_ += Derived::kNull;
  }
  template <typename T>
  void Add(const std::optional<T>& value) {
    if (value)
      Add(*value);
    else
      AddNull();
  }

 protected:
  Derived& self() { return static_cast<Derived&>(*this); }
  std::string text_;
};

}  // namespace extrace::pg
