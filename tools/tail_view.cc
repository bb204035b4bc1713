// `extrace tail`'s output: see tail_view.h.
#include "tools/tail_view.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "format/event_json.h"
#include "tools/text_format.h"

namespace extrace::cli {
namespace {

std::string Offset(int64_t micros) {
  return micros < 0 ? HumanDuration(micros) : "+" + HumanDuration(micros);
}

std::string StringField(const boost::json::object& data, const char* key) {
  const auto* value = data.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

// What an event says beyond its type and node.
std::string Detail(const Event& event) {
  auto data = ParseDataObject(event.data_json);
  switch (event.type) {
    case EventType::kStarted: {
      const auto* nodes = data.if_contains("nodes");
      size_t count = nodes && nodes->is_array() ? nodes->get_array().size() : 0;
      return fmt::format("flow {}, {} nodes", StringField(data, "rootNodeId"), count);
    }
    case EventType::kStateChange: {
      std::string text = StringField(data, "state");
      if (std::string message = StringField(data, "errorMessage"); !message.empty())
        text += ": " + message;
      return text;
    }
    case EventType::kProgress: {
      std::string text;
      if (const auto* progress = data.if_contains("progress"); progress && progress->is_number())
        text = fmt::format("{:g}%", progress->to_number<double>());
      if (std::string message = StringField(data, "message"); !message.empty())
        text += " " + message;
      return text;
    }
    case EventType::kError:
      return StringField(data, "message");
    case EventType::kCompleted:
      break;
  }
  return "";
}

int TerminalRows(int fd) {
  winsize size{};
  if (ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_row > 0) return size.ws_row;
  return 24;
}

// Writes all of `bytes`, going on after a signal interrupts the write.
void WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string TailEventLine(const Event& event, int64_t run_start_us) {
  std::string line = fmt::format("{:>10}  #{}  {}", Offset(event.timestamp_us - run_start_us),
                                 event.seq, EventTypeName(event.type));
  if (!event.node_id.empty()) line += "  " + event.node_id;
  if (std::string detail = Detail(event); !detail.empty()) line += "  " + detail;
  return line + "\n";
}

std::string TailChildRunLine(const RunSummary& child, int64_t run_start_us) {
  std::string offset = child.start_us ? Offset(*child.start_us - run_start_us) : "";
  return fmt::format("{:>10}  child run {} of node {} started (flow {})\n", offset,
                     child.execution_id, child.parent_node_id, child.root_node_id);
}

std::string TailHeader(const ExecutionTrace& trace, int64_t events, int64_t now_us) {
  std::string time =
      trace.duration_us ? "duration " + HumanDuration(*trace.duration_us)
                        : "elapsed " + HumanDuration(std::max<int64_t>(0, now_us - trace.start_us));
  return fmt::format("run {}  flow {}  status {}\n{}  events {}  progress {}%\n",
                     trace.execution_id, trace.root_node_id, RunStatusName(trace.status), time,
                     events, trace.overall_progress);
}

std::string FitWidth(const std::string& lines, int width) {
  std::string out;
  int cells = 0;
  for (char c : lines) {
    if (c == '\n') cells = -1;
    bool continuation = (static_cast<unsigned char>(c) & 0xC0) == 0x80;
    if (!continuation) ++cells;
    if (cells <= width) out += c;
  }
  return out;
}

void TailFrame::Draw(const std::string& frame, bool whole) {
  std::string out;
  if (!cursor_hidden_) out += "\x1b[?25l";
  cursor_hidden_ = true;
  // Back to the first column of the previous frame's first line.
  if (lines_ > 0) out += fmt::format("\r\x1b[{}A", lines_);
  auto total = static_cast<int>(std::count(frame.begin(), frame.end(), '\n'));
  int keep = whole ? total : std::min(total, std::max(2, TerminalRows(fd_) - 2));
  lines_ = 0;
  size_t from = 0;
  for (int i = 0; i < keep; ++i, ++lines_) {
    size_t end = frame.find('\n', from);
    // Erasing before the text: erasing after a line that fills the last
    // column would erase its last cell.
    out += "\x1b[2K";
    out.append(frame, from, end + 1 - from);
    from = end + 1;
  }
  if (keep < total) {
    out += fmt::format("\x1b[2K({} more lines below: the terminal is too short)\n", total - keep);
    ++lines_;
  }
  out += "\x1b[J";  // what the previous, longer frame left below
  WriteAll(fd_, out);
}

void TailFrame::Finish() {
  if (cursor_hidden_) WriteAll(fd_, "\x1b[?25h");
  cursor_hidden_ = false;
}

}  // namespace extrace::cli
