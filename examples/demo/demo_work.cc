// The demo engine's work steps: see demo_work.h.
#include "examples/demo/demo_work.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace extrace::demo {
namespace {

constexpr int32_t kFirstDay = 19723;  // 2024-01-01
constexpr int kDays = 366;
constexpr std::string_view kHeader = "id,date,category,region,quantity,price";

// splitmix64: small, fast, and the same numbers everywhere.
struct SplitMix64 {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
};

// Howard Hinnant's days_from_civil / civil_from_days.
int32_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int32_t>(doe) - 719468;
}

std::string MegaBytes(uint64_t bytes) {
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
}

[[noreturn]] void BadLine(uint64_t line, std::string_view what) {
  throw std::runtime_error(fmt::format("data.csv line {}: {}", line, what));
}

template <typename T>
T ParseNumber(std::string_view field, uint64_t line, std::string_view name) {
  T value{};
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (ec != std::errc() || end != field.data() + field.size())
    BadLine(line, fmt::format("{}: not a number: \"{}\"", name, field));
  return value;
}

int32_t ParseDay(std::string_view field, uint64_t line) {
  if (field.size() != 10 || field[4] != '-' || field[7] != '-')
    BadLine(line, "date: not YYYY-MM-DD");
  int y = ParseNumber<int>(field.substr(0, 4), line, "date year");
  unsigned m = ParseNumber<unsigned>(field.substr(5, 2), line, "date month");
  unsigned d = ParseNumber<unsigned>(field.substr(8, 2), line, "date day");
  if (m < 1 || m > 12 || d < 1 || d > 31) BadLine(line, "date: out of range");
  return DaysFromCivil(y, m, d);
}

void HashBytes(uint64_t& h, uint64_t word) {
  for (int i = 0; i < 8; ++i) {
    h ^= (word >> (8 * i)) & 0xff;
    h *= 0x100000001b3ULL;
  }
}

}  // namespace

std::string DayToIso(int32_t z) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int y = static_cast<int>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return fmt::format("{:04}-{:02}-{:02}", y + (m <= 2), m, d);
}

uint64_t GenerateCsv(const std::string& path, uint64_t count, uint64_t seed,
                     const ProgressFn& progress) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file)
    throw std::runtime_error(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  SplitMix64 random{seed};
  std::string buffer;
  buffer.reserve(1 << 20);
  uint64_t written = 0;
  auto flush = [&] {
    if (std::fwrite(buffer.data(), 1, buffer.size(), file) != buffer.size()) {
      std::fclose(file);
      throw std::runtime_error(fmt::format("{}: write failed: {}", path, std::strerror(errno)));
    }
    written += buffer.size();
    buffer.clear();
  };
  buffer.append(kHeader).push_back('\n');
  Ticker ticker(progress, count);
  char number[32];
  for (uint64_t i = 0; i < count; ++i) {
    int32_t day = kFirstDay + static_cast<int32_t>(random.Next() % kDays);
    // Skewed categories: the first ones sell more.
    double c = random.Uniform();
    size_t category =
        std::min(kCategories.size() - 1, static_cast<size_t>(c * c * kCategories.size()));
    int region = static_cast<int>(random.Next() % kRegions);
    uint64_t quantity = 1 + random.Next() % 20;
    if (random.Next() % 50 == 0) quantity = 20 + random.Next() % 181;      // bulk orders
    long long cents = std::llround(100 * std::exp(random.Uniform() * 7));  // 1.00 to ~1100
    auto put = [&](auto value) {
      auto [end, ec] = std::to_chars(number, number + sizeof number, value);
      buffer.append(number, end);
    };
    put(i + 1);
    buffer.push_back(',');
    buffer += DayToIso(day);
    buffer.push_back(',');
    buffer += kCategories[category];
    buffer.append(",R");
    put(region);
    buffer.push_back(',');
    put(quantity);
    buffer.push_back(',');
    auto [end, ec] =
        std::to_chars(number, number + sizeof number, cents / 100.0, std::chars_format::fixed, 2);
    buffer.append(number, end);
    buffer.push_back('\n');
    if (buffer.size() > (1 << 20) - 256) flush();
    ticker.Update(i + 1, [&] {
      return fmt::format("wrote {} of {} records ({})", i + 1, count,
                         MegaBytes(written + buffer.size()));
    });
  }
  flush();
  if (std::fclose(file) != 0)
    throw std::runtime_error(fmt::format("{}: close failed: {}", path, std::strerror(errno)));
  return written;
}

std::vector<Record> ParseCsv(const std::string& path, const ProgressFn& progress) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string_view rest(text);
  auto next_line = [&] {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    return line;
  };
  if (next_line() != kHeader) BadLine(1, fmt::format("header: expected \"{}\"", kHeader));
  std::vector<Record> records;
  records.reserve(text.size() / 40);
  Ticker ticker(progress, text.size());
  uint64_t line_number = 1;
  std::string_view fields[6];
  while (!rest.empty()) {
    std::string_view line = next_line();
    ++line_number;
    size_t n = 0;
    while (true) {
      if (n == 6) {  // a seventh field
        ++n;
        break;
      }
      size_t comma = line.find(',');
      fields[n++] = line.substr(0, comma);
      if (comma == std::string_view::npos) break;
      line.remove_prefix(comma + 1);
    }
    if (n != 6) BadLine(line_number, "expected 6 fields");
    Record r;
    r.id = ParseNumber<uint32_t>(fields[0], line_number, "id");
    r.day = ParseDay(fields[1], line_number);
    auto category = std::find(kCategories.begin(), kCategories.end(), fields[2]);
    if (category == kCategories.end())
      BadLine(line_number, fmt::format("unknown category \"{}\"", fields[2]));
    r.category = static_cast<uint8_t>(category - kCategories.begin());
    if (fields[3].size() < 2 || fields[3][0] != 'R') BadLine(line_number, "region: expected R<n>");
    r.region = ParseNumber<uint8_t>(fields[3].substr(1), line_number, "region");
    r.quantity = ParseNumber<uint32_t>(fields[4], line_number, "quantity");
    r.price = ParseNumber<double>(fields[5], line_number, "price");
    records.push_back(r);
    uint64_t consumed = text.size() - rest.size();
    ticker.Update(consumed, [&] {
      return fmt::format("parsed {} records ({} of {})", records.size(), MegaBytes(consumed),
                         MegaBytes(text.size()));
    });
  }
  return records;
}

void Transform(std::vector<Record>& records, const ProgressFn& progress) {
  Ticker ticker(progress, records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    Record& r = records[i];
    r.total = r.price * r.quantity;
    r.discount = r.quantity >= 100 ? 0.15 : r.quantity >= 50 ? 0.10 : r.quantity >= 10 ? 0.05 : 0.0;
    r.net = std::round(r.total * (1 - r.discount) * 100) / 100;
    int weekday = static_cast<int>((r.day + 4) % 7);  // 1970-01-01 was a Thursday (4)
    r.score = std::log1p(r.net) * (1 + 0.1 * r.region) + (weekday == 0 || weekday == 6 ? 0.5 : 0.0);
    r.bucket = std::min(kBuckets - 1, static_cast<int>(std::log2(r.net + 1)));
    ticker.Update(i + 1, [&] {
      return fmt::format("derived fields of {} of {} records", i + 1, records.size());
    });
  }
}

bool ReportOrder(const Record& a, const Record& b) {
  if (a.category != b.category) return a.category < b.category;
  if (a.net != b.net) return a.net > b.net;
  return a.id < b.id;
}

void SortRecords(std::vector<Record>& records, const ProgressFn& progress) {
  constexpr size_t kChunks = 8;  // sorted one by one (70%), then merged in 3 passes (30%)
  const size_t n = records.size();
  auto bound = [&](size_t k) {
    return records.begin() + static_cast<ptrdiff_t>(std::min(n, n * k / kChunks));
  };
  for (size_t k = 0; k < kChunks; ++k) {
    std::sort(bound(k), bound(k + 1), ReportOrder);
    progress(
        70.0 * static_cast<double>(k + 1) / kChunks,
        fmt::format("sorted chunk {} of {} ({} records)", k + 1, kChunks, bound(k + 1) - bound(k)));
  }
  int pass = 0;
  for (size_t width = 1; width < kChunks; width *= 2) {
    ++pass;
    for (size_t k = 0; k + width < kChunks; k += 2 * width)
      std::inplace_merge(bound(k), bound(k + width), bound(std::min(kChunks, k + 2 * width)),
                         ReportOrder);
    progress(70.0 + 10.0 * pass,
             fmt::format("merge pass {} of 3: runs of {} chunks", pass, 2 * width));
  }
}

Stats ComputeStats(const std::vector<Record>& records, const ProgressFn& progress) {
  Stats s;
  const uint64_t n = records.size();
  // One pass (2/3 of the work), then percentiles per category (1/3).
  Ticker ticker(progress, n + n / 2);
  std::array<std::vector<double>, kCategories.size()> nets;
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    CategoryStats& c = s.categories[r.category];
    if (c.count == 0 || r.net < c.net_min) c.net_min = r.net;
    if (c.count == 0 || r.net > c.net_max) c.net_max = r.net;
    ++c.count;
    c.net_sum += r.net;
    c.quantity += r.quantity;
    nets[r.category].push_back(r.net);
    if (s.records == 0 || r.day < s.first_day) s.first_day = r.day;
    if (s.records == 0 || r.day > s.last_day) s.last_day = r.day;
    ++s.records;
    s.net_sum += r.net;
    s.quantity += r.quantity;
    ++s.regions[r.region % kRegions];
    ++s.buckets[r.bucket];
    ticker.Update(i + 1, [&] {
      return fmt::format("aggregated {} of {} records, net so far {:.2f}", i + 1, n, s.net_sum);
    });
  }
  uint64_t done = 0;
  for (size_t c = 0; c < kCategories.size(); ++c) {
    std::vector<double>& v = nets[c];
    auto at = [&](double q) {
      if (v.empty()) return 0.0;
      auto k = v.begin() +
               static_cast<ptrdiff_t>(std::min(v.size() - 1, static_cast<size_t>(q * v.size())));
      std::nth_element(v.begin(), k, v.end());
      return *k;
    };
    s.categories[c].p50 = at(0.50);
    s.categories[c].p90 = at(0.90);
    s.categories[c].p99 = at(0.99);
    done += v.size();
    ticker.Update(n + done / 2, [&] {
      return fmt::format("percentiles of {} categories ({}: median {:.2f})", c + 1, kCategories[c],
                         s.categories[c].p50);
    });
  }
  return s;
}

uint64_t HashRecords(const std::vector<Record>& records, const ProgressFn& progress) {
  uint64_t h = 0xcbf29ce484222325ULL;
  Ticker ticker(progress, records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    HashBytes(h, r.id);
    HashBytes(h, static_cast<uint64_t>(static_cast<uint32_t>(r.day)));
    HashBytes(h, static_cast<uint64_t>(r.category) << 8 | r.region);
    HashBytes(h, r.quantity);
    HashBytes(h, std::bit_cast<uint64_t>(r.price));
    HashBytes(h, std::bit_cast<uint64_t>(r.net));
    ticker.Update(i + 1,
                  [&] { return fmt::format("hashed {} of {} records", i + 1, records.size()); });
  }
  return h;
}

void CheckOrder(const std::vector<Record>& sorted, const ProgressFn& progress) {
  std::vector<bool> seen(sorted.size() + 1);
  Ticker ticker(progress, sorted.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    const Record& r = sorted[i];
    if (i > 0 && ReportOrder(r, sorted[i - 1]))
      throw std::runtime_error(
          fmt::format("records {} and {} are out of order", sorted[i - 1].id, r.id));
    if (r.id == 0 || r.id > sorted.size() || seen[r.id])
      throw std::runtime_error(fmt::format("record id {} is out of range or duplicated", r.id));
    seen[r.id] = true;
    ticker.Update(i + 1, [&] {
      return fmt::format("{} of {} records in order, ids unique", i + 1, sorted.size());
    });
  }
}

void CheckTotals(const std::vector<Record>& sorted, const Stats& stats,
                 const ProgressFn& progress) {
  std::array<CategoryStats, kCategories.size()> again{};
  Ticker ticker(progress, sorted.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    ++again[sorted[i].category].count;
    again[sorted[i].category].net_sum += sorted[i].net;
    ticker.Update(i + 1,
                  [&] { return fmt::format("re-added {} of {} records", i + 1, sorted.size()); });
  }
  for (size_t c = 0; c < kCategories.size(); ++c) {
    const auto& want = stats.categories[c];
    if (again[c].count != want.count)
      throw std::runtime_error(fmt::format("{}: {} records, the stats say {}", kCategories[c],
                                           again[c].count, want.count));
    // Summed in another order: equal up to rounding.
    if (std::abs(again[c].net_sum - want.net_sum) > 1e-9 * std::max(1.0, std::abs(want.net_sum)))
      throw std::runtime_error(fmt::format("{}: net sum {:.2f}, the stats say {:.2f}",
                                           kCategories[c], again[c].net_sum, want.net_sum));
  }
}

void CheckHash(const std::vector<Record>& sorted, uint64_t expected, const ProgressFn& progress) {
  uint64_t h = HashRecords(sorted, progress);
  if (h != expected)
    throw std::runtime_error(
        fmt::format("hash {:016x} differs from the recorded {:016x}", h, expected));
}

void WriteReport(const std::string& path, const ReportInput& in, const ProgressFn& progress) {
  const Stats& s = *in.stats;
  std::ostringstream out;
  out << "extrace demo: Data Pipeline report\n"
      << "run          " << in.execution_id << "\n"
      << "seed         " << in.seed << "\n"
      << "records      " << s.records << " (" << MegaBytes(in.csv_bytes) << " of CSV)\n"
      << "days         " << DayToIso(s.first_day) << " to " << DayToIso(s.last_day) << "\n"
      << fmt::format("net sales    {:.2f} over {} items\n", s.net_sum, s.quantity)
      << fmt::format("fnv1a-64     {:016x} (sorted records)\n\n", in.hash);
  progress(25, "summary written");

  out << fmt::format("{:<12} {:>8} {:>16} {:>10} {:>10} {:>10} {:>10}  top sale\n", "category",
                     "records", "net sum", "mean", "median", "p99", "max");
  // The sorted data starts each category with its largest sale.
  std::array<const Record*, kCategories.size()> top{};
  for (const Record& r : *in.sorted)
    if (!top[r.category]) top[r.category] = &r;
  for (size_t c = 0; c < kCategories.size(); ++c) {
    const auto& cs = s.categories[c];
    if (cs.count == 0) continue;
    out << fmt::format(
        "{:<12} {:>8} {:>16.2f} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f}  #{} on {}\n",
        kCategories[c], cs.count, cs.net_sum, cs.net_sum / static_cast<double>(cs.count), cs.p50,
        cs.p99, cs.net_max, top[c] ? top[c]->id : 0, top[c] ? DayToIso(top[c]->day) : "-");
  }
  progress(50, "category table written");

  out << "\nregion  records\n";
  for (int r = 0; r < kRegions; ++r) out << fmt::format("R{:<6} {:>8}\n", r, s.regions[r]);
  progress(75, "region table written");

  out << "\nnet (log2 bucket)  records\n";
  uint64_t widest = *std::max_element(s.buckets.begin(), s.buckets.end());
  for (int b = 0; b < kBuckets; ++b) {
    if (s.buckets[b] == 0) continue;
    int bar = widest ? static_cast<int>(40 * s.buckets[b] / widest) : 0;
    std::string upper =
        b + 1 < kBuckets ? std::to_string((2ULL << b) - 1) : "";  // the last bucket is open
    out << fmt::format("{:>8} - {:<8} {:>8} {}\n", (1ULL << b) - 1, upper, s.buckets[b],
                       std::string(static_cast<size_t>(bar), '#'));
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  std::string text = out.str();
  file.write(text.data(), static_cast<std::streamsize>(text.size()));
  file.close();
  if (!file) throw std::runtime_error(fmt::format("{}: cannot write", path));
  progress(100, fmt::format("wrote {} ({} bytes)", path, text.size()));
}

}  // namespace extrace::demo
