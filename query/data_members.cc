// DataMembers: see data_members.h.
#include "query/data_members.h"

#include <boost/json.hpp>
#include <charconv>

#include "format/canonical_scan.h"
#include "format/event_json.h"
#include "format/json_text.h"

namespace extrace {

void DataMembers::Read(const std::string& data_json) {
  members_.clear();
  if (data_json.empty()) return;
  bool scanned =
      canonical_scan::ForEachMember(data_json, [&](std::string_view key, std::string_view value) {
        members_.emplace_back(key, value);
        return true;
      });
  if (scanned) return;
  members_.clear();
  owned_.clear();
  for (const auto& member : ParseDataObject(data_json)) {
    owned_.emplace_back(member.key());
    owned_.push_back(ToCanonicalJson(member.value()));
  }
  for (size_t i = 0; i < owned_.size(); i += 2) members_.emplace_back(owned_[i], owned_[i + 1]);
}

std::optional<double> DataMembers::Number(std::string_view key) const {
  std::string_view raw = Find(key);
  if (raw.empty() || !(raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'))) return std::nullopt;
  double value = 0;
  auto [end, error] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
  if (error != std::errc() || end != raw.data() + raw.size()) return std::nullopt;
  return value;
}

std::optional<std::string> DataMembers::String(std::string_view key) const {
  std::string_view raw = Find(key);
  if (raw.size() < 2 || raw.front() != '"') return std::nullopt;
  if (raw.find('\\') == std::string_view::npos) return std::string(raw.substr(1, raw.size() - 2));
  return std::string(boost::json::parse(raw).as_string());
}

}  // namespace extrace
