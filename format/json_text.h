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
  void Millis(int64_t micros);
  void MillisOrNull(const std::optional<int64_t>& micros);  // null when absent
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
