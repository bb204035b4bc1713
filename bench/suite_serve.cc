// The suite's server cases (the issue of `extrace serve`), each against a real
// `extrace serve --listen 127.0.0.1:0` child over loopback (bench/http_client.h):
//   8. HTTP ingest by 4 producers in batches of 1,000 events against
//      `extrace ingest` of the same events from a file, with the latency of
//      each acknowledgement;
//   9. live latency, from a POST's acknowledgement to the event on an SSE
//      subscriber of its run;
//  10. `GET /v1/runs?limit=50` and `GET /v1/runs/{id}` by 4 readers over a
//      store of 10,000 runs while a producer keeps posting new runs.
#include <fmt/format.h>

#include <atomic>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "bench/flow_generator.h"
#include "bench/http_client.h"
#include "bench/raw_sqlite.h"
#include "bench/subprocess.h"
#include "bench/suite.h"

namespace extrace::bench {
namespace {

namespace fs = std::filesystem;

constexpr size_t kProducers = 4;
constexpr size_t kReaders = 4;
constexpr int64_t kBatchLines = 1000;

double MsSince(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

std::string P50P99(const std::vector<double>& ms) {
  return fmt::format("{:.2f} / {:.2f} ms", Percentile(ms, 0.5), Percentile(ms, 0.99));
}

// The answer of a POST /v1/events that must have stored everything it sent.
void CheckIngestAnswer(const HttpResponse& r, int64_t* stored, int64_t* duplicates) {
  if (r.status != 200)
    throw std::runtime_error(
        fmt::format("POST /v1/events answered {}: {}", r.status, r.body.substr(0, 500)));
  const auto doc = boost::json::parse(r.body).as_object();
  *stored += doc.at("stored").to_number<int64_t>();
  *duplicates += doc.at("duplicates").to_number<int64_t>();
}

// The threads' first error, rethrown by the driver after joining them.
class FirstError {
 public:
  void Set(const std::string& what) {
    std::lock_guard lock(mutex_);
    if (what_.empty()) what_ = what;
  }
  void ThrowIfAny() {
    std::lock_guard lock(mutex_);
    if (!what_.empty()) throw std::runtime_error(what_);
  }

 private:
  std::mutex mutex_;
  std::string what_;
};

// Runs each worker on a thread of its own with its own keep-alive connection
// to `port`; they start together once all are connected. Returns the seconds
// from that start until the last one returned; rethrows the first error.
double RunTogether(uint16_t port,
                   const std::vector<std::function<void(HttpConnection&)>>& workers) {
  FirstError error;
  std::latch ready(static_cast<std::ptrdiff_t>(workers.size()) + 1);
  std::vector<std::thread> threads;
  for (const auto& work : workers)
    threads.emplace_back([&] {
      std::unique_ptr<HttpConnection> conn;
      try {
        conn = std::make_unique<HttpConnection>(port);
      } catch (const std::exception& e) {
        error.Set(e.what());
      }
      ready.arrive_and_wait();
      try {
        if (conn) work(*conn);
      } catch (const std::exception& e) {
        error.Set(e.what());
      }
    });
  ready.arrive_and_wait();
  const auto begin = Clock::now();
  for (auto& t : threads) t.join();
  const double seconds = Seconds(begin);
  error.ThrowIfAny();
  return seconds;
}

// Events in a store, counted by `extrace query ... --json` (argv) once the
// server has stopped.
int64_t StoredEvents(const std::vector<std::string>& argv, const std::string& out) {
  RunChecked(argv, {0}, out);
  const auto rows = boost::json::parse(ReadFile(out)).as_array();
  fs::remove(out);
  return rows.at(0).as_object().at("n").to_number<int64_t>();
}

}  // namespace

void Suite::ServeIngest() {
  GenOptions options;
  options.seed = 21;
  const int64_t per_run = EventGenerator(options, 0).events_per_run();
  const int64_t runs =
      std::max<int64_t>(2 * static_cast<int64_t>(kProducers), c_.Scaled(1000000) / per_run);
  const int64_t count = runs * per_run;
  Progress(fmt::format("serve ingest: generating {} events ({} runs)", count, runs));
  // The file for `extrace ingest`, and the same lines split by run across the
  // producers (run r to producer r % 4), each in its runs' order, cut into
  // bodies of 1,000 lines.
  const std::string file = c_.Path("serve-ingest.jsonl");
  std::vector<std::vector<std::string>> bodies(kProducers);
  {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::fopen(file.c_str(), "wb"),
                                                        &std::fclose);
    if (!out) throw std::runtime_error("cannot write " + file);
    std::vector<std::string> body(kProducers);
    std::vector<int64_t> lines(kProducers, 0);
    std::string line, buffer;
    EventGenerator gen(options, count);
    GenEvent event;
    while (gen.Next(event)) {
      line.clear();
      gen.AppendJsonLine(event, line);
      buffer += line;
      const size_t p = static_cast<size_t>(event.run) % kProducers;
      body[p] += line;
      if (++lines[p] == kBatchLines) {
        bodies[p].push_back(std::move(body[p]));
        body[p].clear();
        lines[p] = 0;
      }
      if (buffer.size() >= (1 << 20)) {
        if (std::fwrite(buffer.data(), 1, buffer.size(), out.get()) != buffer.size())
          throw std::runtime_error("cannot write " + file);
        buffer.clear();
      }
    }
    for (size_t p = 0; p < body.size(); ++p)
      if (!body[p].empty()) bodies[p].push_back(std::move(body[p]));
    if (std::fwrite(buffer.data(), 1, buffer.size(), out.get()) != buffer.size() ||
        std::fclose(out.release()) != 0)
      throw std::runtime_error("cannot write " + file);
  }

  Progress("serve ingest: baseline, extrace ingest FILE");
  const std::string file_db = c_.Path("serve-file.db");
  RemoveDatabase(file_db);
  ProcessResult ingest = RunChecked(Cli({"ingest", file}, file_db));
  const double file_rate = static_cast<double>(count) / ingest.wall_seconds;

  Progress("serve ingest: 4 producers POST /v1/events to extrace serve");
  const std::string http_db = c_.Path("serve-http.db");
  RemoveDatabase(http_db);
  ServeProcess server(Cli({"serve", "--listen", "127.0.0.1:0"}, http_db));
  std::vector<std::vector<double>> ack_ms(kProducers);
  std::vector<int64_t> stored(kProducers, 0), duplicates(kProducers, 0);
  std::vector<std::function<void(HttpConnection&)>> producers;
  for (size_t p = 0; p < kProducers; ++p)
    producers.push_back([&, p](HttpConnection& conn) {
      for (const auto& body : bodies[p]) {
        auto sent = Clock::now();
        HttpResponse r = conn.Request("POST", "/v1/events", body);
        ack_ms[p].push_back(MsSince(sent));
        CheckIngestAnswer(r, &stored[p], &duplicates[p]);
      }
    });
  const double http_seconds = RunTogether(server.port(), producers);
  const auto stopped = server.Stop();
  const double http_rate = static_cast<double>(count) / http_seconds;

  // A benchmark that silently loses events is worthless: both stores hold them all.
  int64_t acked = 0, dups = 0;
  std::vector<double> all_ms;
  for (size_t p = 0; p < kProducers; ++p) {
    acked += stored[p];
    dups += duplicates[p];
    all_ms.insert(all_ms.end(), ack_ms[p].begin(), ack_ms[p].end());
  }
  const std::string sql = "SELECT count(*) AS n FROM events";
  const int64_t in_http =
      StoredEvents(Cli({"query", sql, "--json"}, http_db), c_.Path("count.json"));
  const int64_t in_file =
      StoredEvents(Cli({"query", sql, "--json"}, file_db), c_.Path("count.json"));
  if (acked != count || dups != 0 || in_http != count || in_file != count)
    throw std::runtime_error(fmt::format(
        "serve ingest lost events: sent {}, acknowledged {} stored + {} duplicates, the served "
        "store holds {}, the ingested one {}",
        count, acked, dups, in_http, in_file));

  rows_.push_back({fmt::format("HTTP ingest, 4 producers x 1,000-event POSTs, {} events, ev/s "
                               "(vs `extrace ingest` of the file)",
                               Count(static_cast<double>(count))),
                   Rate(http_rate), Rate(file_rate), Ratio(http_rate / file_rate), ">= 0.5x",
                   YesNo(http_rate >= 0.5 * file_rate)});
  rows_.push_back({"HTTP ingest acknowledgement latency p50 / p99 (1,000-event POST to its 200)",
                   P50P99(all_ms), "-", "-", "shown", "-"});
  notes_.push_back(fmt::format(
      "Serve ingest: {} runs of the 65-node flow ({} events, {}) split by run across 4 "
      "producer threads (run r to producer r mod 4, each keeping its runs' event order), each "
      "POSTing its JSON Lines in bodies of 1,000 lines on one keep-alive connection to "
      "`extrace serve --listen 127.0.0.1:0` (default options: durability full, 4 threads), "
      "timed from the first request to the last 200 ({} POSTs, max acknowledgement {:.1f} ms). "
      "Every 200's `stored` was summed and `extrace query \"{}\"` counted each store "
      "afterwards: all {} events in both. Baseline: `extrace --db DB ingest FILE` of the same "
      "lines in the file's order, as a child process (spawn to exit). The server used {:.1f} s "
      "of CPU over its life ({:.1f} us/event) for {:.1f} s of wall time; the driver's "
      "producers share the same 2 cores.",
      runs, count, Mb(FileSize(file)), all_ms.size(),
      all_ms.empty() ? 0.0 : *std::max_element(all_ms.begin(), all_ms.end()), sql, count,
      stopped.cpu_seconds, stopped.cpu_seconds * 1e6 / static_cast<double>(count), http_seconds));
  fs::remove(file);
  RemoveDatabase(file_db);
  RemoveDatabase(http_db);
}

void Suite::ServeLive() {
  GenOptions options;
  options.seed = 22;
  options.progress_per_leaf = c_.quick ? 4 : 24;
  EventGenerator gen(options, EventGenerator(options, 0).events_per_run());
  const int64_t count = gen.events_per_run();
  const std::string id = gen.ExecutionId(0);
  std::vector<std::string> lines(static_cast<size_t>(count) + 1);
  GenEvent event;
  while (gen.Next(event)) gen.AppendJsonLine(event, lines[static_cast<size_t>(event.seq)]);
  Progress(
      fmt::format("serve live: one run of {} events, 1-10 per POST, to an SSE subscriber", count));

  const std::string db = c_.Path("serve-live.db");
  RemoveDatabase(db);
  ServeProcess server(Cli({"serve", "--listen", "127.0.0.1:0"}, db));
  // The subscriber comes first: the server waits for the run.
  EventStreamReader reader(server.port(), "/v1/runs/" + id + "/stream");
  if (int status = reader.Open(); status != 200)
    throw std::runtime_error(fmt::format("GET /v1/runs/{}/stream answered {}", id, status));
  const auto n = static_cast<size_t>(count) + 1;
  std::vector<Clock::time_point> read_at(n), ack_at(n);
  std::vector<char> seen(n, 0);
  std::atomic<bool> ended{false}, done{false};
  FirstError error;
  std::thread subscriber([&] {
    try {
      ended = reader.ReadUntilEnd([&](int64_t seq, Clock::time_point when) {
        if (seq < 1 || seq > count || seen[static_cast<size_t>(seq)]) return;
        seen[static_cast<size_t>(seq)] = 1;
        read_at[static_cast<size_t>(seq)] = when;
      });
    } catch (const std::exception& e) {
      error.Set(e.what());
    }
    done = true;
  });

  std::mt19937 rng(5);
  int posts = 0;
  std::vector<double> post_ms;
  try {
    HttpConnection conn(server.port());
    std::string body;
    int64_t stored = 0, duplicates = 0;
    for (int64_t seq = 1; seq <= count;) {
      const int64_t batch = std::min<int64_t>(1 + rng() % 10, count - seq + 1);
      body.clear();
      for (int64_t s = seq; s < seq + batch; ++s) body += lines[static_cast<size_t>(s)];
      auto sent = Clock::now();
      HttpResponse r = conn.Request("POST", "/v1/events", body);
      const auto acked = Clock::now();
      post_ms.push_back(std::chrono::duration<double, std::milli>(acked - sent).count());
      CheckIngestAnswer(r, &stored, &duplicates);
      for (int64_t s = seq; s < seq + batch; ++s) ack_at[static_cast<size_t>(s)] = acked;
      seq += batch;
      ++posts;
      std::this_thread::sleep_for(std::chrono::microseconds(500 + rng() % 2500));
    }
    if (stored != count) throw std::runtime_error("serve live: the server stored fewer events");
  } catch (const std::exception& e) {
    error.Set(e.what());
  }
  // The end event follows the last commit at once; give it 10 s at most.
  for (int i = 0; i < 1000 && !done; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!done) reader.Abort();
  subscriber.join();
  error.ThrowIfAny();
  server.Stop();

  std::vector<double> latency_ms;
  int64_t missing = 0, before_ack = 0;
  for (size_t s = 1; s < n; ++s) {
    if (!seen[s]) {
      ++missing;
      continue;
    }
    const double ms = std::chrono::duration<double, std::milli>(read_at[s] - ack_at[s]).count();
    if (ms < 0) ++before_ack;
    latency_ms.push_back(std::max(0.0, ms));
  }
  if (missing > 0 || !ended)
    throw std::runtime_error(fmt::format("serve live: the subscriber missed {} of {} events{}",
                                         missing, count, ended ? "" : " and got no end event"));
  const double p99 = Percentile(latency_ms, 0.99);
  rows_.push_back({"live: POST acknowledgement to the event on an SSE subscriber, p50 / p99",
                   P50P99(latency_ms), "-", "-", "p99 < 100 ms", YesNo(p99 < 100)});
  notes_.push_back(fmt::format(
      "Live: one run of the 65-node flow with {} progress events per leaf ({} events) POSTed "
      "on one keep-alive connection in {} POSTs of 1 to 10 events, 0.5-3 ms apart, while one "
      "subscriber reads `GET /v1/runs/{{id}}/stream` (opened before the run existed) on a raw "
      "socket. Per event: the time the subscriber's read returned the `id:` line minus the time "
      "the producer had read the POST's 200, clamped at 0 ({} events, {:.0f}%, arrived before "
      "the producer had read the 200); max {:.2f} ms. The POSTs themselves took p50 / p99 {}.",
      options.progress_per_leaf, count, posts, before_ack,
      100.0 * static_cast<double>(before_ack) / static_cast<double>(count),
      *std::max_element(latency_ms.begin(), latency_ms.end()), P50P99(post_ms)));
  RemoveDatabase(db);
}

void Suite::ServeReads() {
  const int64_t runs = std::max<int64_t>(20, std::llround(10000 * c_.scale));
  GenOptions options;
  options.seed = 23;
  const EventGenerator sizing(options, 0);
  const int64_t count = runs * sizing.events_per_run();
  Progress(
      fmt::format("serve reads: a store of {} runs of the 65-node flow ({} events)", runs, count));
  const std::string file = c_.Path("serve-runs.jsonl");
  WriteJsonLines(file, options, count);
  const std::string db = c_.Path("serve-runs.db");
  RemoveDatabase(db);
  ProcessResult ingest = RunChecked(Cli({"ingest", file}, db));
  fs::remove(file);
  ServeProcess server(Cli({"serve", "--listen", "127.0.0.1:0"}, db));
  const std::string list_target = "/v1/runs?limit=50";
  auto run_target = [&](std::mt19937& rng) {
    return "/v1/runs/" + sizing.ExecutionId(static_cast<int64_t>(rng() % runs));
  };
  int64_t list_bytes = 0, run_bytes = 0;
  auto timed_get = [](HttpConnection& conn, const std::string& target, std::vector<double>& ms,
                      int64_t* bytes) {
    auto sent = Clock::now();
    HttpResponse r = conn.Request("GET", target);
    ms.push_back(MsSince(sent));
    if (r.status != 200 || r.body.size() < 2)
      throw std::runtime_error(
          fmt::format("GET {} answered {}: {}", target, r.status, r.body.substr(0, 300)));
    *bytes = static_cast<int64_t>(r.body.size());
  };

  // Baseline: the same requests from one reader, nothing else running.
  Progress("serve reads: one reader, no ingest (baseline)");
  std::vector<double> idle_list, idle_run;
  {
    HttpConnection conn(server.port());
    std::mt19937 rng(99);
    const int each = c_.quick ? 30 : 200;
    for (int i = 0; i < each; ++i) {
      timed_get(conn, list_target, idle_list, &list_bytes);
      timed_get(conn, run_target(rng), idle_run, &run_bytes);
    }
  }

  const double seconds = c_.quick ? 3 : 15;
  Progress(
      fmt::format("serve reads: 4 readers for {:.0f} s while a producer POSTs new runs", seconds));
  // The producer posts until the last reader is done.
  std::atomic<int> reading{static_cast<int>(kReaders)};
  int64_t ingested = 0;
  std::vector<double> ingest_ms;
  double ingest_seconds = 0;
  std::vector<std::function<void(HttpConnection&)>> workers;
  workers.push_back([&](HttpConnection& conn) {
    GenOptions more = options;
    more.seed = 24;  // other execution ids: new runs
    EventGenerator gen(more, int64_t{1} << 40);
    const auto begin = Clock::now();
    std::string body;
    GenEvent event;
    int64_t duplicates = 0;
    while (reading > 0) {
      body.clear();
      for (int64_t i = 0; i < kBatchLines && gen.Next(event); ++i) gen.AppendJsonLine(event, body);
      auto sent = Clock::now();
      HttpResponse r = conn.Request("POST", "/v1/events", body);
      ingest_ms.push_back(MsSince(sent));
      CheckIngestAnswer(r, &ingested, &duplicates);
    }
    ingest_seconds = Seconds(begin);
  });
  std::vector<std::vector<double>> list_ms(kReaders), run_ms(kReaders);
  for (size_t t = 0; t < kReaders; ++t)
    workers.push_back([&, t](HttpConnection& conn) {
      std::mt19937 rng(static_cast<unsigned>(100 + t));
      int64_t bytes = 0;
      const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
      try {
        while (Clock::now() < deadline) {
          timed_get(conn, list_target, list_ms[t], &bytes);
          timed_get(conn, run_target(rng), run_ms[t], &bytes);
        }
      } catch (...) {
        reading = 0;
        throw;
      }
      --reading;
    });
  RunTogether(server.port(), workers);
  const auto stopped = server.Stop();

  std::vector<double> all_list, all_run;
  for (size_t t = 0; t < kReaders; ++t) {
    all_list.insert(all_list.end(), list_ms[t].begin(), list_ms[t].end());
    all_run.insert(all_run.end(), run_ms[t].begin(), run_ms[t].end());
  }
  auto row = [&](const std::string& what, const std::vector<double>& loaded,
                 const std::vector<double>& idle) {
    const double p99 = Percentile(loaded, 0.99), idle_p99 = Percentile(idle, 0.99);
    rows_.push_back({fmt::format("`{}` at {} runs of 65 nodes, 4 readers during HTTP ingest, "
                                 "p50 / p99 (vs p99 of 1 reader, no ingest)",
                                 what, runs),
                     P50P99(loaded), Ms(idle_p99), Ratio(p99 / idle_p99), "p99 < 50 ms",
                     YesNo(p99 < 50)});
  };
  row("GET /v1/runs?limit=50", all_list, idle_list);
  row("GET /v1/runs/{id}", all_run, idle_run);
  notes_.push_back(fmt::format(
      "Serve reads: {} runs of the 65-node flow ({} events, stored by `extrace ingest` in "
      "{:.1f} s) served by `extrace serve` (default options). Baseline: one reader alone, {} "
      "of each request in turn (p50 {:.2f} ms for the list, {:.2f} ms for a run). Then for {:.0f} "
      "s, 4 reader threads, "
      "each on its own keep-alive connection, alternate `GET {}` ({} bytes) and `GET "
      "/v1/runs/{{id}}` of a random stored run ({} bytes), {} and {} requests in all, while a "
      "producer POSTs new runs in 1,000-event bodies: {} events stored at {} (POSTs p50 / p99 "
      "{}). The server used {:.1f} s of CPU over its life; readers, producer and server share "
      "the 2 cores.",
      runs, count, ingest.wall_seconds, idle_list.size(), Percentile(idle_list, 0.5),
      Percentile(idle_run, 0.5), seconds, list_target, list_bytes, run_bytes, all_list.size(),
      all_run.size(), ingested, Rate(static_cast<double>(ingested) / ingest_seconds),
      P50P99(ingest_ms), stopped.cpu_seconds));
  RemoveDatabase(db);
}

}  // namespace extrace::bench
