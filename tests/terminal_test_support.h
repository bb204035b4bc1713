// What the terminal tests share: a chart's lines, the UTF-8 code points of a
// line, and a line without its ANSI escapes.
#pragma once

#include <string>
#include <vector>

namespace extrace::terminal_test {

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t from = 0;
  while (from < text.size()) {
    size_t end = text.find('\n', from);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(from, end - from));
    from = end + 1;
  }
  return lines;
}

// The UTF-8 code points of `line`, one string each.
inline std::vector<std::string> CodePoints(const std::string& line) {
  std::vector<std::string> points;
  for (char c : line) {
    if ((static_cast<unsigned char>(c) & 0xC0) == 0x80 && !points.empty())
      points.back() += c;
    else
      points.emplace_back(1, c);
  }
  return points;
}

inline std::string StripAnsi(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
      continue;
    }
    out += text[i];
  }
  return out;
}

}  // namespace extrace::terminal_test
