// The HTML report: see html_report.h. This file owns the page's skeleton; the
// JSON blob in it is render/report_json.h's, what the page draws and how lives
// in render/report_assets/report.js (embedded through the generated
// render/report_assets.h).
#include "render/html_report.h"

#include <string>

#include "render/report_assets.h"
#include "render/report_json.h"

namespace extrace {
namespace {

// Installed before the report's script so even its syntax errors are shown
// (and seen by the browser test in <div id="errors">).
constexpr std::string_view kErrorHook =
    "window.onerror=function(m,s,l,c){var e=document.getElementById('errors');"
    "e.hidden=false;e.dataset.count=(+e.dataset.count||0)+1;"
    "e.textContent+='script error: '+m+' (line '+l+':'+c+')\\n';};"
    "window.addEventListener('unhandledrejection',function(ev){"
    "window.onerror(String(ev.reason),'',0,0);});";

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string Page(const std::string& title, const std::string& data_json) {
  std::string html;
  html.reserve(data_json.size() + sizeof(report_assets::kCss) + sizeof(report_assets::kJs) + 2048);
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>" + HtmlEscape(title) + "</title>\n<style>\n";
  html += report_assets::kCss;
  html += "</style>\n</head>\n<body>\n<script>";
  html += kErrorHook;
  html += "</script>\n";
  html += "<div id=\"errors\" class=\"errors\" hidden></div>\n";
  html += "<div id=\"app\"><h1>" + HtmlEscape(title) +
          "</h1><p id=\"loading\">Loading&hellip;</p></div>\n";
  html += "<div id=\"rendered\" hidden></div>\n";
  html += "<script type=\"application/json\" id=\"extrace-data\">";
  html += EscapeJsonForScript(data_json);
  html += "</script>\n<script>\n";
  html += report_assets::kJs;
  html += "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace

std::string EscapeJsonForScript(std::string_view json) {
  std::string out;
  out.reserve(json.size() + 64);
  for (char c : json) {
    // '<' only occurs inside JSON strings, where \u003c reads back as '<'.
    if (c == '<')
      out += "\\u003c";
    else
      out.push_back(c);
  }
  return out;
}

std::string RenderRunReport(const ReportRun& run) {
  return Page(RunReportTitle(run.trace), RunReportJson(run));
}

std::string RenderCompareReport(const ReportRun& a, const ReportRun& b,
                                const RunComparison& comparison) {
  return Page(CompareReportTitle(a.trace, b.trace), CompareReportJson(a, b, comparison));
}

}  // namespace extrace
