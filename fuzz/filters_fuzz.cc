// Fuzz target: the run filters as people type them. The input is a request
// target as `GET /v1/runs?...` receives it (server/query_string.h decodes it);
// its parameters become the filter text the CLI's `list` flags and the API
// share (query/run_filter_text.h: --since/--until times, --status, --state,
// --slower-than milliseconds, ...), parsed under both namings, then applied
// to a small real store (ListRuns). Promises checked: a refusal is
// kInvalidInput naming the value's flag; the runs listed satisfy the filter's
// status, flow, time bounds and limit.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "format/event_json.h"
#include "fuzz/fuzz_support.h"
#include "query/run_filter_text.h"
#include "server/query_string.h"
#include "storage/event_store.h"

namespace extrace::fuzz {
namespace {

// Three runs of two flows: completed, in error (a node error whose message has
// SQL and LIKE metacharacters), and incomplete.
constexpr const char* kEvents[] = {
    R"({"executionId":"run-1","seq":1,"timestamp":1800000000000,"type":"started","data":{"rootNodeId":"flow","nodes":[{"id":"flow","name":"F","type":"group"},{"id":"a","name":"A","type":"task","parentId":"flow"}]}})",
    R"({"executionId":"run-1","seq":2,"timestamp":1800000000100,"type":"state-change","nodeId":"a","data":{"state":"completed"}})",
    R"({"executionId":"run-1","seq":3,"timestamp":1800000000200,"type":"completed","data":{}})",
    R"({"executionId":"run-2","seq":1,"timestamp":1800000100000,"type":"started","data":{"rootNodeId":"other","nodes":[{"id":"other","name":"O","type":"task"}]}})",
    R"({"executionId":"run-2","seq":2,"timestamp":1800000100500,"type":"state-change","nodeId":"other","data":{"state":"error","error":{"message":"50% of 'rows'_x; DROP"}}})",
    R"({"executionId":"run-2","seq":3,"timestamp":1800000101000,"type":"error","data":{"message":"failed"}})",
    R"({"executionId":"run-3","seq":1,"timestamp":1800000200000,"type":"started","data":{"rootNodeId":"flow","nodes":[{"id":"flow","name":"F","type":"task"}]}})",
};

EventStore& Store() {
  static std::unique_ptr<EventStore> store = [] {
    auto opened = EventStore::Open(ScratchDir::File("filters.db"));
    if (!opened) Broken("cannot make the store: " + opened.error().message);
    EventParser parser;
    std::vector<Event> events;
    for (const char* line : kEvents) {
      auto event = parser.Parse(line);
      if (!event) Broken("a built-in event is refused: " + event.error().message);
      events.push_back(std::move(*event));
    }
    AppendResult appended = (*opened)->Append(events);
    if (!appended.status) Broken("cannot store: " + appended.status.error().message);
    return std::move(*opened);
  }();
  return *store;
}

void CheckListed(const RunFilter& filter) {
  auto runs = Store().ListRuns(filter);
  if (!runs) {
    if (runs.error().code == StatusCode::kInvalidInput) return;
    Broken("ListRuns failed: " + runs.error().message);
  }
  if (filter.limit != 0 && runs->size() > filter.limit) Broken("more runs than the limit");
  for (const RunSummary& run : *runs) {
    if (filter.status && run.status != *filter.status) Broken("a run of another status listed");
    if (!filter.flow.empty() && run.root_node_id != filter.flow) Broken("a run of another flow");
    if (filter.since_us && (!run.start_us || *run.start_us < *filter.since_us))
      Broken("a run started before --since listed");
    if (filter.until_us && (!run.start_us || *run.start_us > *filter.until_us))
      Broken("a run started after --until listed");
  }
}

}  // namespace
}  // namespace extrace::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace extrace;
  auto target = server::ParseTarget({reinterpret_cast<const char*>(data), size});
  if (!target) return 0;
  RunFilterText text;
  text.flow = target->Param("flow").value_or("");
  text.status = target->Param("status").value_or("");
  text.since = target->Param("since").value_or("");
  text.until = target->Param("until").value_or("");
  text.node = target->Param("node").value_or("");
  text.state = target->Param("state").value_or("");
  text.error = target->Param("error").value_or("");
  if (auto limit = target->Param("limit")) {
    unsigned value = 0;
    std::from_chars(limit->data(), limit->data() + limit->size(), value);
    text.limit = value;
  }
  if (auto slower = target->Param("slowerThan")) {
    double value = 0;
    std::from_chars(slower->data(), slower->data() + slower->size(), value);
    text.slower_than_ms = value;  // unchecked here: ParseRunFilter refuses what it must
  }
  for (const std::string* time : {&text.since, &text.until}) (void)ParseTimeText(*time);
  for (auto names : {FilterNames::kCliFlags, FilterNames::kQueryParams}) {
    auto filter = ParseRunFilter(text, names);
    if (!filter) {
      if (filter.error().code != StatusCode::kInvalidInput)
        fuzz::Broken("a filter refused with another code than invalid input");
      continue;
    }
    fuzz::CheckListed(*filter);
  }
  return 0;
}
