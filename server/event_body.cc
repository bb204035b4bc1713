// ReadEventBody: see event_body.h.
#include "server/event_body.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "format/event_json.h"
#include "format/line_batcher.h"  // AtLine

namespace extrace::server {
namespace {

// An array nests one level deeper than the lines it holds.
constexpr unsigned kMaxArrayDepth = 513;

void ReadLines(std::string_view body, EventBody& out) {
  EventParser parser;
  int64_t number = 0;
  while (!body.empty()) {
    size_t end = body.find('\n');
    std::string_view line = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view() : body.substr(end + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    auto event = parser.Parse(line);
    if (!event) {
      out.stop = Error{event.error().code, AtLine("", number, event.error().message)};
      return;
    }
    out.events.push_back(std::move(*event));
    out.lines.push_back(number);
  }
}

void ReadArray(std::string_view body, EventBody& out) {
  boost::json::parse_options options;
  options.max_depth = kMaxArrayDepth;
  boost::system::error_code ec;
  boost::json::value array = boost::json::parse(body, ec, {}, options);
  if (ec || !array.is_array()) {
    out.stop = Error{StatusCode::kInvalidInput,
                     ec ? fmt::format("body: not valid JSON: {}", ec.message())
                        : std::string("body: starts with '[' but is not one JSON array")};
    return;
  }
  EventParser parser;
  int64_t number = 0;
  for (const boost::json::value& element : array.get_array()) {
    ++number;
    auto event = parser.Parse(boost::json::serialize(element));
    if (!event) {
      out.stop = Error{event.error().code, AtLine("", number, event.error().message)};
      return;
    }
    out.events.push_back(std::move(*event));
    out.lines.push_back(number);
  }
}

}  // namespace

EventBody ReadEventBody(std::string_view body) {
  EventBody out;
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && body[first] == '[')
    ReadArray(body, out);
  else
    ReadLines(body, out);
  return out;
}

}  // namespace extrace::server
