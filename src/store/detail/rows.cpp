#include "store/detail/rows.hpp"

#include <limits>
#include <stdexcept>

namespace hf::store::detail {

Cell Rows::Row::at(size_t column) const {
  if (column >= size()) {
    throw std::out_of_range("column " + std::to_string(column) + " of a row of " +
                            std::to_string(size()));
  }
  return (*this)[column];
}

Rows::Row Rows::at(size_t i) const {
  if (i >= size()) {
    throw std::out_of_range("row " + std::to_string(i) + " of " + std::to_string(size()));
  }
  return (*this)[i];
}

void Rows::AddRow(size_t columns) {
  row_starts_.push_back(cells_.size());
  cells_.resize(cells_.size() + columns);
}

void Rows::Set(size_t column, std::string_view text) {
  if (row_starts_.empty()) throw std::logic_error("Rows::Set before any AddRow");
  // Offsets are 32-bit: a result past 2 GiB of text is refused (no query here comes near).
  if (text_.size() + text.size() > std::numeric_limits<int32_t>::max()) {
    throw std::length_error("query result larger than 2 GiB");
  }
  cells_.at(row_starts_.back() + column) = {static_cast<uint32_t>(text_.size()),
                                            static_cast<int32_t>(text.size())};
  text_ += text;
}

void Rows::Reserve(size_t rows, size_t columns, size_t bytes) {
  row_starts_.reserve(row_starts_.size() + rows);
  cells_.reserve(cells_.size() + rows * columns);
  text_.reserve(text_.size() + bytes);
}

}  // namespace hf::store::detail
