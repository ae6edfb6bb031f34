// Table rendering: aligned columns, UTF-8 widths, one line per row.
#include "cli/table.hpp"

#include <gtest/gtest.h>

namespace hf::cli {
namespace {

TEST(Table, AlignsColumnsAndLeavesTheLastUnpadded) {
  Table t({"ID", "NAME", "MESSAGE"});
  t.AddRow({"1", "short", "a"});
  t.AddRow({"12345", "n", "a longer message"});
  EXPECT_EQ(t.Render(),
            "ID      NAME    MESSAGE\n"
            "1       short   a\n"
            "12345   n       a longer message\n");
}

TEST(Table, MissingCellsAreEmptyAndNoLineEndsInSpaces) {
  Table t({"A", "B", "C"});
  t.AddRow({"x"});
  t.AddRow({"y", "", "", "ignored"});
  EXPECT_EQ(t.Render(), "A   B   C\nx\ny\n");
}

TEST(Table, CountsCodePointsAndKeepsCellsOnOneLine) {
  Table t({"K", "V"});
  t.AddRow({"héllo", "two\nlines\ttab"});
  t.AddRow({"hello", "x"});
  EXPECT_EQ(t.Render(),
            "K       V\n"
            "héllo   two lines tab\n"
            "hello   x\n");
}

}  // namespace
}  // namespace hf::cli
