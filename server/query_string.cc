// ParseTarget: see query_string.h.
#include "server/query_string.h"

namespace extrace::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> Decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = HexValue(text[i + 1]);
      int low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::optional<std::string> Target::Param(std::string_view name) const {
  for (auto it = params.rbegin(); it != params.rend(); ++it)
    if (it->first == name) return it->second;
  return std::nullopt;
}

std::optional<Target> ParseTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  Target out;
  size_t question = target.find('?');
  std::string_view raw_path = target.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  // Segments are decoded one by one, so that an escaped '/' stays inside its segment.
  std::string_view rest = raw_path.substr(1);
  while (true) {
    size_t slash = rest.find('/');
    auto segment = Decode(rest.substr(0, slash), false);
    if (!segment) return std::nullopt;
    if (!segment->empty() || slash != std::string_view::npos) out.segments.push_back(*segment);
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  auto path = Decode(raw_path, false);
  if (!path) return std::nullopt;
  out.path = std::move(*path);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto name = Decode(pair.substr(0, eq), true);
    auto value = Decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    out.params.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

}  // namespace extrace::server
