// Canonical JSON text: the one writer every layer uses, so the same value always
// gives the same bytes (idempotent retry compares data byte for byte, and the
// projection must be byte-identical run after run).
// Numbers: integers as integers, doubles in their shortest round-trip form,
// times (integer microseconds) as plain decimal milliseconds, never an exponent.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace extrace {

// 1759900000123456 -> "1759900000123.456"; trailing zeros and a bare point dropped.
std::string FormatMillis(int64_t micros);
void AppendMillis(std::string& out, int64_t micros);
void AppendJsonString(std::string& out, std::string_view text);
void AppendJsonDouble(std::string& out, double value);
void AppendJsonValue(std::string& out, const boost::json::value& value);
std::string ToCanonicalJson(const boost::json::value& value);
// A plain decimal with at most `places` decimals, trailing zeros dropped
// (0.25 -> "0.25", 2.0 -> "2", -0.0 -> "0"): never an exponent form.
std::string FormatDecimal(double value, int places);

// Streams JSON into a string with commas placed for the caller. Not thread-safe.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(std::string_view key);
  void String(std::string_view text);
  void Int(int64_t value);
  void Double(double value);
  void Bool(bool value);
  void Null();
  void Millis(int64_t micros);
  // The ...OrNull writers stand for a value the document may not know: they
  // write null when it is absent (for a string: empty).
  void MillisOrNull(const std::optional<int64_t>& micros);
  void StringOrNull(std::string_view text);
  void DoubleOrNull(const std::optional<double>& value);
  // FormatDecimal's text, for numbers whose precision the schema fixes.
  void Decimal(double value, int places);
  void DecimalOrNull(const std::optional<double>& value, int places);
  // `["a","b",...]`.
  void Strings(const std::vector<std::string>& items);
  // A value that is already canonical JSON text.
  void Raw(std::string_view json);
  void Value(const boost::json::value& value);

 private:
  void BeforeValue();
  void Open(char bracket);
  void Close(char bracket);

  std::string& out_;
  std::vector<bool> has_items_;  // per open container: a comma is due before the next item
  bool after_key_ = false;
};

}  // namespace extrace
