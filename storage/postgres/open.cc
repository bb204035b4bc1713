// Opening the PostgreSQL event log: the connection (with a connect timeout),
// the session settings (durability, read-only, how long a lock is waited
// for), the schema, and the display name that never shows a password.
#include "storage/postgres/open.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <vector>

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

// Where the host part of `uri` starts: after scheme:// and the userinfo.
// libpq's rule: the userinfo ends at the first '@' unless a '/' comes first,
// so a password may hold '?', '#' or ':'.
size_t HostStart(const std::string& uri) {
  size_t authority = uri.find("://");
  if (authority == std::string::npos) return 0;
  authority += 3;
  size_t at = uri.find_first_of("@/", authority);
  return at != std::string::npos && uri[at] == '@' ? at + 1 : authority;
}

// libpq's default connection attempt waits as long as the network does.
std::string WithConnectTimeout(const std::string& uri) {
  size_t query = uri.find('?', HostStart(uri));
  if (query != std::string::npos && uri.find("connect_timeout=", query) != std::string::npos)
    return uri;
  return uri + (query == std::string::npos ? "?" : "&") +
         fmt::format("connect_timeout={}", kConnectTimeoutSeconds);
}

// A server starting up or shutting down refuses connections for a moment.
bool IsServerMoment(const pg::Failure& failure) {
  std::string_view message = failure.what();
  return failure.sqlstate() == "57P03" ||
         message.find("the database system is starting up") != std::string_view::npos ||
         message.find("the database system is shutting down") != std::string_view::npos;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX sequences decoded (a malformed one stays as it is).
std::string PercentDecoded(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexDigit(text[i + 1]) >= 0 &&
        HexDigit(text[i + 2]) >= 0) {
      out += static_cast<char>(HexDigit(text[i + 1]) * 16 + HexDigit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The URI without its passwords, and the passwords (as written and decoded).
struct Redacted {
  std::string uri;
  std::vector<std::string> secrets;
};

Redacted Redact(const std::string& uri) {
  Redacted out{uri, {}};
  auto secret = [&](std::string_view text) {
    for (std::string value : {std::string(text), PercentDecoded(text)})
      if (!value.empty()) out.secrets.push_back(std::move(value));
  };
  size_t authority = out.uri.find("://");
  if (authority == std::string::npos) return out;
  authority += 3;
  // scheme://user:password@host -> scheme://user@host
  size_t host = HostStart(out.uri);
  if (size_t colon = out.uri.find(':', authority); host > authority && colon < host) {
    secret(std::string_view(out.uri).substr(colon + 1, host - 1 - colon - 1));
    out.uri.erase(colon, host - 1 - colon);
    host = colon + 1;
  }
  // ...?password=secret&... -> the parameter goes. libpq decodes the
  // parameter's name too (pass%77ord is password), so names are compared decoded.
  size_t query = out.uri.find('?', host);
  if (query == std::string::npos) return out;
  std::string kept;
  for (size_t from = query + 1; from <= out.uri.size();) {
    size_t amp = std::min(out.uri.find('&', from), out.uri.size());
    std::string_view param(out.uri.data() + from, amp - from);
    size_t equals = param.find('=');
    if (PercentDecoded(param.substr(0, equals)) == "password") {
      if (equals != std::string_view::npos) secret(param.substr(equals + 1));
    } else {
      kept += kept.empty() ? '?' : '&';
      kept += param;
    }
    from = amp + 1;
  }
  out.uri.erase(query);
  out.uri += kept;
  return out;
}

// libpq's own messages may quote the URI, a parameter or a port with the
// password in it ("unexpected character ... in URI: \"...\""): every
// password in `message` becomes "***".
std::string Scrubbed(std::string message, const Redacted& redacted) {
  for (const std::string& secret : redacted.secrets)
    for (size_t at = message.find(secret); at != std::string::npos;
         at = message.find(secret, at + 3))
      message.replace(at, secret.size(), "***");
  return message;
}

}  // namespace

bool IsPostgresUri(const std::string& uri) {
  return StartsWith(uri, "postgresql://") || StartsWith(uri, "postgres://");
}

std::string RedactedUri(const std::string& uri) { return Redact(uri).uri; }

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
  const Redacted redacted = Redact(uri);
  const std::string& display = redacted.uri;
  const std::string conninfo = WithConnectTimeout(uri);
  return RetryWithBackoff(
      RetryPolicy{.budget = std::chrono::milliseconds(options.busy_retry_budget_ms),
                  .max_pause = std::chrono::milliseconds(500)},
      [&]() -> Result<std::unique_ptr<EventStore>> {
        try {
          auto store = std::make_unique<PostgresEventStore>(conninfo, display, options);
          if (auto status = store->Init(); !status) return tl::unexpected(status.error());
          return std::unique_ptr<EventStore>(std::move(store));
        } catch (const pg::Failure& raw) {
          const pg::Failure failure(raw.sqlstate(), Scrubbed(raw.what(), redacted));
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
