// Opening a PostgreSQL store from the CLI when something is wrong with it: a
// bad URI, a server nobody listens on, a wrong password, a missing database,
// another program's database, a read-only role, a schema from a newer
// extrace, and many processes creating one new database's schema at once.
// Each is one line on stderr with its documented exit code, and no message
// ever shows the password. Needs a real server (pg_virtualenv's PG* variables).
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "cli_test_support.h"
#include "pg_test_database.h"

namespace extrace::cli_test {
namespace {

using testing::RunProcessWithEnv;

const char kSecret[] = "s3cret-Pa55word-never-shown";

// Fails the test unless a server is there: a skipped PostgreSQL test must not pass.
void RequireServer() {
  const char* host = std::getenv("PGHOST");
  if (host == nullptr || *host == '\0')
    FAIL("PostgreSQL tests need a server: run them under pg_virtualenv (make test does)");
}

ProcessResult Psql(const std::string& database, const std::string& sql) {
  return RunProcess("/usr/bin/psql",
                    {"-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql});
}

void PsqlOk(const std::string& database, const std::string& sql) {
  ProcessResult result = Psql(database, sql);
  INFO(sql << "\n" << result.err);
  REQUIRE(result.exit_code == 0);
}

// A database of its own for one test, dropped at the end (pg_test_database.h).
using FreshDatabase = pg_test::Database;

std::string Port() {
  const char* port = std::getenv("PGPORT");
  return port ? port : "5432";
}

// A role with password kSecret that may read every table of `db`, no more.
void CreateReaderRole(const FreshDatabase& db, const std::string& role) {
  PsqlOk(db.name(),
         fmt::format("CREATE ROLE {0} LOGIN PASSWORD '{1}'; GRANT CONNECT ON DATABASE {2} "
                     "TO {0}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO {0}",
                     role, kSecret, db.name()));
}

// One line on stderr, naming the store without the password.
void RequireOneLineWithoutSecret(const ProcessResult& result) {
  INFO("stderr: " << result.err);
  REQUIRE(result.err.find(kSecret) == std::string::npos);
  REQUIRE(result.out.find(kSecret) == std::string::npos);
  REQUIRE(std::count(result.err.begin(), result.err.end(), '\n') == 1);
}

TEST_CASE("PostgreSQL: a bad URI or a server nobody listens on is a one-line error", "[postgres]") {
  RequireServer();
  ProcessResult bad_port = Cli("postgresql://localhost:notaport/x", {"list"});
  RequireOneLineWithoutSecret(bad_port);
  CHECK(bad_port.exit_code == 3);

  ProcessResult nobody =
      Cli(fmt::format("postgresql://someone:{}@127.0.0.1:1/extrace", kSecret), {"list"});
  RequireOneLineWithoutSecret(nobody);
  CHECK(nobody.exit_code == 14);
  CHECK(nobody.err.find("cannot reach the store") != std::string::npos);
  CHECK(nobody.err.find("postgresql://someone@127.0.0.1:1/extrace") != std::string::npos);
}

// Passwords in every place libpq takes them from a URI, and URIs whose
// password libpq's own message would quote: never on stderr.
TEST_CASE("PostgreSQL: no message shows a password, wherever the URI holds it", "[postgres]") {
  RequireServer();
  const std::vector<std::string> uris = {
      // libpq ends the userinfo at '@', so a password may hold '?'.
      fmt::format("postgresql://someone:{}?x@127.0.0.1:1/extrace", kSecret),
      // libpq decodes parameter names: pass%77ord is password.
      fmt::format("postgresql://127.0.0.1:1/extrace?pass%77ord={}", kSecret),
      fmt::format("postgresql://127.0.0.1:1/extrace?sslmode=disable&password={}", kSecret),
      // libpq's parse errors quote the whole URI.
      fmt::format("postgresql://someone:{}@[::1/extrace", kSecret),
      fmt::format("postgresql://someone:{}@[::1]x/extrace", kSecret),
      // ... or the parameter.
      fmt::format("postgresql://127.0.0.1:1/extrace?password={}=x", kSecret),
  };
  for (const std::string& uri : uris) {
    INFO(uri);
    ProcessResult result = Cli(uri, {"list"});
    RequireOneLineWithoutSecret(result);
    CHECK((result.exit_code == 3 || result.exit_code == 14));
  }
  // A URI libpq cannot parse is the user's mistake (3), not a server out of reach (14).
  CHECK(Cli(fmt::format("postgresql://someone:{}@[::1/extrace", kSecret), {"list"}).exit_code == 3);
  // libpq's key=value form is refused, not taken as a SQLite file's name.
  const std::string conninfo =
      fmt::format("host=127.0.0.1 port=1 dbname=extrace password={}", kSecret);
  ProcessResult keywords = testing::RunCliWithEnv({"list"}, {"EXTRACE_DB=" + conninfo});
  RequireOneLineWithoutSecret(keywords);
  CHECK(keywords.exit_code == 3);
  CHECK(keywords.err.find("postgresql:// URI") != std::string::npos);
  CHECK(!std::filesystem::exists(conninfo));
}

TEST_CASE("PostgreSQL: a wrong password and a missing database name the cause", "[postgres]") {
  FreshDatabase db;
  std::string user = std::getenv("PGUSER") ? std::getenv("PGUSER") : "postgres";
  // The password in the URI wins over PGPASSWORD.
  ProcessResult wrong = Cli(fmt::format("postgresql://{}:{}@localhost:{}/{}?sslmode=disable", user,
                                        kSecret, Port(), db.name()),
                            {"list"});
  RequireOneLineWithoutSecret(wrong);
  CHECK(wrong.exit_code == 15);
  CHECK(wrong.err.find("password authentication failed") != std::string::npos);

  ProcessResult missing = Cli("postgresql:///" + db.name() + "_nope", {"list"});
  RequireOneLineWithoutSecret(missing);
  CHECK(missing.exit_code == 5);
  CHECK(missing.err.find("does not exist") != std::string::npos);
}

TEST_CASE("PostgreSQL: another program's database is refused, and stays untouched", "[postgres]") {
  FreshDatabase db;
  PsqlOk(db.name(), "CREATE TABLE invoices (id int PRIMARY KEY)");
  ProcessResult ingest = Cli(db.uri(), {"ingest", "-"}, FullRun("r1"));
  RequireOneLineWithoutSecret(ingest);
  CHECK(ingest.exit_code == 9);
  CHECK(ingest.err.find("not an extrace database") != std::string::npos);
  ProcessResult tables = Psql(
      db.name(), "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'");
  CHECK(tables.out.find("invoices") != std::string::npos);
  CHECK(tables.out.find("event_log") == std::string::npos);
}

TEST_CASE("PostgreSQL: a schema from a newer extrace is refused", "[postgres]") {
  FreshDatabase db;
  CliOk(db.uri(), {"ingest", "-"}, FullRun("r1"));
  PsqlOk(db.name(), "UPDATE extrace_schema SET version = 99");
  ProcessResult list = Cli(db.uri(), {"list"});
  RequireOneLineWithoutSecret(list);
  CHECK(list.exit_code == 10);
}

TEST_CASE("PostgreSQL: a role that may only read lists and shows, and cannot write", "[postgres]") {
  FreshDatabase db;
  CliOk(db.uri(), {"ingest", "-"}, FullRun("r1"));
  std::string role = db.name() + "_reader";
  CreateReaderRole(db, role);
  std::string uri = fmt::format("postgresql://{}@localhost:{}/{}", role, Port(), db.name());
  const std::vector<std::string> env = {fmt::format("PGPASSWORD={}", kSecret)};
  ProcessResult list = testing::RunCliWithEnv({"--db", uri, "list", "--json"}, env);
  INFO("list: " << list.err);
  CHECK(list.exit_code == 0);
  CHECK(list.out.find("\"r1\"") != std::string::npos);
  ProcessResult show = testing::RunCliWithEnv({"--db", uri, "show", "r1", "--json"}, env);
  CHECK(show.exit_code == 0);

  ProcessResult ingest = testing::RunCliWithEnv({"--db", uri, "ingest", "-"}, env, FullRun("r2"));
  RequireOneLineWithoutSecret(ingest);
  CHECK(ingest.exit_code == 7);
  CHECK(ListJson(db.uri()).size() == 1);
  PsqlOk(db.name(), fmt::format("DROP OWNED BY {}", role));
  Psql("postgres", fmt::format("DROP ROLE IF EXISTS {}", role));
}

// A recorder closed while its store refuses the events says how many it
// lost and where: the store's name, never the URI it was opened with.
TEST_CASE("PostgreSQL: the recorder's line about lost events shows no password", "[postgres]") {
  FreshDatabase db;
  CliOk(db.uri(), {"ingest", "-"}, FullRun("r1"));
  std::string role = db.name() + "_lost";
  CreateReaderRole(db, role);
  // The role may read, so the recorder opens; every append is refused.
  std::string uri =
      fmt::format("postgresql://{}:{}@localhost:{}/{}", role, kSecret, Port(), db.name());
  ProcessResult writer = RunProcess(EXTRACE_TEST_HELPER, {"record", uri, "lost", "10", "5"});
  INFO("stderr: " << writer.err);
  CHECK(writer.exit_code == 3);
  CHECK(writer.err.find("could not be stored") != std::string::npos);
  CHECK(writer.err.find(kSecret) == std::string::npos);
  PsqlOk(db.name(), fmt::format("DROP OWNED BY {}", role));
  Psql("postgres", fmt::format("DROP ROLE IF EXISTS {}", role));
}

TEST_CASE("PostgreSQL: eight processes creating a new database's schema at once", "[postgres]") {
  FreshDatabase db;
  std::vector<ProcessResult> results(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] {
      results[i] = Cli(db.uri(), {"ingest", "-"}, FullRun("run-" + std::to_string(i)));
    });
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) {
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 0);
  }
  ProcessResult version = Psql(db.name(), "SELECT count(*), max(version) FROM extrace_schema");
  CHECK(version.out == "1|1\n");
  CHECK(ListJson(db.uri()).size() == 8);
}

}  // namespace
}  // namespace extrace::cli_test
