// Formatting for people: see text_format.h.
#include "tools/text_format.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace extrace::cli {

// 1234567 -> "1,234,567".
std::string Grouped(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string IsoTime(int64_t micros) {
  int64_t seconds = micros >= 0 ? micros / 1'000'000 : (micros - 999'999) / 1'000'000;
  int64_t millis = (micros - seconds * 1'000'000) / 1000;
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

std::string HumanDuration(int64_t micros) {
  std::string sign = micros < 0 ? "-" : "";
  uint64_t us =
      micros < 0 ? uint64_t{0} - static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
  if (us < 1000) return fmt::format("{}{} us", sign, us);
  if (us < 1'000'000) return fmt::format("{}{:.4g} ms", sign, us / 1000.0);
  if (us < 60'000'000) return fmt::format("{}{:.3g} s", sign, us / 1e6);
  uint64_t s = us / 1'000'000;
  if (s < 3600) return fmt::format("{}{} min {:02} s", sign, s / 60, s % 60);
  return fmt::format("{}{} h {:02} min", sign, s / 3600, s / 60 % 60);
}

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows,
                        const std::vector<bool>& right) {
  std::vector<size_t> width(header.size());
  auto display_width = [](const std::string& s) {
    size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
  };
  for (size_t c = 0; c < header.size(); ++c) width[c] = display_width(header[c]);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], display_width(row[c]));
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < cells.size(); ++c) {
      size_t pad = width[c] - display_width(cells[c]);
      bool is_right = c < right.size() && right[c];
      if (c > 0) text += "  ";
      if (is_right) text.append(pad, ' ');
      text += cells[c];
      if (!is_right && c + 1 < cells.size()) text.append(pad, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text;
    out += '\n';
  };
  line(header);
  for (const auto& row : rows) line(row);
  return out;
}

}  // namespace extrace::cli
