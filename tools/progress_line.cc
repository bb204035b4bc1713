// ProgressLine and the terminal queries: see progress_line.h.
#include "tools/progress_line.h"

#include <fmt/format.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "tools/text_format.h"

namespace extrace::cli {
namespace {

constexpr int kDefaultColumns = 100;

std::string Bytes(int64_t bytes) {
  auto b = static_cast<double>(bytes);
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (b < 1024.0 * 1024) return fmt::format("{:.1f} KiB", b / 1024);
  if (b < 1024.0 * 1024 * 1024) return fmt::format("{:.1f} MiB", b / (1024.0 * 1024));
  return fmt::format("{:.2f} GiB", b / (1024.0 * 1024 * 1024));
}

std::string Eta(double seconds) {
  auto s = static_cast<int64_t>(std::lround(seconds));
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {:02} s", s / 60, s % 60);
  return fmt::format("{} h {:02} min", s / 3600, s / 60 % 60);
}

}  // namespace

int TerminalColumns(int fd) {
  winsize size{};
  if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  if (const char* columns = std::getenv("COLUMNS"); columns && *columns) {
    char* end = nullptr;
    long value = std::strtol(columns, &end, 10);
    if (*end == '\0' && value > 0 && value < 100000) return static_cast<int>(value);
  }
  return kDefaultColumns;
}

bool ColourWanted(int fd) {
  const char* no_colour = std::getenv("NO_COLOR");
  return isatty(fd) && !(no_colour && *no_colour);
}

ProgressLine::ProgressLine(std::string label, ProgressOptions options)
    : label_(std::move(label)),
      options_(options),
      active_(isatty(options.fd) != 0),
      started_(Clock::now()),
      next_draw_(started_ + options.first_delay) {}

ProgressLine::~ProgressLine() { Finish(); }

void ProgressLine::Update(int64_t done_events, int64_t done_bytes) {
  if (!active_) return;
  Clock::time_point now = Clock::now();
  if (now < next_draw_) return;
  next_draw_ = now + options_.interval;
  std::string text = Text(done_events, done_bytes);
  // One cell short of the width: a line that fills the last column wraps on
  // some terminals, and "\r" would then no longer return to its start.
  auto columns = static_cast<size_t>(std::max(10, TerminalColumns(options_.fd) - 1));
  if (text.size() > columns) text.resize(columns);
  Write("\r" + text + "\x1b[K");
  drawn_ = true;
}

void ProgressLine::Finish() {
  if (drawn_) Write("\r\x1b[K");
  drawn_ = false;
  active_ = false;
}

std::string ProgressLine::Text(int64_t done_events, int64_t done_bytes) const {
  double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  std::string text = label_ + ": " + Grouped(done_events);
  if (total_events_ && !total_bytes_) text += " / " + Grouped(*total_events_);
  text += " events";
  if (seconds > 0.05)
    text += "  " + Grouped(static_cast<int64_t>(static_cast<double>(done_events) / seconds)) +
            " events/s";
  std::optional<double> fraction;
  if (total_bytes_ && *total_bytes_ > 0)
    fraction = static_cast<double>(done_bytes) / static_cast<double>(*total_bytes_);
  else if (total_events_ && *total_events_ > 0)
    fraction = static_cast<double>(done_events) / static_cast<double>(*total_events_);
  if (fraction) {
    double f = std::clamp(*fraction, 0.0, 1.0);
    text += fmt::format("  {}%", static_cast<int>(f * 100));
    if (total_bytes_ && *total_bytes_ > 0) text += " of " + Bytes(*total_bytes_);
    // The average rate so far: steadier than the last interval's.
    if (f > 0 && seconds > 0.05) text += "  ETA " + Eta(seconds * (1 - f) / f);
  }
  return text;
}

void ProgressLine::Write(const std::string& bytes) const {
  const char* data = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t written = ::write(options_.fd, data, left);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // a progress line is not worth failing the command for
    data += written;
    left -= static_cast<size_t>(written);
  }
}

}  // namespace extrace::cli
