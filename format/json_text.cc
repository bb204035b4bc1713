// Canonical JSON text: see json_text.h.
#include "format/json_text.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>
#include <iterator>

namespace extrace {

namespace {

// Formats in place: these run for every number of every event written.
template <typename Number>
void AppendDecimal(std::string& out, Number value) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, static_cast<size_t>(end - buffer));
}

bool NeedsEscape(char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; }

}  // namespace

void AppendMillis(std::string& out, int64_t micros) {
  // Work in unsigned magnitude so INT64_MIN cannot overflow.
  uint64_t magnitude =
      micros < 0 ? uint64_t{0} - static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
  if (micros < 0) out.push_back('-');
  AppendDecimal(out, magnitude / 1000);
  unsigned frac = static_cast<unsigned>(magnitude % 1000);
  if (frac == 0) return;
  char digits[4] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                    static_cast<char>('0' + frac % 10), 0};
  int len = 3;
  while (digits[len - 1] == '0') --len;
  out.push_back('.');
  out.append(digits, static_cast<size_t>(len));
}

std::string FormatMillis(int64_t micros) {
  std::string out;
  AppendMillis(out, micros);
  return out;
}

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t plain = 0;  // start of the run of characters copied as they are
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!NeedsEscape(c)) continue;
    out.append(text.data() + plain, i - plain);
    plain = i + 1;
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[u >> 4]);
        out.push_back(kHex[u & 15]);
    }
  }
  out.append(text.data() + plain, text.size() - plain);
  out.push_back('"');
}

void AppendJsonDouble(std::string& out, double value) {
  // fmt's default is the shortest text that reads back to the same double:
  // 80.0 -> "80", 16.5 -> "16.5". JSON has no NaN or infinity; write null.
  if (value != value || value - value != 0) {
    out += "null";
    return;
  }
  fmt::format_to(std::back_inserter(out), "{}", value);
}

void AppendJsonValue(std::string& out, const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::null:
      out += "null";
      break;
    case boost::json::kind::bool_:
      out += value.get_bool() ? "true" : "false";
      break;
    case boost::json::kind::int64:
      AppendDecimal(out, value.get_int64());
      break;
    case boost::json::kind::uint64:
      AppendDecimal(out, value.get_uint64());
      break;
    case boost::json::kind::double_:
      AppendJsonDouble(out, value.get_double());
      break;
    case boost::json::kind::string:
      AppendJsonString(out, value.get_string());
      break;
    case boost::json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : value.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonValue(out, item);
      }
      out.push_back(']');
      break;
    }
    case boost::json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& member : value.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonString(out, member.key());
        out.push_back(':');
        AppendJsonValue(out, member.value());
      }
      out.push_back('}');
      break;
    }
  }
}

std::string ToCanonicalJson(const boost::json::value& value) {
  std::string out;
  AppendJsonValue(out, value);
  return out;
}

std::string FormatDecimal(double value, int places) {
  std::string text = fmt::format("{:.{}f}", value, places);
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return text == "-0" ? "0" : text;
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_items_.empty()) {
    if (has_items_.back()) out_.push_back(',');
    has_items_.back() = true;
  }
}

void JsonWriter::Open(char bracket) {
  BeforeValue();
  out_.push_back(bracket);
  has_items_.push_back(false);
}

void JsonWriter::Close(char bracket) {
  has_items_.pop_back();
  out_.push_back(bracket);
}

void JsonWriter::Key(std::string_view key) {
  BeforeValue();
  AppendJsonString(out_, key);
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view text) {
  BeforeValue();
  AppendJsonString(out_, text);
}

void JsonWriter::Int(int64_t value) {
  BeforeValue();
  AppendDecimal(out_, value);
}

void JsonWriter::Double(double value) {
  BeforeValue();
  AppendJsonDouble(out_, value);
}

void JsonWriter::Bool(bool value) {
  BeforeValue();
  out_ += value ? "true" : "false";
}

void JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
}

void JsonWriter::Millis(int64_t micros) {
  BeforeValue();
  AppendMillis(out_, micros);
}

void JsonWriter::MillisOrNull(const std::optional<int64_t>& micros) {
  if (micros)
    Millis(*micros);
  else
    Null();
}

void JsonWriter::StringOrNull(std::string_view text) {
  if (text.empty())
    Null();
  else
    String(text);
}

void JsonWriter::DoubleOrNull(const std::optional<double>& value) {
  if (value)
    Double(*value);
  else
    Null();
}

void JsonWriter::Decimal(double value, int places) {
  BeforeValue();
  out_ += FormatDecimal(value, places);
}

void JsonWriter::DecimalOrNull(const std::optional<double>& value, int places) {
  if (value)
    Decimal(*value, places);
  else
    Null();
}

void JsonWriter::Strings(const std::vector<std::string>& items) {
  BeginArray();
  for (const std::string& item : items) String(item);
  EndArray();
}

void JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_ += json;
}

void JsonWriter::Value(const boost::json::value& value) {
  BeforeValue();
  AppendJsonValue(out_, value);
}

}  // namespace extrace
