// DataMembers: an event's data object as its members, for the projector. Reads
// the canonical text straight (format/canonical_scan.h) and falls back to
// parsing it; both ways give the same members. One reader per thread: it owns
// the strings that back its views and reuses them from event to event.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace extrace {

// Each key (unescaped) with its value as canonical JSON text. Most events are
// read straight from their text, without parsing; the rest are parsed and
// written back member by member, which gives the same text (the writer is
// canonical), so both ways project alike.
class DataMembers {
 public:
  // Replaces the members with those of `data_json` (an object, or empty for
  // none). The views stay valid until the next Read and while `data_json` lives.
  void Read(const std::string& data_json);

  // The raw value of `key`; empty when absent.
  [[nodiscard]] std::string_view Find(std::string_view key) const {
    for (const auto& [name, value] : members_)
      if (name == key) return value;
    return {};
  }
  // The value of `key` when it is a number.
  [[nodiscard]] std::optional<double> Number(std::string_view key) const;
  // The value of `key` when it is a string, unescaped.
  [[nodiscard]] std::optional<std::string> String(std::string_view key) const;
  [[nodiscard]] const std::vector<std::pair<std::string_view, std::string_view>>& all() const {
    return members_;
  }

 private:
  std::vector<std::pair<std::string_view, std::string_view>> members_;
  std::vector<std::string> owned_;  // backs members_ when the text had to be parsed
};

}  // namespace extrace
