// Reading canonical JSON text (storage/json_text.h: no white space) without
// parsing it into values: walking an object's top-level members as raw text.
// Hot paths (the store's layouts, the projector) use it for the common shapes
// and fall back to a real parser whenever it declines.
#pragma once

#include <cstddef>
#include <string_view>

namespace extrace::canonical_scan {

// The end of the JSON value starting at `pos`, or npos when the text is not
// canonical JSON there.
size_t SkipValue(std::string_view text, size_t pos);

// Calls visit(key, raw_value) for each top-level member of `object`, in order;
// `key` is the key's text between its quotes. Returns false (maybe after some
// calls) when `object` is not a canonical object or a key holds an escape, so
// the caller can fall back to parsing. visit returns false to stop early.
template <typename Visit>
bool ForEachMember(std::string_view object, Visit&& visit);

size_t SkipString(std::string_view text, size_t pos);

template <typename Visit>
bool ForEachMember(std::string_view object, Visit&& visit) {
  if (object.size() < 2 || object.front() != '{' || object.back() != '}') return false;
  if (object.size() == 2) return true;
  size_t pos = 1;
  while (true) {
    if (pos >= object.size() || object[pos] != '"') return false;
    size_t key_end = SkipString(object, pos);
    if (key_end == std::string_view::npos || key_end >= object.size() || object[key_end] != ':')
      return false;
    std::string_view key = object.substr(pos + 1, key_end - pos - 2);
    if (key.find('\\') != std::string_view::npos) return false;
    size_t value_end = SkipValue(object, key_end + 1);
    if (value_end == std::string_view::npos || value_end >= object.size()) return false;
    if (!visit(key, object.substr(key_end + 1, value_end - key_end - 1))) return true;
    if (object[value_end] == '}') return value_end + 1 == object.size();
    if (object[value_end] != ',') return false;
    pos = value_end + 1;
  }
}

}  // namespace extrace::canonical_scan
