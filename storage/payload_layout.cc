// Stored form of event data objects: see payload_layout.h.
#include "storage/payload_layout.h"

#include <array>

#include "format/canonical_scan.h"

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

struct Span {
  size_t begin = 0;
  size_t end = 0;
};

// The value of the object's top-level member `key`.
std::optional<Span> FindMember(std::string_view object, std::string_view key) {
  std::optional<Span> found;
  size_t offset = 0;
  bool canonical =
      canonical_scan::ForEachMember(object, [&](std::string_view name, std::string_view value) {
        if (name != key) return true;
        offset = static_cast<size_t>(value.data() - object.data());
        found = Span{offset, offset + value.size()};
        return false;
      });
  return canonical ? found : std::nullopt;
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
