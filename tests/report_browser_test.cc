// The HTML report in a real browser (ctest label `browser`, `make
// test-browser`; left out of `make test`): `extrace report` writes the page,
// headless Chromium loads it from the file, takes a screenshot and dumps the
// DOM after the page's script ran. The script reports what it drew into
// <div id="rendered"> and any script error into <div id="errors">.
// Screenshots stay in the test's working folder (build/tests/) to look at.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace extrace {
namespace {

using testing::ProcessResult;
using testing::ReadFile;
using testing::RunCli;
using testing::RunProcess;
using testing::TempDir;
using testing::WriteFile;

namespace fs = std::filesystem;

// $EXTRACE_CHROMIUM, else the first Chromium or Chrome on $PATH.
std::string FindChromium() {
  if (const char* env = std::getenv("EXTRACE_CHROMIUM"); env && *env) return env;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
      fs::path candidate = fs::path(dir) / name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  return "";
}

// One headless Chromium per call, each with a fresh profile.
class Browser {
 public:
  explicit Browser(const TempDir& dir) : dir_(dir), program_(FindChromium()) {
    INFO("no chromium on PATH: `make test-browser` installs it (or set EXTRACE_CHROMIUM)");
    REQUIRE(!program_.empty());
  }

  // The DOM once the page's script ran (and timers up to 5 s of virtual time).
  std::string DumpDom(const std::string& url) {
    ProcessResult result = Run({"--dump-dom", "--virtual-time-budget=5000", url});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    return result.out;
  }

  void Screenshot(const std::string& url, const std::string& png) {
    ProcessResult result = Run({"--screenshot=" + png, url});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
  }

 private:
  ProcessResult Run(std::vector<std::string> args) {
    std::string profile = dir_.File("profile-" + std::to_string(++runs_));
    std::vector<std::string> all = {"--headless",
                                    "--no-sandbox",
                                    "--disable-gpu",
                                    "--no-first-run",
                                    "--disable-background-networking",
                                    "--disable-component-update",
                                    "--disable-sync",
                                    "--user-data-dir=" + profile,
                                    "--window-size=1400,900"};
    all.insert(all.end(), args.begin(), args.end());
    auto start = std::chrono::steady_clock::now();
    ProcessResult result = RunProcess(program_, all);
    std::printf("chromium %s: %.2f s\n", args.front().c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return result;
  }

  const TempDir& dir_;
  std::string program_;
  int runs_ = 0;
};

std::string FileUrl(const std::string& path, const std::string& fragment = "") {
  return "file://" + fs::absolute(path).string() + fragment;
}

// The opening tag and the text of the element with this id (no nested elements).
struct Element {
  std::string tag;
  std::string text;
};

Element FindElement(const std::string& dom, const std::string& id) {
  size_t at = dom.find("id=\"" + id + "\"");
  REQUIRE(at != std::string::npos);
  size_t open = dom.rfind('<', at);
  size_t close = dom.find('>', at);
  size_t end = dom.find('<', close);
  REQUIRE((open != std::string::npos && close != std::string::npos && end != std::string::npos));
  return {dom.substr(open, close - open + 1), dom.substr(close + 1, end - close - 1)};
}

std::optional<double> Attribute(const Element& element, const std::string& name) {
  std::smatch match;
  std::regex pattern(name + "=\"([0-9.]+)\"");
  if (!std::regex_search(element.tag, match, pattern)) return std::nullopt;
  return std::stod(match[1].str());
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void CheckNoScriptErrors(const std::string& dom) {
  Element errors = FindElement(dom, "errors");
  INFO(errors.text);
  CHECK(errors.text.empty());
  CHECK(errors.tag.find("data-count") == std::string::npos);
}

// A real PNG of the window's size with more in it than a blank page.
void CheckScreenshot(const std::string& png, const std::string& keep_as) {
  REQUIRE(fs::exists(png));
  std::string bytes = ReadFile(png);
  REQUIRE(bytes.size() > 24);
  CHECK(bytes.substr(1, 3) == "PNG");
  auto be32 = [&](size_t at) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
           (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
  };
  CHECK(be32(16) == 1400);  // IHDR width and height
  CHECK(be32(20) == 900);
  CHECK(bytes.size() > 20'000);  // a blank 1400x900 page compresses to a few KB
  std::error_code ec;
  fs::copy_file(png, keep_as, fs::copy_options::overwrite_existing, ec);
}

// A run with nested groups, a child run inside group `load`, an error in
// `normalize`, a skipped node, and a node name that tries to end the script.
constexpr const char* kNestedRun = R"(
{"executionId":"run-main","seq":1,"timestamp":1764000000000,"type":"started","data":{"rootNodeId":"etl","nodes":[{"id":"etl","name":"ETL flow","type":"group"},{"id":"extract","name":"Extract","type":"group","parentId":"etl"},{"id":"fetch-a","name":"Fetch A","type":"task","parentId":"extract"},{"id":"fetch-b","name":"Fetch B </script><b>x</b>","type":"task","parentId":"extract"},{"id":"transform","name":"Transform","type":"group","parentId":"etl"},{"id":"clean","name":"Clean","type":"group","parentId":"transform"},{"id":"dedupe","name":"Dedupe","type":"task","parentId":"clean"},{"id":"normalize","name":"Normalize","type":"task","parentId":"clean"},{"id":"join","name":"Join","type":"task","parentId":"transform"},{"id":"load","name":"Load","type":"group","parentId":"etl"},{"id":"notify","name":"Notify","type":"task","parentId":"etl"}]}}
{"executionId":"run-main","seq":2,"timestamp":1764000000010,"type":"state-change","nodeId":"fetch-a","data":{"state":"executing"}}
{"executionId":"run-main","seq":3,"timestamp":1764000000012,"type":"state-change","nodeId":"fetch-b","data":{"state":"executing"}}
{"executionId":"run-main","seq":4,"timestamp":1764000000060,"type":"progress","nodeId":"fetch-a","data":{"progress":50,"message":"half"}}
{"executionId":"run-main","seq":5,"timestamp":1764000000110,"type":"state-change","nodeId":"fetch-a","data":{"state":"completed"}}
{"executionId":"run-main","seq":6,"timestamp":1764000000150,"type":"progress","nodeId":"fetch-b","data":{"progress":70,"message":"most"}}
{"executionId":"run-main","seq":7,"timestamp":1764000000180,"type":"state-change","nodeId":"fetch-b","data":{"state":"completed"}}
{"executionId":"run-main","seq":8,"timestamp":1764000000185,"type":"state-change","nodeId":"dedupe","data":{"state":"executing"}}
{"executionId":"run-main","seq":9,"timestamp":1764000000240,"type":"progress","nodeId":"dedupe","data":{"progress":40,"message":"scanning"}}
{"executionId":"run-main","seq":10,"timestamp":1764000000300,"type":"state-change","nodeId":"dedupe","data":{"state":"completed"}}
{"executionId":"run-main","seq":11,"timestamp":1764000000302,"type":"state-change","nodeId":"normalize","data":{"state":"executing"}}
{"executionId":"run-main","seq":12,"timestamp":1764000000350,"type":"progress","nodeId":"normalize","data":{"progress":30,"message":"rows"}}
{"executionId":"run-main","seq":13,"timestamp":1764000000390,"type":"state-change","nodeId":"normalize","data":{"state":"error","errorMessage":"bad row 17: unexpected <EOF> in \"amount\""}}
{"executionId":"run-main","seq":14,"timestamp":1764000000391,"type":"state-change","nodeId":"join","data":{"state":"skipped"}}
{"executionId":"run-main","seq":15,"timestamp":1764000000395,"type":"state-change","nodeId":"load","data":{"state":"executing"}}
{"executionId":"run-child","seq":1,"timestamp":1764000000400,"type":"started","data":{"rootNodeId":"load-run","parentExecutionId":"run-main","parentNodeId":"load","nodes":[{"id":"load-run","name":"Load run","type":"group"},{"id":"write","name":"Write rows","type":"task","parentId":"load-run"},{"id":"index","name":"Build index","type":"task","parentId":"load-run"}]}}
{"executionId":"run-child","seq":2,"timestamp":1764000000405,"type":"state-change","nodeId":"write","data":{"state":"executing"}}
{"executionId":"run-child","seq":3,"timestamp":1764000000450,"type":"progress","nodeId":"write","data":{"progress":50}}
{"executionId":"run-child","seq":4,"timestamp":1764000000500,"type":"state-change","nodeId":"write","data":{"state":"completed"}}
{"executionId":"run-child","seq":5,"timestamp":1764000000501,"type":"state-change","nodeId":"index","data":{"state":"executing"}}
{"executionId":"run-child","seq":6,"timestamp":1764000000560,"type":"state-change","nodeId":"index","data":{"state":"completed"}}
{"executionId":"run-child","seq":7,"timestamp":1764000000561,"type":"completed"}
{"executionId":"run-main","seq":16,"timestamp":1764000000565,"type":"state-change","nodeId":"load","data":{"state":"completed"}}
{"executionId":"run-main","seq":17,"timestamp":1764000000570,"type":"state-change","nodeId":"notify","data":{"state":"executing"}}
{"executionId":"run-main","seq":18,"timestamp":1764000000590,"type":"state-change","nodeId":"notify","data":{"state":"completed"}}
{"executionId":"run-main","seq":19,"timestamp":1764000000600,"type":"error","data":{"message":"1 node failed"}}
)";

const std::vector<std::string> kNestedPaths = {
    "extract", "fetch-a", "fetch-b",       "transform",  "clean",      "dedupe", "normalize",
    "join",    "load",    "load/load-run", "load/write", "load/index", "notify"};

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// 1 + 100 groups x (1 + 10 stages x (1 + 9 tasks)) = 10,101 declared nodes
// (10,100 rows: the root has children). Stages run one after the other, the
// tasks of a stage side by side; one task fails; one progress event per group
// (each costs the projector a snapshot of every node).
std::string TenThousandNodeRun() {
  std::string out;
  auto line = [&](int64_t seq, double ms, const std::string& rest) {
    out += "{\"executionId\":\"run-10k\",\"seq\":" + std::to_string(seq) +
           ",\"timestamp\":" + std::to_string(static_cast<int64_t>(1764000000000.0 + ms)) + rest +
           "}\n";
  };
  std::string nodes = R"({"id":"root","name":"Big flow","type":"group"})";
  auto id = [](int g, int s, int t) {
    std::string text = "g" + std::to_string(g);
    if (s >= 0) text += "s" + std::to_string(s);
    if (t >= 0) text += "t" + std::to_string(t);
    return text;
  };
  for (int g = 0; g < 100; ++g) {
    nodes += R"(,{"id":")" + id(g, -1, -1) + R"(","name":"Group )" + std::to_string(g) +
             R"(","type":"group","parentId":"root"})";
    for (int s = 0; s < 10; ++s) {
      nodes += R"(,{"id":")" + id(g, s, -1) + R"(","name":"Stage )" + std::to_string(s) +
               R"(","type":"group","parentId":")" + id(g, -1, -1) + "\"}";
      for (int t = 0; t < 9; ++t)
        nodes += R"(,{"id":")" + id(g, s, t) + R"(","name":"Task )" + id(g, s, t) +
                 R"(","type":"task","parentId":")" + id(g, s, -1) + "\"}";
    }
  }
  int64_t seq = 1;
  line(seq++, 0, R"(,"type":"started","data":{"rootNodeId":"root","nodes":[)" + nodes + "]}");
  double at = 1;
  for (int g = 0; g < 100; ++g) {
    for (int s = 0; s < 10; ++s) {
      for (int t = 0; t < 9; ++t)
        line(seq++, at + 0.1 * t,
             R"(,"type":"state-change","nodeId":")" + id(g, s, t) +
                 R"(","data":{"state":"executing"})");
      for (int t = 0; t < 9; ++t) {
        if (s == 9 && t == 8)
          line(seq++, at + 8.5,
               R"(,"type":"progress","nodeId":")" + id(g, s, t) +
                   R"(","data":{"progress":60,"message":"almost"})");
        bool fail = g == 42 && s == 3 && t == 5;
        line(seq++, at + 1 + t,
             R"(,"type":"state-change","nodeId":")" + id(g, s, t) + R"(","data":{"state":")" +
                 (fail ? R"(error","errorMessage":"disk quota exceeded"})" : R"(completed"})"));
      }
      at += 11;
    }
  }
  line(seq++, at + 1, R"(,"type":"error","data":{"message":"1 task failed"})");
  return out;
}

TEST_CASE("browser: nested groups, a child run and an error render as rows") {
  TempDir dir;
  std::string db = dir.File("t.db");
  WriteFile(dir.File("nested.jsonl"), kNestedRun);
  REQUIRE(RunCli({"--db", db, "ingest", dir.File("nested.jsonl")}).exit_code == 0);
  std::string html = dir.File("nested.html");
  auto written = RunCli({"--db", db, "report", "run-main", "-o", html});
  INFO(written.err);
  REQUIRE(written.exit_code == 0);

  Browser browser(dir);
  std::string png = dir.File("nested.png");
  browser.Screenshot(FileUrl(html), png);
  CheckScreenshot(png, "report_browser_nested.png");

  std::string dom = browser.DumpDom(FileUrl(html));
  CheckNoScriptErrors(dom);
  Element rendered = FindElement(dom, "rendered");
  CHECK(Attribute(rendered, "data-rows") == kNestedPaths.size());
  CHECK(Attribute(rendered, "data-drawn") == kNestedPaths.size());
  CHECK(Attribute(rendered, "data-crit-drawn") > 0);
  CHECK(Lines(rendered.text) == kNestedPaths);
  // The bottleneck table, with the name shown as text, never as markup.
  CHECK(dom.find(R"(<table class="data" id="bottlenecks">)") != std::string::npos);
  CHECK(dom.find(R"(data-path="normalize")") != std::string::npos);
  CHECK(dom.find("Fetch B &lt;/script&gt;&lt;b&gt;x&lt;/b&gt;") != std::string::npos);
  CHECK(dom.find("<b>x</b>") == std::string::npos);

  // A selected node (#node=PATH) opens its details: times, error, events.
  std::string selected = browser.DumpDom(FileUrl(html, "#node=normalize"));
  CheckNoScriptErrors(selected);
  CHECK(selected.find("<h3>Normalize") != std::string::npos);
  CHECK(selected.find("bad row 17: unexpected &lt;EOF&gt; in \"amount\"") != std::string::npos);
}

TEST_CASE("browser: compare report puts both runs on one axis") {
  TempDir dir;
  std::string db = dir.File("t.db");
  std::string b = Replace(Replace(kNestedRun, "run-main", "run-b"), "run-child", "run-child-b");
  b = Replace(b, "1764000000", "1764000100");  // B starts 100 s later, same shape
  WriteFile(dir.File("a.jsonl"), kNestedRun);
  WriteFile(dir.File("b.jsonl"), b);
  REQUIRE(RunCli({"--db", db, "ingest", dir.File("a.jsonl"), dir.File("b.jsonl")}).exit_code == 0);
  std::string html = dir.File("compare.html");
  REQUIRE(RunCli({"--db", db, "report", "--compare", "run-main", "run-b", "-o", html}).exit_code ==
          0);

  Browser browser(dir);
  std::string png = dir.File("compare.png");
  browser.Screenshot(FileUrl(html), png);
  CheckScreenshot(png, "report_browser_compare.png");
  std::string dom = browser.DumpDom(FileUrl(html));
  CheckNoScriptErrors(dom);
  Element rendered = FindElement(dom, "rendered");
  CHECK(rendered.tag.find(R"(data-mode="compare")") != std::string::npos);
  CHECK(Lines(rendered.text) == kNestedPaths);
  CHECK(dom.find(R"(<table class="data" id="deltas">)") != std::string::npos);
}

TEST_CASE("browser: ten thousand nodes draw only the rows in view, fast") {
  TempDir dir;
  std::string db = dir.File("t.db");
  WriteFile(dir.File("big.jsonl"), TenThousandNodeRun());
  REQUIRE(RunCli({"--db", db, "ingest", dir.File("big.jsonl")}).exit_code == 0);
  std::string html = dir.File("big.html");
  auto start = std::chrono::steady_clock::now();
  REQUIRE(RunCli({"--db", db, "report", "run-10k", "-o", html}).exit_code == 0);
  double report_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("extrace report of 10,100 rows: %.2f s, %ju bytes\n", report_s,
              static_cast<uintmax_t>(fs::file_size(html)));

  Browser browser(dir);
  std::string png = dir.File("big.png");
  browser.Screenshot(FileUrl(html, "#node=g42s3t5"), png);
  CheckScreenshot(png, "report_browser_10k.png");

  // #bench: the page scrolls through all rows once, drawing each frame.
  std::string dom = browser.DumpDom(FileUrl(html, "#bench"));
  CheckNoScriptErrors(dom);
  Element rendered = FindElement(dom, "rendered");
  INFO(rendered.tag);
  CHECK(Attribute(rendered, "data-rows") == 10100);
  auto drawn = Attribute(rendered, "data-drawn");
  REQUIRE(drawn);
  CHECK(*drawn >= 10);  // a window's worth of rows ...
  CHECK(*drawn <= 60);  // ... not 10,000
  CHECK(Lines(rendered.text).front() == "g0");
  auto init_ms = Attribute(rendered, "data-init-ms");
  auto worst_ms = Attribute(rendered, "data-bench-worst-ms");
  REQUIRE((init_ms && worst_ms));
  std::printf("page: ready after %.1f ms, slowest of %g scrolled frames %.2f ms\n", *init_ms,
              Attribute(rendered, "data-bench-frames").value_or(0), *worst_ms);
  // Generous bounds (two busy cores): what they catch is drawing every row.
  CHECK(*init_ms < 5000);
  CHECK(*worst_ms < 100);
}

}  // namespace
}  // namespace extrace

namespace extrace {
namespace {

TEST_CASE("browser: the demo's demo-report.html shows the nodes of its run") {
  TempDir dir;
  // `make demo` as it runs, in a folder of its own: it ends by writing demo-report.html.
  ProcessResult demo =
      RunProcess("/bin/sh", {"-c", "cd '" + dir.path().string() + "' && '" + EXTRACE_DEMO +
                                       "' --db ./extrace.db --workdir ./demo-out"});
  INFO(demo.out << demo.err);
  REQUIRE(demo.exit_code == 0);
  std::string html = dir.File("demo-report.html");
  CHECK(demo.out.find("wrote " + html) != std::string::npos);
  REQUIRE(fs::exists(html));

  Browser browser(dir);
  std::string png = dir.File("demo.png");
  browser.Screenshot(FileUrl(html), png);
  CheckScreenshot(png, "report_browser_demo.png");
  std::string dom = browser.DumpDom(FileUrl(html));
  CheckNoScriptErrors(dom);
  Element rendered = FindElement(dom, "rendered");
  std::vector<std::string> paths = Lines(rendered.text);
  CHECK(Attribute(rendered, "data-drawn") == paths.size());
  for (const char* node : {"generate", "parse", "sort", "hash", "validate", "report"}) {
    INFO(node);
    CHECK(std::any_of(paths.begin(), paths.end(), [&](const std::string& path) {
      return path == node || path.ends_with(std::string("/") + node);
    }));
  }
  // The validation child run's nodes sit inside the validate node.
  CHECK(std::any_of(paths.begin(), paths.end(),
                    [](const std::string& path) { return path.starts_with("validate/"); }));
}

}  // namespace
}  // namespace extrace
