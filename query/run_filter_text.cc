// Run filters as text: see run_filter_text.h.
#include "query/run_filter_text.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <tuple>

namespace extrace {

std::optional<int64_t> ParseTimeText(const std::string& text) {
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

Result<RunFilter> ParseRunFilter(const RunFilterText& text, FilterNames names) {
  auto name = [&](const char* param) {
    return names == FilterNames::kCliFlags ? fmt::format("--{}", param) : std::string(param);
  };
  auto invalid = [](std::string message) {
    return tl::unexpected(Error{StatusCode::kInvalidInput, std::move(message)});
  };
  RunFilter filter;
  filter.flow = text.flow;
  filter.node = text.node;
  filter.error_text = text.error;
  filter.limit = text.limit;
  if (!text.status.empty()) {
    for (auto status : {RunStatus::kCompleted, RunStatus::kError, RunStatus::kIncomplete})
      if (RunStatusName(status) == text.status) filter.status = status;
    if (!filter.status)
      return invalid(fmt::format("{} {}: expected completed, error or incomplete", name("status"),
                                 text.status));
  }
  if (!text.state.empty()) {
    filter.node_state = ParseNodeState(text.state);
    if (!filter.node_state)
      return invalid(fmt::format("{} {}: expected pending, executing, completed, error or skipped",
                                 name("state"), text.state));
    if (text.node.empty() && text.state != "error")
      return invalid(fmt::format("{} goes with {} (except {} error: any node in error)",
                                 name("state"), name("node"), name("state")));
  }
  for (auto [value, slot, param] : {std::tuple{&text.since, &filter.since_us, "since"},
                                    std::tuple{&text.until, &filter.until_us, "until"}}) {
    if (value->empty()) continue;
    *slot = ParseTimeText(*value);
    if (!*slot)
      return invalid(
          fmt::format("{} {}: expected ISO 8601 (2026-11-25T18:07:23Z) or epoch milliseconds",
                      name(param), *value));
  }
  if (text.slower_than_ms) {
    if (!std::isfinite(*text.slower_than_ms) || *text.slower_than_ms < 0)
      return invalid(fmt::format("{} {}: expected milliseconds, 0 or more",
                                 names == FilterNames::kCliFlags ? "--slower-than" : "slowerThan",
                                 *text.slower_than_ms));
    filter.slower_than_us = static_cast<int64_t>(*text.slower_than_ms * 1000);
  }
  return filter;
}

}  // namespace extrace
