#include "store/detail/rows.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace hf::store::detail {
namespace {

TEST(Rows, KeepsEachCellsTextAndNullsAcrossRowsOfDifferentWidths) {
  Rows rows;
  EXPECT_TRUE(rows.empty());
  rows.AddRow(3);
  rows.Set(0, "id-1");
  rows.Set(2, "");  // empty text, not NULL
  rows.AddRow(1);   // a second statement's row (SQLite concatenates them)
  rows.Set(0, std::string(100000, 'x'));
  rows.AddRow(2);  // all NULL

  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].size(), 3u);
  EXPECT_EQ(rows[0][0], "id-1");
  EXPECT_EQ(rows[0][1], std::nullopt);
  ASSERT_TRUE(rows[0][2].has_value());
  EXPECT_EQ(*rows[0][2], "");
  EXPECT_EQ(rows[1].size(), 1u);
  EXPECT_EQ(rows[1][0]->size(), 100000u);  // earlier views stay right after the buffer grew
  EXPECT_EQ(rows[0][0], "id-1");
  EXPECT_EQ(rows[2][0], std::nullopt);
  EXPECT_EQ(rows[2][1], std::nullopt);

  size_t seen = 0;
  for (const Row row : rows) seen += row.size();
  EXPECT_EQ(seen, 6u);
}

TEST(Rows, OutOfRangeThrowsInsteadOfReadingPastTheRow) {
  Rows rows;
  EXPECT_THROW((void)rows.at(0), std::out_of_range);
  EXPECT_THROW(rows.Set(0, "a"), std::logic_error);  // no row yet
  rows.AddRow(2);
  rows.AddRow(2);
  rows.Set(1, "b");
  EXPECT_THROW(rows.Set(2, "c"), std::out_of_range);        // past the last row
  EXPECT_THROW((void)rows.at(0).at(2), std::out_of_range);  // the next row's first cell
  EXPECT_EQ(rows.at(1).at(1), "b");
}

}  // namespace
}  // namespace hf::store::detail
