// Stored form of event data objects: see payload_layout.h.
#include "storage/payload_layout.h"

#include <array>

namespace extrace::payload_layout {
namespace {

// Layout codes 1..99: schema/003_compact_log.sql fills the `layouts` table with
// the same openings (a test checks that they agree). Never renumber.
constexpr std::array<std::string_view, 10> kOpenings = {
    "",  // 0: unused
    R"({"state":"pending")",
    R"({"state":"executing")",
    R"({"state":"completed")",
    R"({"state":"error")",
    R"({"state":"skipped")",
    R"({"state":"error","errorMessage":)",
    R"({"progress":)",
    R"({"message":)",
    R"({"errorMessage":)",
};
// Tried longest first, so the most specific opening wins.
constexpr std::array<int64_t, 9> kTryOrder = {6, 2, 3, 5, 1, 4, 9, 7, 8};

// Skips one string starting at the quote at `pos`; returns the index after its
// closing quote, or npos when the text ends first.
size_t SkipString(std::string_view text, size_t pos) {
  for (size_t i = pos + 1; i < text.size(); ++i) {
    if (text[i] == '\\')
      ++i;
    else if (text[i] == '"')
      return i + 1;
  }
  return std::string_view::npos;
}

// Skips one JSON value starting at `pos` (canonical: no whitespace).
size_t SkipValue(std::string_view text, size_t pos) {
  if (pos >= text.size()) return std::string_view::npos;
  if (text[pos] == '"') return SkipString(text, pos);
  if (text[pos] == '{' || text[pos] == '[') {
    int depth = 0;
    for (size_t i = pos; i < text.size(); ++i) {
      char c = text[i];
      if (c == '"') {
        i = SkipString(text, i);
        if (i == std::string_view::npos) return i;
        --i;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
    }
    return std::string_view::npos;
  }
  size_t end = text.find_first_of(",}]", pos);
  return end == pos ? std::string_view::npos : end;
}

struct Span {
  size_t begin = 0;
  size_t end = 0;
};

// The value of the object's top-level member `key` (a key without escapes).
std::optional<Span> FindMember(std::string_view object, std::string_view key) {
  if (object.size() < 2 || object.front() != '{') return std::nullopt;
  size_t pos = 1;
  while (pos < object.size() && object[pos] == '"') {
    size_t key_end = SkipString(object, pos);
    if (key_end == std::string_view::npos || key_end >= object.size() || object[key_end] != ':')
      return std::nullopt;
    std::string_view name = object.substr(pos + 1, key_end - pos - 2);
    size_t value_end = SkipValue(object, key_end + 1);
    if (value_end == std::string_view::npos) return std::nullopt;
    if (name == key) return Span{key_end + 1, value_end};
    if (value_end >= object.size() || object[value_end] != ',') return std::nullopt;
    pos = value_end + 1;
  }
  return std::nullopt;
}

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// SQLite's substr() counts characters: offsets are stored in UTF-8 code points.
int64_t CharacterCount(std::string_view text) {
  int64_t count = 0;
  for (char c : text) count += IsContinuationByte(c) ? 0 : 1;
  return count;
}

std::optional<size_t> ByteOffset(std::string_view text, int64_t characters) {
  size_t i = 0;
  for (int64_t seen = 0; seen < characters; ++seen) {
    if (i >= text.size()) return std::nullopt;
    ++i;
    while (i < text.size() && IsContinuationByte(text[i])) ++i;
  }
  return i;
}

}  // namespace

std::string_view Opening(int64_t layout) {
  if (layout < 1 || layout >= static_cast<int64_t>(kOpenings.size())) return {};
  return kOpenings[static_cast<size_t>(layout)];
}

Pieces Split(EventType type, std::string_view data_json, std::string& buffer) {
  Pieces pieces;
  if (data_json.empty()) return pieces;
  if (type == EventType::kStarted) {
    if (auto graph = FindMember(data_json, "nodes")) {
      buffer.assign(data_json.substr(0, graph->begin));
      buffer.append(data_json.substr(graph->end));
      pieces.layout = kGraphLayoutBase + CharacterCount(data_json.substr(0, graph->begin));
      pieces.data = buffer;
      pieces.graph = data_json.substr(graph->begin, graph->end - graph->begin);
      return pieces;
    }
  }
  if (data_json.back() == '}') {
    for (int64_t layout : kTryOrder) {
      std::string_view opening = kOpenings[static_cast<size_t>(layout)];
      if (data_json.size() > opening.size() && data_json.starts_with(opening)) {
        pieces.layout = layout;
        pieces.data = data_json.substr(opening.size(), data_json.size() - opening.size() - 1);
        return pieces;
      }
    }
  }
  pieces.data = data_json;
  return pieces;
}

bool Join(std::optional<int64_t> layout, std::string_view data, std::string_view graph,
          std::string& data_json) {
  data_json.clear();
  if (!layout) {
    data_json.assign(data);
    return true;
  }
  if (*layout >= kGraphLayoutBase) {
    auto at = ByteOffset(data, *layout - kGraphLayoutBase);
    if (!at) return false;
    data_json.reserve(data.size() + graph.size());
    data_json.append(data.substr(0, *at));
    data_json.append(graph);
    data_json.append(data.substr(*at));
    return true;
  }
  std::string_view opening = Opening(*layout);
  if (opening.empty()) return false;
  data_json.reserve(opening.size() + data.size() + 1);
  data_json.append(opening);
  data_json.append(data);
  data_json.push_back('}');
  return true;
}

std::optional<NodeState> StateOf(int64_t layout) {
  if (layout >= 1 && layout <= 5) return static_cast<NodeState>(layout);
  if (layout == 6) return NodeState::kError;
  return std::nullopt;
}

}  // namespace extrace::payload_layout
