// Events as JSON (event format v1, section 1): parsing and validating one JSON
// Lines record into an Event, and reading the graph a `started` event declares.
// Errors name the field at fault ("data.nodes[2].id: ..."); the caller adds
// where (the line number). Not thread-safe: use one parser per thread.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/stream_parser.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "extrace/event.h"
#include "extrace/status.h"

namespace extrace {

inline constexpr size_t kMaxExecutionIdLength = 256;  // characters, per the format
// The largest seq accepted: JavaScript's Number.MAX_SAFE_INTEGER, so every seq
// an engine can send survives the trip through a JavaScript number.
inline constexpr int64_t kMaxEventSeq = 9007199254740991;
// The longest event line accepted (16 MiB): a graph of 100,000 nodes fits, and
// one line cannot make a reader hold an unbounded document.
inline constexpr size_t kMaxEventLineBytes = size_t{16} << 20;

struct DeclaredNode {
  std::string id;
  std::string name;
  std::string type;
  std::string parent_id;  // empty: none
  double weight = 1;
};

struct StartedInfo {
  std::string root_node_id;
  std::string parent_execution_id;  // empty: not a child run
  std::string parent_node_id;
  std::vector<DeclaredNode> nodes;  // declaration order
};

// Validates a `started` event's data and reads its graph.
[[nodiscard]] Result<StartedInfo> ReadStartedInfo(const boost::json::object& data);

// Parses `data_json` (canonical text, empty for {}) into an object; an empty
// object when it is not one (never throws but bad_alloc).
boost::json::object ParseDataObject(std::string_view data_json);
// Makes `data_json` canonical JSON object text (empty stays empty: `{}`); false,
// leaving it as it was, when it is not a JSON object. Never throws but bad_alloc.
bool CanonicalizeDataObject(std::string& data_json);

class EventParser {
 public:
  EventParser();
  // One record, without its line break. Every rule of the format is checked.
  [[nodiscard]] Result<Event> Parse(std::string_view line);

 private:
  boost::json::stream_parser parser_;
};

}  // namespace extrace
