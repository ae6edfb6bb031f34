#pragma once

#include <string>
#include <vector>

namespace hf::cli {

// A plain-text table: a header row and left-aligned columns separated by three spaces.
// Widths count UTF-8 code points. Cells are shown on one line (newlines and tabs become
// spaces); the last column is not padded, so long messages simply run on.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // Adds a row; missing cells are empty, cells beyond the header count are dropped.
  void AddRow(std::vector<std::string> cells);
  [[nodiscard]] size_t rows() const { return rows_.size(); }

  // The header line and one line per row, each ending in '\n'; no trailing spaces.
  [[nodiscard]] std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace hf::cli
