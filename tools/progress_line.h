// ProgressLine: one updating status line on a terminal for long commands
// (ingest, reindex): events done, their rate, and the percentage and ETA when
// the total is known. It draws only when its file descriptor (stderr) is a
// terminal; redirected to a file or pipe it writes nothing at all, so scripts
// and logs never see it. Also the terminal facts other commands need (width,
// whether to use colour).
//
// Threads: one ProgressLine belongs to the thread that updates it.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace extrace::cli {

// The width of the terminal on `fd` (TIOCGWINSZ) when it is one, else
// $COLUMNS, else 100.
int TerminalColumns(int fd);
// Colour on `fd`: only on a terminal and while NO_COLOR is unset or empty
// (https://no-color.org).
bool ColourWanted(int fd);

struct ProgressOptions {
  // Where the line goes. Default: standard error.
  int fd = STDERR_FILENO;
  // Nothing is drawn before this much time has passed, so a quick command
  // never flashes a line. Default: 300 ms.
  std::chrono::milliseconds first_delay{300};
  // The least time between two redraws (at most ~7 a second). Default: 150 ms.
  std::chrono::milliseconds interval{150};
};

class ProgressLine {
 public:
  // `label` starts the line ("ingest").
  explicit ProgressLine(std::string label, ProgressOptions options = {});
  ~ProgressLine();  // Finish()
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // What the work amounts to, when known: the percentage and ETA follow bytes
  // when a byte total is set (ingest reads files), else events.
  void SetTotalEvents(int64_t events) { total_events_ = events; }
  void SetTotalBytes(int64_t bytes) { total_bytes_ = bytes; }

  // Cheap enough to call for every event: it redraws at most every `interval`.
  void Update(int64_t done_events, int64_t done_bytes = 0);
  // Erases the line if one was drawn; later Updates draw nothing. Call it
  // before printing anything else on the same terminal.
  void Finish();

  // False when nothing will ever be drawn (not a terminal, or finished).
  bool active() const { return active_; }
  // The text the next redraw would show, without control sequences (tests).
  std::string Text(int64_t done_events, int64_t done_bytes) const;

 private:
  using Clock = std::chrono::steady_clock;
  void Write(const std::string& bytes) const;

  std::string label_;
  ProgressOptions options_;
  bool active_ = false;
  bool drawn_ = false;
  Clock::time_point started_;
  Clock::time_point next_draw_;
  std::optional<int64_t> total_events_;
  std::optional<int64_t> total_bytes_;
};

}  // namespace extrace::cli
