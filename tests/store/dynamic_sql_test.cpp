#include "store/detail/dynamic_sql.hpp"

#include <gtest/gtest.h>

namespace hf::store::detail {
namespace {

TEST(RenumberPlaceholders, NumbersFromTheGivenIndexAndSkipsQuotedText) {
  SqlFragment f{"r.name = ? AND r.href <> 'a?''b?' AND \"odd?\" = ?",
                {std::string("x"), int64_t{2}}};
  EXPECT_EQ(*RenumberPlaceholders(f, 3, PostgresStatements()),
            "r.name = $3 AND r.href <> 'a?''b?' AND \"odd?\" = $4");
  EXPECT_EQ(*RenumberPlaceholders(f, 1, SqliteStatements()),
            "r.name = ?1 AND r.href <> 'a?''b?' AND \"odd?\" = ?2");
  f.params.pop_back();
  EXPECT_EQ(RenumberPlaceholders(f, 1, SqliteStatements()).error().code,
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hf::store::detail
