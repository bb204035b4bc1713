// Parsing and validating events: see event_json.h.
#include "format/event_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "format/fuzz_canary.h"
#include "format/json_text.h"

namespace extrace {
namespace {

// Deep enough for any engine's payload; bounded so a hostile line cannot blow the stack.
constexpr size_t kMaxJsonDepth = 512;
// |ms| above this does not fit int64 microseconds.
constexpr double kMaxAbsMillis = 9.2e15;

tl::unexpected<Error> FieldError(std::string_view field, std::string_view what) {
  return MakeError(StatusCode::kInvalidInput, fmt::format("{}: {}", field, what));
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

std::string_view KindName(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return "a number";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "an array";
    case boost::json::kind::object:
      return "an object";
  }
  return "a value";
}

// Reads an optional string member; absent or null gives "".
Result<std::string> OptionalString(const boost::json::object& obj, std::string_view key,
                                   std::string_view field) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string())
    return FieldError(field, fmt::format("must be a string, got {}", KindName(*v)));
  return std::string(v->get_string());
}

Result<std::string> RequiredString(const boost::json::object& obj, std::string_view key,
                                   std::string_view field, bool allow_empty) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr || v->is_null()) return FieldError(field, "required");
  if (!v->is_string())
    return FieldError(field, fmt::format("must be a string, got {}", KindName(*v)));
  if (!allow_empty && v->get_string().empty()) return FieldError(field, "must not be empty");
  return std::string(v->get_string());
}

std::optional<double> AsNumber(const boost::json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  return std::nullopt;
}

Result<int64_t> ReadTimestamp(const boost::json::value* v) {
  if (v == nullptr || v->is_null()) return FieldError("timestamp", "required");
  if (v->is_int64()) {
    int64_t ms = v->get_int64();
    if (ms > 9'200'000'000'000'000 / 1000 || ms < -9'200'000'000'000'000 / 1000)
      return FieldError("timestamp", "out of range");
    return ms * 1000;
  }
  if (v->is_uint64()) return FieldError("timestamp", "out of range");
  if (!v->is_double())
    return FieldError("timestamp",
                      fmt::format("must be a number of milliseconds, got {}", KindName(*v)));
  double ms = v->get_double();
  if (!std::isfinite(ms) || std::fabs(ms) > kMaxAbsMillis)
    return FieldError("timestamp", "out of range");
  // Kept to the microsecond: the double is exact to well under 1 us at epoch scale.
  return static_cast<int64_t>(std::llround(ms * 1000.0));
}

Result<int64_t> ReadSeq(const boost::json::value* v) {
  if (v == nullptr || v->is_null()) return int64_t{0};
  if (v->is_int64()) {
    if (v->get_int64() < 1) return FieldError("seq", "must be an integer >= 1");
    if (v->get_int64() > kMaxEventSeq)
      return FieldError("seq", fmt::format("out of range (at most {})", kMaxEventSeq));
    return v->get_int64();
  }
  if (v->is_double()) {
    // JavaScript has no integer type; 3.0 is the integer 3, 3.5 is not.
    double d = v->get_double();
    if (std::isfinite(d) && d >= 1 && d <= static_cast<double>(kMaxEventSeq) && std::floor(d) == d)
      return static_cast<int64_t>(d);
    return FieldError("seq", "must be an integer >= 1");
  }
  if (v->is_uint64()) return FieldError("seq", "out of range");
  return FieldError("seq", fmt::format("must be an integer >= 1, got {}", KindName(*v)));
}

Status ValidateStateChange(const boost::json::object& data) {
  const auto* state = data.if_contains("state");
  if (state == nullptr || state->is_null()) return FieldError("data.state", "required");
  if (!state->is_string())
    return FieldError("data.state", fmt::format("must be a string, got {}", KindName(*state)));
  if (!ParseNodeState(state->get_string()))
    return FieldError("data.state",
                      fmt::format("unknown state \"{}\" (expected pending, executing, completed, "
                                  "error or skipped)",
                                  std::string_view(state->get_string())));
  auto message = OptionalString(data, "errorMessage", "data.errorMessage");
  if (!message) return tl::unexpected(message.error());
  return {};
}

Status ValidateProgress(const boost::json::object& data) {
  const auto* progress = data.if_contains("progress");
  if (progress == nullptr || progress->is_null()) return FieldError("data.progress", "required");
  auto value = AsNumber(*progress);
  if (!value)
    return FieldError("data.progress",
                      fmt::format("must be a number, got {}", KindName(*progress)));
  if (!(*value >= 0 && *value <= 100))
    return FieldError("data.progress", fmt::format("must be from 0 to 100, got {}", *value));
  auto message = OptionalString(data, "message", "data.message");
  if (!message) return tl::unexpected(message.error());
  return {};
}

}  // namespace

Result<StartedInfo> ReadStartedInfo(const boost::json::object& data) {
  StartedInfo info;
  auto root = RequiredString(data, "rootNodeId", "data.rootNodeId", false);
  if (!root) return tl::unexpected(root.error());
  info.root_node_id = std::move(*root);
  auto parent_exec = OptionalString(data, "parentExecutionId", "data.parentExecutionId");
  if (!parent_exec) return tl::unexpected(parent_exec.error());
  auto parent_node = OptionalString(data, "parentNodeId", "data.parentNodeId");
  if (!parent_node) return tl::unexpected(parent_node.error());
  if (parent_exec->empty() != parent_node->empty())
    return FieldError(parent_exec->empty() ? "data.parentExecutionId" : "data.parentNodeId",
                      "parentExecutionId and parentNodeId go together");
  info.parent_execution_id = std::move(*parent_exec);
  info.parent_node_id = std::move(*parent_node);
  if (const auto* config = data.if_contains("config");
      config && !config->is_null() && !config->is_object())
    return FieldError("data.config", fmt::format("must be an object, got {}", KindName(*config)));

  const auto* nodes = data.if_contains("nodes");
  if (nodes == nullptr || nodes->is_null()) return FieldError("data.nodes", "required");
  if (!nodes->is_array())
    return FieldError("data.nodes", fmt::format("must be an array, got {}", KindName(*nodes)));
  std::unordered_map<std::string_view, size_t> index;
  const auto& array = nodes->get_array();
  info.nodes.reserve(array.size());
  for (size_t i = 0; i < array.size(); ++i) {
    std::string at = fmt::format("data.nodes[{}]", i);
    if (!array[i].is_object())
      return FieldError(at, fmt::format("must be an object, got {}", KindName(array[i])));
    const auto& obj = array[i].get_object();
    DeclaredNode node;
    auto id = RequiredString(obj, "id", at + ".id", false);
    if (!id) return tl::unexpected(id.error());
    auto name = RequiredString(obj, "name", at + ".name", true);
    if (!name) return tl::unexpected(name.error());
    auto type = RequiredString(obj, "type", at + ".type", true);
    if (!type) return tl::unexpected(type.error());
    auto parent = OptionalString(obj, "parentId", at + ".parentId");
    if (!parent) return tl::unexpected(parent.error());
    node.id = std::move(*id);
    node.name = std::move(*name);
    node.type = std::move(*type);
    node.parent_id = std::move(*parent);
    if (const auto* weight = obj.if_contains("weight"); weight && !weight->is_null()) {
      auto w = AsNumber(*weight);
      if (!w || !std::isfinite(*w) || *w < 0)
        return FieldError(at + ".weight", "must be a number >= 0");
      node.weight = *w;
    }
    info.nodes.push_back(std::move(node));
  }
  for (size_t i = 0; i < info.nodes.size(); ++i) {
    if (!index.emplace(info.nodes[i].id, i).second)
      return FieldError(fmt::format("data.nodes[{}].id", i),
                        fmt::format("duplicate node id \"{}\"", info.nodes[i].id));
  }
  if (!index.contains(info.root_node_id))
    return FieldError("data.rootNodeId",
                      fmt::format("\"{}\" is not among data.nodes", info.root_node_id));
  for (size_t i = 0; i < info.nodes.size(); ++i) {
    const auto& node = info.nodes[i];
    if (node.parent_id.empty()) continue;
    std::string at = fmt::format("data.nodes[{}].parentId", i);
    if (node.id == info.root_node_id) return FieldError(at, "the root node has no parent");
    if (!index.contains(node.parent_id))
      return FieldError(at, fmt::format("\"{}\" is not a declared node", node.parent_id));
  }
  // Cycle check in linear time: walk up from each node until a node already
  // known to reach the top; meeting the current walk again is a cycle.
  enum Mark : uint8_t { kUnseen, kOnWalk, kReachesTop };
  std::vector<Mark> marks(info.nodes.size(), kUnseen);
  std::vector<size_t> walk;
  for (size_t i = 0; i < info.nodes.size(); ++i) {
    walk.clear();
    size_t at = i;
    while (marks[at] != kReachesTop) {
      if (marks[at] == kOnWalk)
        return FieldError(fmt::format("data.nodes[{}].parentId", at),
                          fmt::format("node \"{}\" is its own ancestor", info.nodes[at].id));
      marks[at] = kOnWalk;
      walk.push_back(at);
      const auto& parent = info.nodes[at].parent_id;
      if (parent.empty()) break;
      at = index.at(parent);
    }
    for (size_t w : walk) marks[w] = kReachesTop;
  }
  return info;
}

boost::json::object ParseDataObject(std::string_view data_json) {
  if (data_json.empty()) return {};
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(data_json, ec, {}, options);
  if (ec || !v.is_object()) return {};
  return std::move(v.get_object());
}

namespace {

// A handler for Boost.JSON's SAX parser that keeps nothing: the parser only
// validates. `top_is_object` tells the shape of the document.
struct ValidatingHandler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  using ec_t = boost::system::error_code;
  using sv_t = boost::json::string_view;
  int depth = 0;
  bool top_is_object = false;
  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_object_begin(ec_t&) {
    if (depth++ == 0) top_is_object = true;
    return true;
  }
  bool on_object_end(std::size_t, ec_t&) { return --depth, true; }
  bool on_array_begin(ec_t&) { return ++depth, true; }
  bool on_array_end(std::size_t, ec_t&) { return --depth, true; }
  bool on_key_part(sv_t, std::size_t, ec_t&) { return true; }
  bool on_key(sv_t, std::size_t, ec_t&) { return true; }
  bool on_string_part(sv_t, std::size_t, ec_t&) { return true; }
  bool on_string(sv_t, std::size_t, ec_t&) { return true; }
  bool on_number_part(sv_t, ec_t&) { return true; }
  bool on_int64(std::int64_t, sv_t, ec_t&) { return true; }
  bool on_uint64(std::uint64_t, sv_t, ec_t&) { return true; }
  bool on_double(double, sv_t, ec_t&) { return true; }
  bool on_bool(bool, ec_t&) { return true; }
  bool on_null(ec_t&) { return true; }
  bool on_comment_part(sv_t, ec_t&) { return true; }
  bool on_comment(sv_t, ec_t&) { return true; }
};

// True when `text` is one JSON object, validated without building it (no allocation).
bool IsJsonObject(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::json::basic_parser<ValidatingHandler> parser(options);
  boost::system::error_code ec;
  size_t used = parser.write_some(false, text.data(), text.size(), ec);
  return !ec && used == text.size() && parser.handler().top_is_object;
}

// White space outside strings: JSON, but not the canonical text the store keeps.
bool HasSpaceOutsideStrings(std::string_view text) {
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      return true;
    }
  }
  return false;
}

}  // namespace

bool CanonicalizeDataObject(std::string& data_json) {
  if (data_json.empty()) return true;
  if (!IsJsonObject(data_json)) return false;
  // The parser's own output (the usual case) is already canonical: kept as it is.
  if (!HasSpaceOutsideStrings(data_json)) return true;
  boost::json::value v = ParseDataObject(data_json);
  data_json.clear();
  if (!v.get_object().empty()) AppendJsonValue(data_json, v);
  return true;
}

EventParser::EventParser()
    : parser_(boost::json::storage_ptr(), [] {
        boost::json::parse_options options;
        options.max_depth = kMaxJsonDepth;
        return options;
      }()) {}

Result<Event> EventParser::Parse(std::string_view line) {
  if (line.size() > kMaxEventLineBytes)
    return FieldError("(json)", fmt::format("the line is {} bytes, longer than the limit of {}",
                                            line.size(), kMaxEventLineBytes));
  parser_.reset();
  boost::system::error_code ec;
  size_t used = parser_.write_some(line.data(), line.size(), ec);
  if (!ec) parser_.finish(ec);
  if (ec)
    return FieldError("(json)",
                      fmt::format("not valid JSON at column {}: {}", used + 1, ec.message()));
  boost::json::value root = parser_.release();
  if (!root.is_object())
    return FieldError("(json)",
                      fmt::format("an event must be a JSON object, got {}", KindName(root)));
  const auto& obj = root.get_object();

  Event event;
  auto exec = RequiredString(obj, "executionId", "executionId", false);
  if (!exec) return tl::unexpected(exec.error());
  if (Utf8Length(*exec) > kMaxExecutionIdLength)
    return FieldError("executionId",
                      fmt::format("longer than {} characters", kMaxExecutionIdLength));
  event.execution_id = std::move(*exec);

  auto seq = ReadSeq(obj.if_contains("seq"));
  if (!seq) return tl::unexpected(seq.error());
  event.seq = *seq;
  auto ts = ReadTimestamp(obj.if_contains("timestamp"));
  if (!ts) return tl::unexpected(ts.error());
  event.timestamp_us = *ts;

  auto type_name = RequiredString(obj, "type", "type", false);
  if (!type_name) return tl::unexpected(type_name.error());
  auto type = ParseEventType(*type_name);
  if (!type)
    return FieldError("type", fmt::format("unknown type \"{}\" (expected started, progress, "
                                          "state-change, completed or error)",
                                          *type_name));
  event.type = *type;

  bool needs_node = event.type == EventType::kProgress || event.type == EventType::kStateChange;
  auto node = needs_node ? RequiredString(obj, "nodeId", "nodeId", false)
                         : OptionalString(obj, "nodeId", "nodeId");
  if (!node) return tl::unexpected(node.error());
  event.node_id = std::move(*node);
#ifdef EXTRACE_FUZZ_CANARY
  TripFuzzCanary(event);
#endif

  static const boost::json::object kEmpty;
  const boost::json::object* data = &kEmpty;
  if (const auto* d = obj.if_contains("data"); d && !d->is_null()) {
    if (!d->is_object())
      return FieldError("data", fmt::format("must be an object, got {}", KindName(*d)));
    data = &d->get_object();
  }
  switch (event.type) {
    case EventType::kStarted: {
      if (data->empty()) return FieldError("data", "required for a started event");
      auto info = ReadStartedInfo(*data);
      if (!info) return tl::unexpected(info.error());
      break;
    }
    case EventType::kStateChange:
      if (auto s = ValidateStateChange(*data); !s) return tl::unexpected(s.error());
      break;
    case EventType::kProgress:
      if (auto s = ValidateProgress(*data); !s) return tl::unexpected(s.error());
      break;
    case EventType::kError: {
      auto message = RequiredString(*data, "message", "data.message", true);
      if (!message) return tl::unexpected(message.error());
      break;
    }
    case EventType::kCompleted:
      break;
  }
  if (!data->empty()) AppendJsonValue(event.data_json, *data);
  return event;
}

}  // namespace extrace
