#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hf::store::detail {

// One cell of a query result: its text, or nullopt for NULL. Views the Rows it came from.
using Cell = std::optional<std::string_view>;

// Query results as both backends deliver them: rows of nullable text cells, every cell's text in
// one buffer (a list page has 1 700 cells; a string each was a fifth of a list's allocations).
class Rows {
 public:
  // One row: a view of its cells, valid while the Rows lives and is not appended to.
  class Row {
   public:
    [[nodiscard]] size_t size() const { return end_ - begin_; }
    Cell operator[](size_t column) const { return rows_->CellAt(begin_ + column); }
    // operator[] that says which column was out of range.
    [[nodiscard]] Cell at(size_t column) const;

   private:
    friend class Rows;
    Row(const Rows* rows, size_t begin, size_t end) : rows_(rows), begin_(begin), end_(end) {}
    const Rows* rows_;
    size_t begin_;
    size_t end_;
  };

  class Iterator {
   public:
    Row operator*() const { return (*rows_)[i_]; }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const Iterator&) const = default;

   private:
    friend class Rows;
    Iterator(const Rows* rows, size_t i) : rows_(rows), i_(i) {}
    const Rows* rows_;
    size_t i_;
  };

  // --- building (the backends) ---
  // A new last row of `columns` NULL cells.
  void AddRow(size_t columns);
  // Sets cell `column` of the last row to `text` (copied).
  void Set(size_t column, std::string_view text);
  // Room for `rows` more rows of `columns` cells and `bytes` more text.
  void Reserve(size_t rows, size_t columns, size_t bytes);

  // --- reading ---
  [[nodiscard]] size_t size() const { return row_starts_.size(); }
  [[nodiscard]] bool empty() const { return row_starts_.empty(); }
  Row operator[](size_t i) const {
    return {this, row_starts_[i], i + 1 < size() ? row_starts_[i + 1] : cells_.size()};
  }
  [[nodiscard]] Row at(size_t i) const;
  [[nodiscard]] Iterator begin() const { return {this, 0}; }
  [[nodiscard]] Iterator end() const { return {this, size()}; }

 private:
  struct Span {
    uint32_t offset = 0;
    int32_t size = -1;  // -1: NULL
  };
  Cell CellAt(size_t k) const {
    const Span s = cells_[k];
    if (s.size < 0) return std::nullopt;
    return std::string_view(text_).substr(s.offset, static_cast<size_t>(s.size));
  }

  std::string text_;
  std::vector<Span> cells_;
  std::vector<size_t> row_starts_;  // index of each row's first cell
};

using Row = Rows::Row;

}  // namespace hf::store::detail
