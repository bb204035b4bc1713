// `extrace flows [--json]`: every flow in the store with its run counts and
// newest run; --json is the flows document (render/documents.h), and the
// table is drawn from that same document.
#include <boost/json.hpp>
#include <cstdio>

#include "render/documents.h"
#include "tools/cli_support.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/text_format.h"

namespace extrace::cli {
namespace {

std::string Text(const boost::json::value* value) {
  if (value == nullptr || !value->is_string()) return "-";
  return std::string(value->get_string());
}

std::string Number(const boost::json::object& object, const char* key) {
  const auto* value = object.if_contains(key);
  return value && value->is_int64() ? std::to_string(value->get_int64()) : "-";
}

}  // namespace

int Flows(const GlobalOptions& global, bool json) {
  auto store = OpenForReading(global);
  if (!store) return Fail("flows", store.error());
  auto document = FlowsDocument(**store);
  if (!document) return Fail("flows", document.error());
  if (json) {
    PrintJsonLine(std::move(*document));
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  auto parsed = boost::json::parse(*document);
  for (const auto& item : parsed.at("flows").as_array()) {
    const auto& flow = item.as_object();
    const auto& last = flow.at("lastRun").as_object();
    std::string duration = "-";
    if (const auto* ms = last.if_contains("duration"); ms && ms->is_number())
      duration = HumanDuration(static_cast<int64_t>(ms->to_number<double>() * 1000));
    rows.push_back({Text(flow.if_contains("flow")), Number(flow, "runs"), Number(flow, "completed"),
                    Number(flow, "error"), Number(flow, "incomplete"),
                    Text(last.if_contains("executionId")), Text(last.if_contains("status")),
                    duration});
  }
  std::fputs(RenderTable({"FLOW", "RUNS", "COMPLETED", "ERROR", "INCOMPLETE", "LAST RUN",
                          "LAST STATUS", "LAST DURATION"},
                         rows, {false, true, true, true, true, false, false, true})
                 .c_str(),
             stdout);
  if (rows.empty())
    std::printf("(no flows in %s)\n", EventStore::DisplayName(global.db_path).c_str());
  return kExitOk;
}

}  // namespace extrace::cli
