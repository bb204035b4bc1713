// The fuzz bytes -> events decoders: see fuzz_events.h.
#include "fuzz/fuzz_events.h"

#include <fmt/format.h>
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <string_view>

#include "format/event_json.h"
#include "format/json_text.h"

namespace extrace::fuzz {
namespace {

constexpr std::array<std::string_view, 4> kRuns = {"r", "c1", "c2", "r"};
constexpr std::array<std::string_view, 8> kNodes = {"", "flow", "a", "b", "g", "g.x", "zz", "flow"};
constexpr std::array<std::string_view, 6> kStates = {"pending", "executing", "completed",
                                                     "error",   "skipped",   "bogus"};

template <size_t N>
std::string_view Pick(FuzzedDataProvider& in, const std::array<std::string_view, N>& from) {
  return from[in.ConsumeIntegralInRange<size_t>(0, N - 1)];
}

std::string Quoted(std::string_view text) {
  std::string out;
  JsonWriter(out).String(text);
  return out;
}

// A number as JSON text, now and then an awkward one.
std::string Number(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 5)) {
    case 0:
      return "-1";
    case 1:
      return "1e308";
    case 2:
      return "100";
    case 3:
      return fmt::format("{}", in.ConsumeIntegralInRange(-5, 120));
    case 4:
      return "\"50\"";
    default:
      return fmt::format("{:.3f}", in.ConsumeFloatingPointInRange(-1.0, 101.0));
  }
}

std::string StartedData(FuzzedDataProvider& in) {
  std::string nodes;
  size_t count = in.ConsumeIntegralInRange<size_t>(0, 6);
  for (size_t i = 0; i < count; ++i) {
    if (!nodes.empty()) nodes += ',';
    nodes += fmt::format(R"({{"id":{},"name":"N{}","type":"{}")", Quoted(Pick(in, kNodes)), i,
                         in.ConsumeBool() ? "group" : "task");
    if (in.ConsumeBool()) nodes += fmt::format(R"(,"parentId":{})", Quoted(Pick(in, kNodes)));
    if (in.ConsumeBool()) nodes += fmt::format(R"(,"weight":{})", Number(in));
    nodes += '}';
  }
  std::string data =
      fmt::format(R"({{"rootNodeId":{},"nodes":[{}])", Quoted(Pick(in, kNodes)), nodes);
  if (in.ConsumeBool())
    data += fmt::format(R"(,"parentExecutionId":{},"parentNodeId":{})", Quoted(Pick(in, kRuns)),
                        Quoted(Pick(in, kNodes)));
  return data + '}';
}

std::string ProgressData(FuzzedDataProvider& in) {
  std::string data = fmt::format(R"({{"progress":{})", Number(in));
  if (in.ConsumeBool()) data += R"(,"message":"m")";
  if (in.ConsumeBool())
    data +=
        fmt::format(R"(,"allNodes":[{{"id":{},"state":"executing"}}])", Quoted(Pick(in, kNodes)));
  return data + '}';
}

Event DecodeOne(FuzzedDataProvider& in, int64_t& clock) {
  Event event;
  event.execution_id = Pick(in, kRuns);
  // Seq 0 (the store's next) most of the time, else an explicit one that may
  // repeat or go back.
  event.seq = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<int64_t>(1, 12);
  clock += in.ConsumeIntegralInRange<int64_t>(-3000, 5000);
  event.timestamp_us = clock;
  event.type = static_cast<EventType>(in.ConsumeIntegralInRange(1, 5));
  if (event.type != EventType::kStarted && event.type != EventType::kCompleted && in.ConsumeBool())
    event.node_id = Pick(in, kNodes);
  switch (event.type) {
    case EventType::kStarted:
      event.data_json = StartedData(in);
      break;
    case EventType::kProgress:
      event.data_json = ProgressData(in);
      break;
    case EventType::kStateChange:
      event.data_json = fmt::format(R"({{"state":"{}"{}}})", Pick(in, kStates),
                                    in.ConsumeBool() ? R"(,"error":{"message":"e"})" : "");
      break;
    case EventType::kError:
      event.data_json = R"({"message":"failed"})";
      break;
    case EventType::kCompleted:
      break;
  }
  // Now and then any JSON object the validator never let through (the
  // projector reads stores it did not write); an Event's data is always a
  // canonical JSON object, so text that is not one stays out.
  if (in.ConsumeIntegralInRange(0, 15) == 0) {
    std::string data = in.ConsumeRandomLengthString(40);
    if (CanonicalizeDataObject(data)) event.data_json = std::move(data);
  }
  return event;
}

void Store(RunEvents& runs, Event event) {
  auto& events = runs[event.execution_id];
  int64_t max_seq = events.empty() ? 0 : events.back().seq;
  if (event.seq == 0) event.seq = max_seq + 1;
  if (event.seq > max_seq) {
    events.push_back(std::move(event));
    return;
  }
  auto at = std::lower_bound(events.begin(), events.end(), event.seq,
                             [](const Event& e, int64_t seq) { return e.seq < seq; });
  if (at->seq != event.seq) events.insert(at, std::move(event));
}

}  // namespace

RunEvents DecodeEvents(std::span<const uint8_t> bytes) {
  RunEvents runs;
  if (!bytes.empty() && bytes[0] == '{') {
    EventParser parser;
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    while (!text.empty()) {
      size_t end = text.find('\n');
      auto event = parser.Parse(text.substr(0, end));
      if (event) Store(runs, std::move(*event));
      text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    }
    return runs;
  }
  FuzzedDataProvider in(bytes.data(), bytes.size());
  int64_t clock = 1'800'000'000'000'000;
  for (int i = 0; i < 64 && in.remaining_bytes() > 0; ++i) Store(runs, DecodeOne(in, clock));
  return runs;
}

}  // namespace extrace::fuzz
