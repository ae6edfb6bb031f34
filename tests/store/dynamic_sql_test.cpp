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

TEST(ResourceOrderClause, ValidatesColumnsAndAddsTieBreaker) {
  EXPECT_EQ(*ResourceOrderClause({}), "r.created_time DESC, r.id DESC");
  EXPECT_EQ(*ResourceOrderClause({{"name", false}, {"created_time", true}}),
            "r.name ASC, r.created_time DESC, r.id");
  EXPECT_EQ(*ResourceOrderClause({{"deleted_time", false}, {"id", true}}),
            "r.deleted_time ASC NULLS LAST, r.id DESC");
  EXPECT_FALSE(ResourceOrderClause({{"spec", false}}));
  EXPECT_FALSE(ResourceOrderClause({{"name; DROP TABLE resources", false}}));
}

}  // namespace
}  // namespace hf::store::detail
