// The exit code of each documented failure of the CLI: an unknown run, a
// missing, newer, corrupt or read-only database, a read-only folder, a usage
// error.
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli_test_support.h"
#include "format/event_json.h"
#include "storage/event_store.h"
#include "test_support.h"

namespace extrace {
namespace {

using Catch::Matchers::Contains;
using cli_test::Cli;
using cli_test::CliOk;
using cli_test::CompletedLine;
using cli_test::FullRun;
using cli_test::LineCount;
using cli_test::Sqlite;
using cli_test::StartedLine;
using testing::ProcessResult;
using testing::RunCli;
using testing::RunProcess;
using testing::TempDir;
using testing::WriteFile;

TEST_CASE("cli show events and export of an unknown run exit 5", "[cli]") {
  TempDir dir;
  std::string db = dir.Store("trace.db");
  CliOk(db, {"ingest"}, FullRun("run-1"));
  auto args = GENERATE(
      std::vector<std::string>{"show", "nope"}, std::vector<std::string>{"show", "nope", "--json"},
      std::vector<std::string>{"events", "nope"}, std::vector<std::string>{"export", "nope"});
  INFO(args[0]);
  ProcessResult result = Cli(db, args);
  CHECK(result.exit_code == 5);
  CHECK(LineCount(result.err) == 1);
  CHECK_THAT(result.err, Contains("nope"));
  CHECK(result.out.empty());
}

TEST_CASE("cli reading a database file that does not exist exits 5", "[cli][sqlite-only]") {
  TempDir dir;
  std::string db = dir.File("missing.db");
  auto args = GENERATE(std::vector<std::string>{"show", "run-1"}, std::vector<std::string>{"list"},
                       std::vector<std::string>{"events", "run-1"});
  INFO(args[0]);
  ProcessResult result = Cli(db, args);
  CHECK(result.exit_code == 5);
  CHECK(LineCount(result.err) == 1);
  // Looking must not create it.
  CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("cli database with a newer schema exits 10", "[cli][sqlite-only]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  CliOk(db, {"ingest"}, FullRun("run-1"));
  Sqlite(db, "PRAGMA user_version = 99");
  auto args =
      GENERATE(std::vector<std::string>{"show", "run-1"},
               std::vector<std::string>{"list", "--json"}, std::vector<std::string>{"ingest"});
  INFO(args[0]);
  ProcessResult result = Cli(db, args, FullRun("run-2"));
  CHECK(result.exit_code == 10);
  CHECK(LineCount(result.err) == 1);
  CHECK_THAT(result.err, Contains("99"));
}

TEST_CASE("cli corrupt database exits 9", "[cli][sqlite-only]") {
  TempDir dir;
  std::string db = dir.File("trace.db");
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 7919 + 13) % 251));
  WriteFile(db, garbage);
  auto args = GENERATE(std::vector<std::string>{"show", "run-1"}, std::vector<std::string>{"list"},
                       std::vector<std::string>{"ingest"});
  INFO(args[0]);
  ProcessResult result = Cli(db, args, FullRun("run-1"));
  CHECK(result.exit_code == 9);
  CHECK(LineCount(result.err) == 1);
}

// Runs the CLI as a user that file permissions apply to: as root (who ignores
// them) through setpriv as nobody. Empty when that is not possible here.
std::optional<ProcessResult> RunCliUnprivileged(const std::vector<std::string>& args,
                                                const std::string& input = "") {
  if (geteuid() != 0) return RunCli(args, input);
  if (!std::filesystem::exists("/usr/bin/setpriv")) return std::nullopt;
  std::vector<std::string> full = {"--reuid=65534", "--regid=65534", "--clear-groups", EXTRACE_CLI};
  full.insert(full.end(), args.begin(), args.end());
  return RunProcess("/usr/bin/setpriv", full, input);
}

// Makes a folder one others may enter but not write, holding `files`
// read-only; makes it writable again on destruction so TempDir can remove it.
class ReadOnlyFolder {
 public:
  ReadOnlyFolder(std::string folder, const std::vector<std::string>& files)
      : folder_(std::move(folder)) {
    for (const auto& file : files) REQUIRE(chmod(file.c_str(), 0444) == 0);
    REQUIRE(chmod(folder_.c_str(), 0555) == 0);
  }
  ~ReadOnlyFolder() { chmod(folder_.c_str(), 0755); }
  ReadOnlyFolder(const ReadOnlyFolder&) = delete;
  ReadOnlyFolder& operator=(const ReadOnlyFolder&) = delete;

 private:
  std::string folder_;
};

TEST_CASE("cli ingest into a database without write permission exits 7", "[cli][sqlite-only]") {
  TempDir dir;
  std::string folder = dir.File("ro");
  std::filesystem::create_directory(folder);
  std::string db = folder + "/trace.db";
  CliOk(db, {"ingest"}, StartedLine("run-1", 1, "1759900000000") + "\n");
  ReadOnlyFolder read_only(folder, {db});
  REQUIRE(chmod(dir.path().c_str(), 0755) == 0);
  auto result =
      RunCliUnprivileged({"--db", db, "ingest"}, CompletedLine("run-1", 2, "1759900000001") + "\n");
  if (!result) {
    WARN("running as root without /usr/bin/setpriv: file permissions cannot be tested");
    return;
  }
  CHECK(result->exit_code == 7);
  CHECK(LineCount(result->err) == 1);
  // Reading still works.
  result = RunCliUnprivileged({"--db", db, "list", "--json"});
  INFO(result->err);
  REQUIRE(result->exit_code == 0);
  CHECK(boost::json::parse(result->out).as_array().at(0).at("eventCount") == 1);
}

// A copy of a store taken while its writer was still open (a crash, a backup of
// a live folder): committed events sit in trace.db-wal. Read from a folder the
// reader may not write, they must not silently go missing, and the existing
// file must not be reported as missing.
TEST_CASE("cli reading a copied store with a pending WAL in a read-only folder",
          "[cli][sqlite-only]") {
  TempDir dir;
  std::string folder = dir.File("ro");
  std::filesystem::create_directory(folder);
  std::string db = dir.File("live.db");
  std::string copy = folder + "/trace.db";
  {
    auto store = EventStore::Open(db);
    REQUIRE(store);
    EventParser parser;
    std::vector<Event> events;
    for (const std::string& line :
         {StartedLine("run-1", 1, "1759900000000"), CompletedLine("run-1", 2, "1759900000001")}) {
      auto event = parser.Parse(line);
      REQUIRE(event);
      events.push_back(*event);
    }
    AppendResult appended = (*store)->Append(events);
    REQUIRE(appended.status);
    REQUIRE(std::filesystem::file_size(db + "-wal") > 0);
    std::filesystem::copy_file(db, copy);
    std::filesystem::copy_file(db + "-wal", copy + "-wal");
  }
  ReadOnlyFolder read_only(folder, {copy, copy + "-wal"});
  REQUIRE(chmod(dir.path().c_str(), 0755) == 0);
  auto result = RunCliUnprivileged({"--db", copy, "list", "--json"});
  if (!result) {
    WARN("running as root without /usr/bin/setpriv: file permissions cannot be tested");
    return;
  }
  INFO("exit " << result->exit_code << ": " << result->err);
  CHECK(result->exit_code != 5);
  if (result->exit_code == 0) {
    auto runs = boost::json::parse(result->out).as_array();
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].at("eventCount") == 2);
  } else {
    CHECK(result->exit_code == 7);
  }
}

TEST_CASE("cli usage errors exit 2", "[cli][no-store]") {
  auto args =
      GENERATE(std::vector<std::string>{"frobnicate"}, std::vector<std::string>{},
               std::vector<std::string>{"show"}, std::vector<std::string>{"list", "--bogus"});
  TempDir dir;
  std::vector<std::string> with_db = {"--db", dir.File("trace.db")};
  with_db.insert(with_db.end(), args.begin(), args.end());
  ProcessResult result = RunCli(with_db);
  CHECK(result.exit_code == 2);
  CHECK_FALSE(result.err.empty());
  CHECK_FALSE(std::filesystem::exists(dir.File("trace.db")));
}

}  // namespace
}  // namespace extrace
