// `extrace report ID [-o FILE]` and `extrace report --compare A B [-o FILE]`:
// writes the self-contained HTML report (render/html_report.h) of one run, or
// of two runs side by side, and prints where it went.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "query/compare.h"
#include "render/html_report.h"
#include "render/report_loader.h"
#include "storage/event_store.h"
#include "tools/cli_support.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"

namespace extrace::cli {
namespace {

// An execution id as part of a file name: letters, digits, '-', '_' and '.'
// kept, anything else '_', at most `max` characters.
std::string FileNamePart(const std::string& id, size_t max) {
  std::string out;
  for (char c : id.substr(0, max)) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.';
    out.push_back(plain ? c : '_');
  }
  return out;
}

// Written beside the target, then renamed: a browser never opens half a file.
// `-`: to standard output, nothing else printed there.
int WriteReport(const std::string& path, const std::string& html) {
  if (IsStandardStream(path)) {
    std::fwrite(html.data(), 1, html.size(), stdout);
    if (std::fflush(stdout) != 0 || std::ferror(stdout))
      return Fail("report",
                  Error{StatusCode::kIoError, "standard output: cannot write the report"});
    return kExitOk;
  }
  std::string temp = path + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(html.data(), static_cast<std::streamsize>(html.size()));
    out.flush();
    if (!out) {
      std::remove(temp.c_str());
      return Fail("report",
                  Error{StatusCode::kIoError, fmt::format("{}: cannot write the file", path)});
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    return Fail("report",
                Error{StatusCode::kIoError, fmt::format("{}: cannot write the file", path)});
  }
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  std::printf("wrote %s (%zu bytes): open it in a browser\n",
              ec ? path.c_str() : absolute.string().c_str(), html.size());
  return kExitOk;
}

}  // namespace

int Report(const GlobalOptions& global, const std::string& id,
           const std::vector<std::string>& compare, const std::string& output) {
  if (id.empty() == compare.empty())
    return Usage("report", "give one run (extrace report ID) or --compare A B");
  auto store = OpenForReading(global);
  if (!store) return Fail("report", store.error());
  if (compare.empty()) {
    auto run = LoadReportRun(**store, id);
    if (!run) return Fail("report", run.error());
    std::string path =
        output.empty() ? "report-" + FileNamePart(run->trace.execution_id, 80) + ".html" : output;
    return WriteReport(path, RenderRunReport(run->View()));
  }
  auto a = LoadReportRun(**store, compare[0]);
  if (!a) return Fail("report", a.error());
  auto b = LoadReportRun(**store, compare[1]);
  if (!b) return Fail("report", b.error());
  if (a->tree.run.root_node_id != b->tree.run.root_node_id)
    std::fprintf(stderr, "extrace report: warning: the runs are of different flows (%s, %s)\n",
                 a->tree.run.root_node_id.c_str(), b->tree.run.root_node_id.c_str());
  RunComparison comparison = CompareRuns(a->tree, b->tree);
  std::string path = output.empty() ? "compare-" + FileNamePart(a->trace.execution_id, 40) + "-" +
                                          FileNamePart(b->trace.execution_id, 40) + ".html"
                                    : output;
  return WriteReport(path, RenderCompareReport(a->View(), b->View(), comparison));
}

}  // namespace extrace::cli
