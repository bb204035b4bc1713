// StreamedTable: see streamed_table.h. Lines are laid out as RenderTable's
// (two spaces between columns, no trailing blanks), left-aligned.
#include "tools/streamed_table.h"

#include <algorithm>
#include <utility>

namespace extrace::cli {
namespace {

size_t DisplayWidth(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

StreamedTable::StreamedTable(std::vector<std::string> header, std::FILE* out)
    : header_(std::move(header)), out_(out) {}

void StreamedTable::Add(std::vector<std::string> row) {
  if (sized_) {
    Print(row);
    return;
  }
  kept_.push_back(std::move(row));
  if (kept_.size() >= kSizingRows) PrintKept();
}

void StreamedTable::Finish() {
  if (!sized_) PrintKept();
  std::fflush(out_);
}

void StreamedTable::PrintKept() {
  width_.assign(header_.size(), 0);
  for (size_t c = 0; c < header_.size(); ++c) width_[c] = DisplayWidth(header_[c]);
  for (const auto& row : kept_)
    for (size_t c = 0; c < row.size() && c < width_.size(); ++c)
      width_[c] = std::max(width_[c], DisplayWidth(row[c]));
  sized_ = true;
  Print(header_);
  for (const auto& row : kept_) Print(row);
  kept_.clear();
  kept_.shrink_to_fit();
}

void StreamedTable::Print(const std::vector<std::string>& cells) {
  std::string text;
  for (size_t c = 0; c < cells.size(); ++c) {
    if (c > 0) text += "  ";
    text += cells[c];
    const size_t shown = DisplayWidth(cells[c]);
    if (c + 1 < cells.size() && c < width_.size() && shown < width_[c])
      text.append(width_[c] - shown, ' ');
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), out_);
}

}  // namespace extrace::cli
