// Formatting for people: see text_format.h.
#include "tools/text_format.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace extrace::cli {

std::string IsoTime(int64_t micros) {
  int64_t seconds = micros >= 0 ? micros / 1'000'000 : (micros - 999'999) / 1'000'000;
  int64_t millis = (micros - seconds * 1'000'000) / 1000;
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

std::optional<int64_t> ParseTimeArgument(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789.") == std::string::npos) {
    char* end = nullptr;
    double ms = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) return std::nullopt;
    return static_cast<int64_t>(std::llround(ms * 1000.0));
  }
  int year, month, day, hour = 0, minute = 0, consumed = 0;
  double second = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &consumed) != 3 ||
      consumed != 10)
    return std::nullopt;
  std::string rest = text.substr(10);
  int64_t offset_minutes = 0;
  if (!rest.empty()) {
    if (rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ') return std::nullopt;
    int used = 0;
    if (std::sscanf(rest.c_str() + 1, "%2d:%2d%n", &hour, &minute, &used) != 2) return std::nullopt;
    std::string zone = rest.substr(1 + static_cast<size_t>(used));
    if (!zone.empty() && zone[0] == ':') {
      char* end = nullptr;
      second = std::strtod(zone.c_str() + 1, &end);
      zone = std::string(end);
    }
    if (zone == "Z" || zone == "z" || zone.empty()) {
      offset_minutes = 0;
    } else if (zone[0] == '+' || zone[0] == '-') {
      int zh = 0, zm = 0;
      if (std::sscanf(zone.c_str() + 1, "%2d:%2d", &zh, &zm) < 1) return std::nullopt;
      offset_minutes = (zone[0] == '+' ? 1 : -1) * (zh * 60 + zm);
    } else {
      return std::nullopt;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second >= 61)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  int64_t seconds = static_cast<int64_t>(timegm(&tm)) - offset_minutes * 60;
  return seconds * 1'000'000 + static_cast<int64_t>(std::llround(second * 1e6));
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
