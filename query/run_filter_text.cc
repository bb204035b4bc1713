// Run filters as text: see run_filter_text.h.
#include "query/run_filter_text.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <string_view>
#include <tuple>

namespace extrace {

namespace {

// The largest time accepted, in milliseconds either side of the epoch: the
// event format's timestamp range, so that microseconds fit an int64_t.
constexpr double kMaxAbsMillis = 9.2e15;

// Exactly `count` digits at `at` (no sign, no space), advancing `at`.
std::optional<int> Digits(std::string_view text, size_t& at, size_t count) {
  if (text.size() - at < count) return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < count; ++i) {
    char c = text[at + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  at += count;
  return value;
}

// "SS" or "SS.fff..." (any number of fraction digits), in microseconds.
std::optional<int64_t> SecondsMicros(std::string_view text, size_t& at) {
  auto whole = Digits(text, at, 2);
  if (!whole || *whole > 60) return std::nullopt;
  int64_t micros = int64_t{*whole} * 1'000'000;
  if (at < text.size() && text[at] == '.') {
    ++at;
    size_t first = at;
    int64_t scale = 100'000;
    for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, scale /= 10)
      micros += scale * (text[at] - '0');  // digits past the microsecond add 0
    if (at == first) return std::nullopt;
  }
  return micros;
}

// "", "Z", "+HH", "+HH:MM", "+HHMM" (or '-'): minutes east of UTC.
std::optional<int64_t> ZoneMinutes(std::string_view zone) {
  if (zone.empty() || zone == "Z" || zone == "z") return 0;
  if (zone[0] != '+' && zone[0] != '-') return std::nullopt;
  size_t at = 1;
  auto hours = Digits(zone, at, 2);
  if (!hours) return std::nullopt;
  int minutes = 0;
  if (at < zone.size()) {
    if (zone[at] == ':') ++at;
    auto m = Digits(zone, at, 2);
    if (!m) return std::nullopt;
    minutes = *m;
  }
  if (at != zone.size() || *hours > 23 || minutes > 59) return std::nullopt;
  return (zone[0] == '+' ? 1 : -1) * (int64_t{*hours} * 60 + minutes);
}

}  // namespace

// Every part is read digit by digit (not with scanf or strtod, which take
// signs, spaces, "nan" and exponents): a time either reads exactly or is refused.
std::optional<int64_t> ParseTimeText(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789.") == std::string::npos) {
    char* end = nullptr;
    double ms = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !(ms <= kMaxAbsMillis)) return std::nullopt;
    return static_cast<int64_t>(std::llround(ms * 1000.0));
  }
  std::string_view view(text);
  size_t at = 0;
  auto year = Digits(view, at, 4);
  bool dashes = year && at < view.size() && view[at++] == '-';
  auto month = dashes ? Digits(view, at, 2) : std::nullopt;
  dashes = dashes && month && at < view.size() && view[at++] == '-';
  auto day = dashes ? Digits(view, at, 2) : std::nullopt;
  if (!day || *month < 1 || *month > 12 || *day < 1 || *day > 31) return std::nullopt;
  int hour = 0, minute = 0;
  int64_t second_us = 0;
  if (at < view.size()) {
    if (view[at] != 'T' && view[at] != 't' && view[at] != ' ') return std::nullopt;
    ++at;
    auto h = Digits(view, at, 2);
    bool colon = h && at < view.size() && view[at++] == ':';
    auto m = colon ? Digits(view, at, 2) : std::nullopt;
    if (!m || *h > 23 || *m > 59) return std::nullopt;
    hour = *h;
    minute = *m;
    if (at < view.size() && view[at] == ':') {
      auto s = SecondsMicros(view, ++at);
      if (!s) return std::nullopt;
      second_us = *s;
    }
  }
  auto offset_minutes = ZoneMinutes(view.substr(at));
  if (!offset_minutes) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  // Years 0000-9999 and offsets under a day: microseconds stay far inside int64_t.
  int64_t seconds = static_cast<int64_t>(timegm(&tm)) - *offset_minutes * 60;
  return seconds * 1'000'000 + second_us;
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
    // Bounded as times are, so that the microseconds fit an int64_t.
    if (!(*text.slower_than_ms >= 0 && *text.slower_than_ms <= kMaxAbsMillis))
      return invalid(fmt::format("{} {}: expected milliseconds, from 0 to 9.2e15",
                                 names == FilterNames::kCliFlags ? "--slower-than" : "slowerThan",
                                 *text.slower_than_ms));
    filter.slower_than_us = static_cast<int64_t>(*text.slower_than_ms * 1000);
  }
  return filter;
}

}  // namespace extrace
