// The demo engine's work steps: real work on a deterministic dataset of sales
// records (generate a CSV, parse it, derive fields, sort, aggregate, hash,
// check, report). Nothing here knows about extrace: each step reports its
// progress through a ProgressFn, and the engine turns that into events.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace extrace::demo {

// Reports a step's own progress (0 to 100) with a message. May throw: the
// engine's fault injection (--fail-at) fails a step from here.
using ProgressFn = std::function<void(double percent, std::string_view message)>;

// Calls a ProgressFn each time a step crosses another tenth of its work.
class Ticker {
 public:
  Ticker(const ProgressFn& progress, uint64_t total)
      : progress_(progress), total_(total ? total : 1) {}
  // `done` of `total` units are done; `message` is built only when a tenth is crossed.
  template <typename MessageFn>
  void Update(uint64_t done, MessageFn&& message) {
    int tenth = static_cast<int>(done * 10 / total_);
    if (tenth <= last_tenth_) return;
    last_tenth_ = tenth;
    progress_(tenth * 10.0, message());
  }

 private:
  const ProgressFn& progress_;
  uint64_t total_;
  int last_tenth_ = 0;
};

inline constexpr std::array<std::string_view, 8> kCategories = {
    "books", "electronics", "garden", "grocery", "music", "outdoor", "toys", "apparel"};
inline constexpr int kRegions = 6;
inline constexpr int kBuckets = 16;

struct Record {
  uint32_t id = 0;
  int32_t day = 0;  // days since 1970-01-01
  uint8_t category = 0;
  uint8_t region = 0;
  uint32_t quantity = 0;
  double price = 0;
  // Derived by Transform.
  double total = 0;     // price * quantity
  double discount = 0;  // 0 to 0.15 by volume
  double net = 0;       // total after discount
  double score = 0;
  int bucket = 0;  // floor(log2(net + 1)), capped
};

struct CategoryStats {
  uint64_t count = 0;
  double net_sum = 0;
  double net_min = 0;
  double net_max = 0;
  uint64_t quantity = 0;
  double p50 = 0, p90 = 0, p99 = 0;  // of net
};

struct Stats {
  uint64_t records = 0;
  double net_sum = 0;
  uint64_t quantity = 0;
  int32_t first_day = 0, last_day = 0;
  std::array<CategoryStats, kCategories.size()> categories{};
  std::array<uint64_t, kRegions> regions{};
  std::array<uint64_t, kBuckets> buckets{};
};

std::string DayToIso(int32_t day);

// Writes `count` records made from `seed` to `path` as CSV; returns the bytes written.
uint64_t GenerateCsv(const std::string& path, uint64_t count, uint64_t seed,
                     const ProgressFn& progress);
// Reads and parses the CSV back; throws std::runtime_error naming the line at fault.
std::vector<Record> ParseCsv(const std::string& path, const ProgressFn& progress);
void Transform(std::vector<Record>& records, const ProgressFn& progress);
// The report's order: category, then net descending, then id.
bool ReportOrder(const Record& a, const Record& b);
// Sorts in chunks, then merges them: progress through both phases.
void SortRecords(std::vector<Record>& records, const ProgressFn& progress);
Stats ComputeStats(const std::vector<Record>& records, const ProgressFn& progress);
// 64-bit FNV-1a over each record's fields, in order.
uint64_t HashRecords(const std::vector<Record>& records, const ProgressFn& progress);

// Checks (the validation child run). Each throws std::runtime_error on a mismatch.
void CheckOrder(const std::vector<Record>& sorted, const ProgressFn& progress);
void CheckTotals(const std::vector<Record>& sorted, const Stats& stats, const ProgressFn& progress);
void CheckHash(const std::vector<Record>& sorted, uint64_t expected, const ProgressFn& progress);

struct ReportInput {
  std::string execution_id;
  uint64_t seed = 0;
  uint64_t csv_bytes = 0;
  const Stats* stats = nullptr;
  const std::vector<Record>* sorted = nullptr;
  uint64_t hash = 0;
};
void WriteReport(const std::string& path, const ReportInput& input, const ProgressFn& progress);

}  // namespace extrace::demo
