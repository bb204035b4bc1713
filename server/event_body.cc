// ReadEventBody: see event_body.h.
#include "server/event_body.h"

#include <fmt/format.h>

#include <algorithm>

#include "format/event_json.h"
#include "format/line_batcher.h"  // AtLine

namespace extrace::server {
namespace {

// Nesting inside one element, as the event parser allows.
constexpr int kMaxArrayDepth = 512;

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

// The array's elements are found by a scan that only tracks strings and
// nesting, and each is parsed on its own, as a line would be: no document of
// the whole body is built (memory stays near the body's size), and a syntax
// error belongs to its element, with the elements before it kept.
void ReadArray(std::string_view body, EventBody& out) {
  EventParser parser;
  size_t at = body.find('[') + 1;
  int64_t number = 0;
  auto stop = [&](std::string message) {
    out.stop = Error{StatusCode::kInvalidInput, std::move(message)};
  };
  auto skip_blanks = [&] {
    while (at < body.size() &&
           (body[at] == ' ' || body[at] == '\t' || body[at] == '\r' || body[at] == '\n'))
      ++at;
  };
  skip_blanks();
  if (at < body.size() && body[at] == ']') {
    ++at;
  } else {
    for (;;) {
      size_t begin = at;
      int depth = 0;
      bool in_string = false;
      for (; at < body.size(); ++at) {
        char c = body[at];
        if (in_string) {
          if (c == '\\')
            ++at;
          else if (c == '"')
            in_string = false;
        } else if (c == '"') {
          in_string = true;
        } else if (c == '{' || c == '[') {
          if (++depth > kMaxArrayDepth) break;
        } else if (c == '}' || c == ']') {
          if (depth == 0) break;
          --depth;
        } else if (c == ',' && depth == 0) {
          break;
        }
      }
      ++number;
      auto event = parser.Parse(body.substr(begin, std::min(at, body.size()) - begin));
      if (!event) return stop(AtLine("", number, event.error().message));
      out.events.push_back(std::move(*event));
      out.lines.push_back(number);
      if (at >= body.size()) return stop("body: the array does not end (no ']')");
      if (body[at] == ']') {
        ++at;
        break;
      }
      if (body[at] != ',') return stop(AtLine("", number + 1, "(json): nested too deep"));
      ++at;
    }
  }
  skip_blanks();
  if (at < body.size()) stop("body: text after the end of the array");
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
