// `extrace query`'s table on stdout, printed while the rows arrive: the
// column widths come from the header and the first rows, so a statement that
// returns millions of rows runs in bounded memory (RenderTable needs them all).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace extrace::cli {

class StreamedTable {
 public:
  // Rows kept to size the columns before the first line is printed.
  static constexpr size_t kSizingRows = 1000;

  StreamedTable(std::vector<std::string> header, std::FILE* out);
  // Later rows with a wider cell push only their own line out of line.
  void Add(std::vector<std::string> row);
  // Prints what is still kept (the whole table when it had few rows).
  void Finish();

 private:
  void PrintKept();
  void Print(const std::vector<std::string>& cells);

  std::vector<std::string> header_;
  std::FILE* out_;
  std::vector<std::vector<std::string>> kept_;
  std::vector<size_t> width_;
  bool sized_ = false;
};

}  // namespace extrace::cli
