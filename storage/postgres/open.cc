// Opening the PostgreSQL event log: the connection (with a connect timeout),
// the session settings (durability, read-only, how long a lock is waited
// for), the schema, and the display name that never shows a password.
#include "storage/postgres/open.h"

#include <fmt/format.h>

#include <chrono>

#include "storage/postgres/errors.h"
#include "storage/postgres/migrations.h"
#include "storage/postgres/pg_store.h"
#include "storage/unexpected_error.h"

namespace extrace {
namespace {

// How long a connection attempt may take when the URI does not say.
constexpr int kConnectTimeoutSeconds = 10;

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// libpq's default connection attempt waits as long as the network does.
std::string WithConnectTimeout(const std::string& uri) {
  if (uri.find("connect_timeout=") != std::string::npos) return uri;
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") +
         fmt::format("connect_timeout={}", kConnectTimeoutSeconds);
}

// A server starting up or shutting down refuses connections for a moment.
bool IsServerMoment(const pg::Failure& failure) {
  std::string_view message = failure.what();
  return failure.sqlstate() == "57P03" ||
         message.find("the database system is starting up") != std::string_view::npos ||
         message.find("the database system is shutting down") != std::string_view::npos;
}

}  // namespace

bool IsPostgresUri(const std::string& uri) {
  return StartsWith(uri, "postgresql://") || StartsWith(uri, "postgres://");
}

std::string RedactedUri(const std::string& uri) {
  std::string out = uri;
  // scheme://user:password@host -> scheme://user@host
  size_t authority = out.find("://");
  if (authority != std::string::npos) {
    authority += 3;
    size_t end = out.find_first_of("/?", authority);
    size_t at = out.rfind('@', end == std::string::npos ? std::string::npos : end);
    if (at != std::string::npos && at >= authority) {
      size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  // ...?password=secret&... -> the parameter goes
  for (size_t at = out.find("password="); at != std::string::npos; at = out.find("password=")) {
    size_t start = at;
    if (start > 0 && (out[start - 1] == '&' || out[start - 1] == '?')) --start;
    size_t end = out.find('&', at);
    bool first = out[start] == '?';
    out.erase(start, end == std::string::npos ? std::string::npos : end - start);
    if (first && start < out.size() && out[start] == '&') out[start] = '?';
  }
  return out;
}

PostgresEventStore::PostgresEventStore(const std::string& conninfo, std::string display,
                                       const StoreOptions& options)
    : display_(std::move(display)), options_(options), db_(conninfo) {}

Error PostgresEventStore::Describe(const pg::Failure& failure, std::string_view what) const {
  return pg::ErrorFrom(failure, fmt::format("{}: {}", display_, what));
}

Error PostgresEventStore::DescribeUnexpected(std::string_view what) const {
  return extrace::DescribeUnexpected(display_, what);
}

void PostgresEventStore::ApplySessionSettings() {
  db_.Exec(options_.durability == Durability::kFull ? "SET synchronous_commit = on"
                                                    : "SET synchronous_commit = off");
  // A lock held longer than this is reported as busy (55P03) and retried by
  // appends within their budget, as SQLite's busy timeout.
  db_.Exec(fmt::format("SET lock_timeout = {}", options_.busy_timeout_ms));
  // Compiling a query costs 10-20 ms, more than any of ours takes to run.
  db_.Exec("SET jit = off");
  // A reader cannot change the store, whatever it runs (a read-only
  // migration only reads).
  if (options_.read_only) db_.Exec("SET default_transaction_read_only = on");
}

Status PostgresEventStore::Init() {
  auto migrated = Guarded<int>("opening the schema", [&]() -> Result<int> {
    ApplySessionSettings();
    return MigratePostgres(db_, display_, options_.read_only);
  });
  if (!migrated) return tl::unexpected(migrated.error());
  return {};
}

Result<std::unique_ptr<EventStore>> OpenPostgresStore(const std::string& uri,
                                                      const StoreOptions& options) {
  const std::string display = RedactedUri(uri);
  const std::string conninfo = WithConnectTimeout(uri);
  return RetryWithBackoff(
      RetryPolicy{.budget = std::chrono::milliseconds(options.busy_retry_budget_ms),
                  .max_pause = std::chrono::milliseconds(500)},
      [&]() -> Result<std::unique_ptr<EventStore>> {
        try {
          auto store = std::make_unique<PostgresEventStore>(conninfo, display, options);
          if (auto status = store->Init(); !status) return tl::unexpected(status.error());
          return std::unique_ptr<EventStore>(std::move(store));
        } catch (const pg::Failure& failure) {
          if (IsServerMoment(failure))  // retried below
            return MakeError(StatusCode::kBusy, pg::ErrorFrom(failure, display).message);
          return tl::unexpected(pg::ErrorFrom(failure, display));
        } catch (...) {
          return tl::unexpected(extrace::DescribeUnexpected(display, "opening"));
        }
      },
      [&](const Result<std::unique_ptr<EventStore>>& store, auto) {
        if (store) return RetryDecision::kStop;
        // Two processes creating the schema at once: the advisory lock orders
        // them, but a lock timeout (busy) may still reach here.
        return store.error().code == StatusCode::kBusy ? RetryDecision::kRetryAfterPause
                                                       : RetryDecision::kStop;
      });
}

}  // namespace extrace
