// What `extrace tail` writes: one line for people per event (on a pipe or with
// --events), and the timeline frame that it redraws in place on a terminal.
//
// Threads: a TailFrame belongs to the thread that draws it.
#pragma once

#include <cstdint>
#include <string>

#include "extrace/event.h"
#include "extrace/trace.h"
#include "storage/event_store.h"

namespace extrace::cli {

// "+12.5 ms  #3  state-change  b  error: disk full" and a line break; the
// offset is from `run_start_us`.
std::string TailEventLine(const Event& event, int64_t run_start_us);
// "+420 ms  child run exec_2 of node validate started (flow validation)".
std::string TailChildRunLine(const RunSummary& child, int64_t run_start_us);
// The frame's two header lines, as `show`'s: run, flow, status; the time so
// far (to `now_us` while the run is open, its duration once it ended),
// events, progress.
std::string TailHeader(const ExecutionTrace& trace, int64_t events, int64_t now_us);

// A block of lines redrawn in place on a terminal: each Draw moves the cursor
// back up over the previous frame and overwrites it line by line (no clearing
// of the whole screen, so no flicker), in one write, so an interrupted tail
// never leaves half a frame. The cursor is hidden while frames follow and
// shown again by Finish (the destructor calls it).
class TailFrame {
 public:
  explicit TailFrame(int fd) : fd_(fd) {}
  ~TailFrame() { Finish(); }
  TailFrame(const TailFrame&) = delete;
  TailFrame& operator=(const TailFrame&) = delete;

  // `frame`: lines, each ending in '\n', none wider than the terminal. Unless
  // `whole`, a frame taller than the terminal is cut to fit (the cursor
  // cannot move back up over lines that scrolled away) with a line saying so.
  void Draw(const std::string& frame, bool whole);
  void Finish();

 private:
  int fd_;
  int lines_ = 0;
  bool cursor_hidden_ = false;
};

// Each line of `lines` cut to its first `width` terminal cells (UTF-8 code points).
std::string FitWidth(const std::string& lines, int width);

}  // namespace extrace::cli
