#include "store/detail/search_sql.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "search/search.hpp"

namespace hf::store::detail {
namespace {

using namespace std::string_literals;
using Params = std::vector<SqlParam>;

// `query` as failure messages show it: long generated queries are cut short.
std::string Shown(std::string_view query) {
  return query.size() <= 120 ? std::string(query) : std::string(query.substr(0, 117)) + "...";
}

// The filter `query` parses to; the test fails on an error or an empty query.
search::Filter Parse(std::string_view query) {
  auto filter = search::ParseSearch(query);
  EXPECT_TRUE(filter && *filter) << Shown(query) << " → "
                                 << (filter ? "no filter" : filter.error().ToString());
  return filter && *filter ? **filter : search::Filter{};
}

// Compiles `filter`, failing the test on an error; checks that placeholders and params agree.
SqlFragment Compile(const search::Filter& filter, Dialect dialect) {
  auto result = SearchFilterSql(filter, dialect);
  EXPECT_TRUE(result) << result.error().ToString();
  if (!result) return {};
  EXPECT_EQ(static_cast<size_t>(std::ranges::count(result->sql, '?')), result->params.size())
      << result->sql;
  return *result;
}
SqlFragment Pg(std::string_view query) { return Compile(Parse(query), Dialect::kPostgres); }
SqlFragment Lite(std::string_view query) { return Compile(Parse(query), Dialect::kSqlite); }

// Expects the same SQL and params from both dialects.
void ExpectBoth(std::string_view query, std::string_view sql, const Params& params) {
  for (const SqlFragment& f : {Pg(query), Lite(query)}) {
    EXPECT_EQ(f.sql, sql) << query;
    EXPECT_EQ(f.params, params) << query;
  }
}

// The InvalidArgument detail a hand-made filter gets, in both dialects alike.
std::string InvalidOf(const search::Filter& filter) {
  auto pg = SearchFilterSql(filter, Dialect::kPostgres);
  auto lite = SearchFilterSql(filter, Dialect::kSqlite);
  EXPECT_FALSE(pg) << pg->sql;
  EXPECT_FALSE(lite) << lite->sql;
  if (pg || lite) return "";
  EXPECT_EQ(pg.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(pg.error().message, "invalid search filter");
  EXPECT_EQ(pg.error().detail, lite.error().detail);
  return pg.error().detail;
}

search::Filter TermFilter(search::Term term) { return search::Filter{.term = std::move(term)}; }

TEST(SearchFilterSql, PlainColumnsAndOperators) {
  ExpectBoth("name = 'c1'", "r.name = ?", {"c1"s});
  ExpectBoth("name != 'c1'", "r.name <> ?", {"c1"s});
  ExpectBoth("kind<'b'", "r.kind < ?", {"b"s});
  ExpectBoth("owner_id <= 'x'", "r.owner_id <= ?", {"x"s});
  ExpectBoth("href > 'x'", "r.href > ?", {"x"s});
  ExpectBoth("created_by >= 'x'", "r.created_by >= ?", {"x"s});
  ExpectBoth("generation = 3", "r.generation = ?", {int64_t{3}});
  ExpectBoth("generation > -1", "r.generation > ?", {int64_t{-1}});
  ExpectBoth("name in ['c1','c2']", "r.name IN (?, ?)", {"c1"s, "c2"s});
  ExpectBoth("name in ('c1', 'c2', 'c3')", "r.name IN (?, ?, ?)", {"c1"s, "c2"s, "c3"s});
  ExpectBoth("generation between 1 and 3", "r.generation BETWEEN ? AND ?",
             {int64_t{1}, int64_t{3}});
  ExpectBoth("generation in [1, 2]", "r.generation IN (?, ?)", {int64_t{1}, int64_t{2}});
  ExpectBoth("deleted_time is null", "r.deleted_time IS NULL", {});
  ExpectBoth("deleted_by IS NOT NULL", "r.deleted_by IS NOT NULL", {});
  ExpectBoth("generation is null", "r.generation IS NULL", {});
}

TEST(SearchFilterSql, StringsAndNumbersAgainstTextColumns) {
  ExpectBoth("name = 'it''s'", "r.name = ?", {"it's"s});
  ExpectBoth("name = ''", "r.name = ?", {""s});
  ExpectBoth("name = 'héllo wörld'", "r.name = ?", {"héllo wörld"s});
  // A number compared with text is compared as its text, as written.
  ExpectBoth("name = 5", "r.name = ?", {"5"s});
  ExpectBoth("name in [1.50, 'x']", "r.name IN (?, ?)", {"1.50"s, "x"s});
}

TEST(SearchFilterSql, KeywordsAreCaseInsensitive) {
  ExpectBoth(
      "name IN ['a'] AND kind = 'C' Or generation BeTwEeN 1 aNd 2 or deleted_time IS NOT NULL",
      "((r.name IN (?) AND r.kind = ?) OR r.generation BETWEEN ? AND ? OR "
      "r.deleted_time IS NOT NULL)",
      {"a"s, "C"s, int64_t{1}, int64_t{2}});
  EXPECT_EQ(Pg("NOT name LIKE 'a%'").sql, "NOT (r.name LIKE ?)");
}

TEST(SearchFilterSql, TimeColumnsAreNormalised) {
  auto pg = Pg("created_time < '2026-03-06T14:00:00Z'");
  EXPECT_EQ(pg.sql, "r.created_time < ?::timestamptz");
  EXPECT_EQ(pg.params, Params{"2026-03-06T14:00:00.000000Z"s});
  auto lite = Lite("created_time < '2026-03-06T14:00:00Z'");
  EXPECT_EQ(lite.sql, "r.created_time < ?");
  EXPECT_EQ(lite.params, Params{"2026-03-06T14:00:00.000000Z"s});

  EXPECT_EQ(Lite("updated_time >= '2026-03-06T16:00:00.25+02:00'").params,
            Params{"2026-03-06T14:00:00.250000Z"s});
  EXPECT_EQ(Lite("deleted_time > '2026-03-06'").params, Params{"2026-03-06T00:00:00.000000Z"s});

  pg = Pg("created_time between '2026-01-01T00:00:00Z' and '2026-02-01T00:00:00Z'");
  EXPECT_EQ(pg.sql, "r.created_time BETWEEN ?::timestamptz AND ?::timestamptz");
  EXPECT_EQ(pg.params, (Params{"2026-01-01T00:00:00.000000Z"s, "2026-02-01T00:00:00.000000Z"s}));
  lite = Lite("created_time in ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z']");
  EXPECT_EQ(lite.sql, "r.created_time IN (?, ?)");
  pg = Pg("created_time in ['2026-01-01T00:00:00Z']");
  EXPECT_EQ(pg.sql, "r.created_time IN (?::timestamptz)");
}

TEST(SearchFilterSql, LikeAndIlike) {
  auto pg = Pg("name like 'c%'");
  EXPECT_EQ(pg.sql, "r.name LIKE ?");
  EXPECT_EQ(pg.params, Params{"c%"s});
  pg = Pg("name ilike 'C_%'");
  EXPECT_EQ(pg.sql, "r.name ILIKE ?");
  EXPECT_EQ(pg.params, Params{"C_%"s});

  // SQLite: like → GLOB (case-sensitive), with % → *, _ → ?, and GLOB's own metacharacters
  // and LIKE escapes turned into literals.
  auto lite = Lite("name like 'c%'");
  EXPECT_EQ(lite.sql, "r.name GLOB ?");
  EXPECT_EQ(lite.params, Params{"c*"s});
  lite = Lite(R"(name like 'a\_b\%_*?[x]\\')");
  EXPECT_EQ(lite.params, Params{R"(a_b%?[*][?][[]x]\)"s});
  lite = Lite("name ilike 'C%'");
  EXPECT_EQ(lite.sql, R"(r.name LIKE ? ESCAPE '\')");
  EXPECT_EQ(lite.params, Params{"C%"s});
}

TEST(SearchFilterSql, Labels) {
  constexpr std::string_view kIn =
      "r.id IN (SELECT resource_id FROM resource_labels WHERE key = ? AND ";
  ExpectBoth("labels.environment = 'production'", std::string(kIn) + "value = ?)",
             {"environment"s, "production"s});
  ExpectBoth("labels.app.kubernetes.io/name != 'web-1'", std::string(kIn) + "value <> ?)",
             {"app.kubernetes.io/name"s, "web-1"s});
  ExpectBoth("labels.Tier_2 in ['a', 'b']", std::string(kIn) + "value IN (?, ?))",
             {"Tier_2"s, "a"s, "b"s});
  ExpectBoth("labels.n between 1 and 'z'", std::string(kIn) + "value BETWEEN ? AND ?)",
             {"n"s, "1"s, "z"s});
  ExpectBoth("labels.n >= 10", std::string(kIn) + "value >= ?)", {"n"s, "10"s});
  ExpectBoth("labels.env is null",
             "r.id NOT IN (SELECT resource_id FROM resource_labels WHERE key = ?)", {"env"s});
  ExpectBoth("labels.env is not null",
             "r.id IN (SELECT resource_id FROM resource_labels WHERE key = ?)", {"env"s});

  EXPECT_EQ(Pg("labels.env like 'prod%'").sql, std::string(kIn) + "value LIKE ?)");
  EXPECT_EQ(Pg("labels.env ilike 'prod%'").sql, std::string(kIn) + "value ILIKE ?)");
  auto lite = Lite("labels.env like 'prod%'");
  EXPECT_EQ(lite.sql, std::string(kIn) + "value GLOB ?)");
  EXPECT_EQ(lite.params, (Params{"env"s, "prod*"s}));
  EXPECT_EQ(Lite("labels.env ilike 'prod%'").sql, std::string(kIn) + R"(value LIKE ? ESCAPE '\'))");
}

TEST(SearchFilterSql, SpecPaths) {
  auto pg = Pg("spec.region = 'us-east-1'");
  EXPECT_EQ(pg.sql, "r.spec #>> ?::text[] = ?");
  EXPECT_EQ(pg.params, (Params{"{region}"s, "us-east-1"s}));
  auto lite = Lite("spec.region = 'us-east-1'");
  EXPECT_EQ(lite.sql, "json_extract(r.spec, ?) = ?");
  EXPECT_EQ(lite.params, (Params{R"($."region")"s, "us-east-1"s}));

  // Compared with an unquoted number, the value is read as a number.
  pg = Pg("spec.release.version > 9");
  EXPECT_EQ(pg.sql, "CAST(r.spec #>> ?::text[] AS numeric) > ?");
  EXPECT_EQ(pg.params, (Params{"{release,version}"s, int64_t{9}}));
  lite = Lite("spec.release.version > 9");
  EXPECT_EQ(lite.sql, "CAST(json_extract(r.spec, ?) AS REAL) > ?");
  EXPECT_EQ(lite.params, (Params{R"($."release"."version")"s, int64_t{9}}));
  EXPECT_EQ(Pg("spec.cpu <= 1.5").params, (Params{"{cpu}"s, 1.5}));
  EXPECT_EQ(Pg("spec.cpu = -0.25").params, (Params{"{cpu}"s, -0.25}));
  EXPECT_EQ(Pg("spec.big = 99999999999999999999").params, (Params{"{big}"s, 1e20}));
  // A quoted number is text.
  EXPECT_EQ(Pg("spec.release.version = '9'").sql, "r.spec #>> ?::text[] = ?");

  // IN and BETWEEN cast only when every value is a number.
  pg = Pg("spec.a.b_2.c3 in [1, 2]");
  EXPECT_EQ(pg.sql, "CAST(r.spec #>> ?::text[] AS numeric) IN (?, ?)");
  EXPECT_EQ(pg.params, (Params{"{a,b_2,c3}"s, int64_t{1}, int64_t{2}}));
  pg = Pg("spec.size in [1, 'two']");
  EXPECT_EQ(pg.sql, "r.spec #>> ?::text[] IN (?, ?)");
  EXPECT_EQ(pg.params, (Params{"{size}"s, "1"s, "two"s}));
  lite = Lite("spec.size between 1 and 10");
  EXPECT_EQ(lite.sql, "CAST(json_extract(r.spec, ?) AS REAL) BETWEEN ? AND ?");
  EXPECT_EQ(Lite("spec.size between 1 and '10'").sql, "json_extract(r.spec, ?) BETWEEN ? AND ?");

  EXPECT_EQ(Pg("spec.x is null").sql, "r.spec #>> ?::text[] IS NULL");
  EXPECT_EQ(Lite("spec.x is not null").sql, "json_extract(r.spec, ?) IS NOT NULL");
  EXPECT_EQ(Pg("spec.x like 'a%'").sql, "r.spec #>> ?::text[] LIKE ?");
  EXPECT_EQ(Lite("spec.x like 5").sql, "json_extract(r.spec, ?) GLOB ?");
}

TEST(SearchFilterSql, Conditions) {
  // Reconciled is read from its indexed copy on the resource row (migrations 0003).
  ExpectBoth("status.conditions.Reconciled = 'True'", "r.reconciled_status = ?", {"True"s});
  ExpectBoth("status.conditions.Available = 'Unknown'",
             "r.id IN (SELECT resource_id FROM resource_conditions WHERE type = ? AND status = ?)",
             {"Available"s, "Unknown"s});

  auto pg = Pg("status.conditions.Reconciled.last_updated_time < '2026-03-06T14:00:00Z'");
  EXPECT_EQ(pg.sql,
            "(r.reconciled_updated_time IS NOT NULL AND "
            "r.reconciled_updated_time < ?::timestamptz)");
  EXPECT_EQ(pg.params, (Params{"2026-03-06T14:00:00.000000Z"s}));
  pg = Pg("status.conditions.Reconciled.last_transition_time < '2026-03-06T14:00:00Z'");
  EXPECT_EQ(pg.sql,
            "r.id IN (SELECT resource_id FROM resource_conditions WHERE type = ? AND "
            "last_transition_time < ?::timestamptz)");
  EXPECT_EQ(pg.params, (Params{"Reconciled"s, "2026-03-06T14:00:00.000000Z"s}));
  auto lite = Lite("status.conditions.Ready2.last_transition_time >= '2026-03-06T14:00:00+01:00'");
  EXPECT_EQ(lite.sql,
            "r.id IN (SELECT resource_id FROM resource_conditions WHERE type = ? AND "
            "last_transition_time >= ?)");
  EXPECT_EQ(lite.params, (Params{"Ready2"s, "2026-03-06T13:00:00.000000Z"s}));
  ExpectBoth("status.conditions.Available.observed_generation != 3",
             "r.id IN (SELECT resource_id FROM resource_conditions WHERE type = ? AND "
             "observed_generation <> ?)",
             {"Available"s, int64_t{3}});
  ExpectBoth("status.conditions.A.observed_generation >= -2147483648",
             "r.id IN (SELECT resource_id FROM resource_conditions WHERE type = ? AND "
             "observed_generation >= ?)",
             {"A"s, int64_t{-2147483648}});

  // The reference's example for the ticker.
  pg =
      Pg("status.conditions.Reconciled='True' AND "
         "status.conditions.Reconciled.last_updated_time < '2026-03-06T14:00:00Z'");
  EXPECT_EQ(pg.sql,
            "(r.reconciled_status = ? AND (r.reconciled_updated_time IS NOT NULL AND "
            "r.reconciled_updated_time < ?::timestamptz))");
  EXPECT_EQ(pg.params, (Params{"True"s, "2026-03-06T14:00:00.000000Z"s}));
  // OR over conditions is fine with semi-joins.
  EXPECT_EQ(Lite("status.conditions.Reconciled = 'False' or generation > 1").params,
            (Params{"False"s, int64_t{1}}));
}

TEST(SearchFilterSql, PrecedenceAndParentheses) {
  ExpectBoth("name = 'a' and kind = 'b'", "(r.name = ? AND r.kind = ?)", {"a"s, "b"s});
  // and binds tighter than or.
  ExpectBoth("name = 'a' or kind = 'b' and id = 'c'", "(r.name = ? OR (r.kind = ? AND r.id = ?))",
             {"a"s, "b"s, "c"s});
  ExpectBoth("name = 'a' and kind = 'b' or id = 'c'", "((r.name = ? AND r.kind = ?) OR r.id = ?)",
             {"a"s, "b"s, "c"s});
  ExpectBoth("(name = 'a' or kind = 'b') and id = 'c'", "((r.name = ? OR r.kind = ?) AND r.id = ?)",
             {"a"s, "b"s, "c"s});
  // not binds tighter than and, looser than a comparison.
  ExpectBoth("not name = 'a' and kind = 'b'", "(NOT (r.name = ?) AND r.kind = ?)", {"a"s, "b"s});
  ExpectBoth("not (name = 'a' or kind = 'b')", "NOT (r.name = ? OR r.kind = ?)", {"a"s, "b"s});
  ExpectBoth("not not name = 'a'", "NOT (NOT (r.name = ?))", {"a"s});
  // Chains flatten; redundant parentheses vanish.
  ExpectBoth("name = 'a' or name = 'b' or name = 'c'", "(r.name = ? OR r.name = ? OR r.name = ?)",
             {"a"s, "b"s, "c"s});
  ExpectBoth("((name = 'a'))", "r.name = ?", {"a"s});
  ExpectBoth("(name='a')and(kind='b')", "(r.name = ? AND r.kind = ?)", {"a"s, "b"s});
  // Params follow the placeholders, left to right.
  ExpectBoth("generation between 1 and 2 and (labels.x in ['p', 'q'] or name = 'n')",
             "(r.generation BETWEEN ? AND ? AND (r.id IN (SELECT resource_id FROM "
             "resource_labels WHERE key = ? AND value IN (?, ?)) OR r.name = ?))",
             {int64_t{1}, int64_t{2}, "x"s, "p"s, "q"s, "n"s});
  // not around something that is neither a label nor a condition is allowed.
  EXPECT_EQ(Pg("not (spec.a = 1 or deleted_time is null)").sql,
            "NOT (CAST(r.spec #>> ?::text[] AS numeric) = ? OR r.deleted_time IS NULL)");
}

TEST(SearchFilterSql, LongChainsCompileFlat) {
  std::string chain = "name = 'a'";
  for (int i = 0; i < 250; ++i) chain += " or name = 'a'";
  const SqlFragment f = Pg(chain);
  EXPECT_EQ(f.params.size(), 251u);
  EXPECT_EQ(std::ranges::count(f.sql, '('), 1);
}

TEST(SearchFilterSql, HostileValuesAreBoundNeverSpliced) {
  for (const std::string value : {"x'; DROP TABLE resources; --", "' OR '1'='1", "?", "$1",
                                  "\\'; SELECT pg_sleep(10); --", "a\"b", "%_\\"}) {
    std::string quoted;
    for (char c : value) quoted += c == '\'' ? "''" : std::string(1, c);
    for (const std::string field : {"name", "labels.env", "spec.a.b"}) {
      for (Dialect dialect : {Dialect::kPostgres, Dialect::kSqlite}) {
        const std::string query = field + " = '" + quoted + "'";
        const SqlFragment f = Compile(Parse(query), dialect);
        EXPECT_EQ(f.params.back(), SqlParam(value)) << query;
        if (value != "?") {
          EXPECT_EQ(f.sql.find(value), std::string::npos) << f.sql;
        }
        EXPECT_EQ(f.sql.find(";"), std::string::npos) << f.sql;
      }
    }
  }
  // Keys, condition types and paths of a hand-made filter are bound too.
  const std::string hostile = "x') OR 1=1; --";
  const search::Comparison eq{.op = search::CompareOp::kEq, .values = {"v"s}};
  for (const search::Term& term :
       {search::Term(search::LabelTerm{.key = hostile, .comparison = eq}),
        search::Term(search::ConditionStatusTerm{.type = hostile, .status = "True"}),
        search::Term(search::ConditionFieldTerm{
            .type = hostile, .field = "observed_generation", .comparison = eq}),
        search::Term(search::SpecTerm{.path = {hostile}, .comparison = eq})}) {
    for (Dialect dialect : {Dialect::kPostgres, Dialect::kSqlite}) {
      const SqlFragment f = Compile(TermFilter(term), dialect);
      EXPECT_EQ(f.sql.find("OR 1=1"), std::string::npos) << f.sql;
    }
  }
}

TEST(SearchFilterSql, RejectsNamesOutsideTheAllowListsAndMalformedComparisons) {
  using search::CompareOp;
  const search::Comparison eq{.op = CompareOp::kEq, .values = {"v"s}};
  EXPECT_EQ(InvalidOf(TermFilter(search::ColumnTerm{.column = "spec", .comparison = eq})),
            "unknown column 'spec'");
  EXPECT_EQ(InvalidOf(TermFilter(
                search::ColumnTerm{.column = "name; DROP TABLE resources", .comparison = eq})),
            "unknown column 'name; DROP TABLE resources'");
  EXPECT_EQ(InvalidOf(TermFilter(search::ConditionFieldTerm{
                .type = "Ready", .field = "status = 'True' OR 1=1", .comparison = eq})),
            "unknown condition field 'status = 'True' OR 1=1'");
  EXPECT_EQ(InvalidOf(TermFilter(search::SpecTerm{.path = {}, .comparison = eq})),
            "empty spec path");

  const auto with = [](CompareOp op, std::vector<search::Value> values) {
    return TermFilter(search::ColumnTerm{.column = "name",
                                         .comparison = {.op = op, .values = std::move(values)}});
  };
  EXPECT_EQ(InvalidOf(with(CompareOp::kEq, {})), "operator '=' with 0 values");
  EXPECT_EQ(InvalidOf(with(CompareOp::kLt, {"a"s, "b"s})), "operator '<' with 2 values");
  EXPECT_EQ(InvalidOf(with(CompareOp::kIn, {})), "operator 'in' with 0 values");
  EXPECT_EQ(InvalidOf(with(CompareOp::kBetween, {"a"s})), "operator 'between' with 1 values");
  EXPECT_EQ(InvalidOf(with(CompareOp::kIsNull, {"a"s})), "operator 'is null' with 1 values");
  EXPECT_EQ(InvalidOf(with(CompareOp::kLike, {int64_t{1}})), "operator 'like' with 1 values");
  EXPECT_EQ(InvalidOf(TermFilter(search::LabelTerm{
                .key = "env", .comparison = {.op = CompareOp::kIsNotNull, .values = {"x"s}}})),
            "operator 'is not null' with 1 values");

  EXPECT_EQ(InvalidOf(search::Filter{.kind = search::Filter::Kind::kNot}), "not needs one operand");
  EXPECT_EQ(InvalidOf(search::Filter{.kind = search::Filter::Kind::kAnd}),
            "and/or without operands");
  // An error deep in the tree fails the whole filter.
  search::Filter nested{.kind = search::Filter::Kind::kOr,
                        .operands = {Parse("name = 'a'"), with(CompareOp::kIn, {})}};
  EXPECT_EQ(InvalidOf(nested), "operator 'in' with 0 values");
}

TEST(ResourceOrderClause, AllowListedColumnsAndTieBreaker) {
  EXPECT_EQ(*ResourceOrderClause({}), "r.created_time DESC, r.id DESC");
  EXPECT_EQ(*ResourceOrderClause({{"name", false}, {"created_time", true}}),
            "r.name ASC, r.created_time DESC, r.id");
  EXPECT_EQ(*ResourceOrderClause({{"deleted_time", false}, {"id", true}}),
            "r.deleted_time ASC NULLS LAST, r.id DESC");
  EXPECT_EQ(*ResourceOrderClause({{"owner_id", true}}), "r.owner_id DESC NULLS FIRST, r.id");
  for (const char* column : {"spec", "owner_kind", "owner_href", "name; DROP TABLE resources"}) {
    auto clause = ResourceOrderClause({{column, false}});
    ASSERT_FALSE(clause) << *clause;
    EXPECT_EQ(clause.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(clause.error().message, "invalid order column '" + std::string(column) + "'");
  }
}

}  // namespace
}  // namespace hf::store::detail
