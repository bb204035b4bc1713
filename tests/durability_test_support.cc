// Helpers of the durability tests: see durability_test_support.h.
#include "durability_test_support.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "format/event_json.h"
#include "format/event_line.h"
#include "recorder/event_builder.h"

namespace extrace::testing {
namespace {

bool ParseInt(std::string_view text, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

WriterRun RunFaultyWriter(const std::vector<std::string>& args, const std::string& plan) {
  WriterRun run;
  run.process = RunProcessWithEnv(EXTRACE_TEST_HELPER, args, {"EXTRACE_FAULTY_VFS=" + plan});
  std::istringstream lines(run.process.out);
  for (std::string line; std::getline(lines, line);) {
    int64_t n = 0;
    // A line the power cut stopped half-way is not an acknowledgement.
    if (line.starts_with("durable ") && ParseInt(std::string_view(line).substr(8), n))
      run.acked = std::max(run.acked, n);
    if (!line.starts_with("io ")) continue;
    std::istringstream fields(line.substr(3));
    for (std::string field; fields >> field;) {
      auto equals = field.find('=');
      if (equals != std::string::npos && ParseInt(std::string_view(field).substr(equals + 1), n))
        run.io[field.substr(0, equals)] = n;
    }
  }
  return run;
}

std::vector<Event> IngestEvents(const std::string& id, int64_t count) {
  RunStart start;
  start.execution_id = id;
  start.root_node_id = "flow";
  start.nodes = {{"flow", "Flow", "group", "", 1}, {"leaf", "Leaf", "task", "flow", 1}};
  std::vector<Event> events;
  auto started = recorder::StartedEvent(start, id);
  if (!started) throw std::runtime_error(started.error().message);
  events.push_back(std::move(*started));
  for (int64_t i = 1; i < count; ++i)
    events.push_back(recorder::ProgressEvent(id, "leaf", static_cast<double>(i % 101),
                                             fmt::format("step {} of {}", i, id)));
  const int64_t base_ms = 1'800'000'000'000;
  for (size_t i = 0; i < events.size(); ++i) {
    events[i].seq = static_cast<int64_t>(i) + 1;
    events[i].timestamp_us = (base_ms + static_cast<int64_t>(i)) * 1000;
    if (!CanonicalizeDataObject(events[i].data_json))
      throw std::runtime_error("test event data is not a JSON object");
  }
  return events;
}

void AppendEventsFile(const std::string& path, const std::vector<Event>& events) {
  std::string text;
  for (const Event& event : events) AppendEventLine(text, event);
  std::ofstream(path, std::ios::app) << text;
}

size_t FirstSeqGap(const std::vector<Event>& events) {
  for (size_t i = 0; i < events.size(); ++i)
    if (events[i].seq != static_cast<int64_t>(i) + 1) return i;
  return events.size();
}

}  // namespace extrace::testing
