#include "search/search.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace hf::search {
namespace {

using namespace std::string_literals;
using Params = std::vector<SqlParam>;

// `query` as failure messages show it: long generated queries are cut short.
std::string Shown(std::string_view query) {
  return query.size() <= 120 ? std::string(query) : std::string(query.substr(0, 117)) + "...";
}

// Compiles `query`, failing the test on an error; checks that placeholders and params agree.
SqlFragment Compile(std::string_view query, Dialect dialect) {
  auto result = CompileSearch(query, dialect);
  EXPECT_TRUE(result) << Shown(query) << " → " << result.error().ToString();
  if (!result) return {};
  EXPECT_EQ(static_cast<size_t>(std::ranges::count(result->sql, '?')), result->params.size())
      << result->sql;
  return *result;
}
SqlFragment Pg(std::string_view query) { return Compile(query, Dialect::kPostgres); }
SqlFragment Lite(std::string_view query) { return Compile(query, Dialect::kSqlite); }

// The message of the kBadRequest error `query` must produce, in both dialects alike.
std::string ErrorOf(std::string_view query) {
  auto pg = CompileSearch(query, Dialect::kPostgres);
  auto lite = CompileSearch(query, Dialect::kSqlite);
  EXPECT_FALSE(pg) << Shown(query) << " compiled to " << (pg ? pg->sql : "");
  EXPECT_FALSE(lite) << Shown(query);
  if (pg || lite) return "";
  EXPECT_EQ(pg.error().code, ErrorCode::kBadRequest) << query;
  EXPECT_EQ(pg.error().message, lite.error().message) << query;
  return pg.error().message;
}

// Expects the same SQL and params from both dialects.
void ExpectBoth(std::string_view query, std::string_view sql, const Params& params) {
  for (const SqlFragment& f : {Pg(query), Lite(query)}) {
    EXPECT_EQ(f.sql, sql) << query;
    EXPECT_EQ(f.params, params) << query;
  }
}

TEST(CompileSearch, EmptyOrBlankMeansNoFilter) {
  for (const char* query : {"", "   ", " \t\r\n "}) {
    EXPECT_TRUE(Pg(query).empty()) << '"' << query << '"';
    EXPECT_TRUE(Lite(query).params.empty());
  }
  ExpectBoth("  \tname = 'a'\n ", "r.name = ?", {"a"s});
}

TEST(CompileSearch, PlainColumnsAndOperators) {
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

TEST(CompileSearch, StringsAndNumbersAgainstTextColumns) {
  ExpectBoth("name = 'it''s'", "r.name = ?", {"it's"s});
  ExpectBoth("name = ''", "r.name = ?", {""s});
  ExpectBoth("name = 'héllo wörld'", "r.name = ?", {"héllo wörld"s});
  // A number compared with text is compared as its text, as written.
  ExpectBoth("name = 5", "r.name = ?", {"5"s});
  ExpectBoth("name in [1.50, 'x']", "r.name IN (?, ?)", {"1.50"s, "x"s});
}

TEST(CompileSearch, KeywordsAreCaseInsensitive) {
  ExpectBoth(
      "name IN ['a'] AND kind = 'C' Or generation BeTwEeN 1 aNd 2 or deleted_time IS NOT NULL",
      "((r.name IN (?) AND r.kind = ?) OR r.generation BETWEEN ? AND ? OR "
      "r.deleted_time IS NOT NULL)",
      {"a"s, "C"s, int64_t{1}, int64_t{2}});
  EXPECT_EQ(Pg("NOT name LIKE 'a%'").sql, "NOT (r.name LIKE ?)");
}

TEST(CompileSearch, TimeColumnsAreNormalised) {
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

TEST(CompileSearch, LikeAndIlike) {
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

TEST(CompileSearch, Labels) {
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

TEST(CompileSearch, SpecPaths) {
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

TEST(CompileSearch, Conditions) {
  ExpectBoth("status.conditions.Reconciled = 'True'",
             "r.id IN (SELECT resource_id FROM resource_conditions WHERE type = ? AND status = ?)",
             {"Reconciled"s, "True"s});
  ExpectBoth("status.conditions.Available = 'Unknown'",
             "r.id IN (SELECT resource_id FROM resource_conditions WHERE type = ? AND status = ?)",
             {"Available"s, "Unknown"s});

  auto pg = Pg("status.conditions.Reconciled.last_updated_time < '2026-03-06T14:00:00Z'");
  EXPECT_EQ(pg.sql,
            "r.id IN (SELECT resource_id FROM resource_conditions WHERE type = ? AND "
            "last_updated_time < ?::timestamptz)");
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
            "(r.id IN (SELECT resource_id FROM resource_conditions WHERE type = ? AND status = ?) "
            "AND r.id IN (SELECT resource_id FROM resource_conditions WHERE type = ? AND "
            "last_updated_time < ?::timestamptz))");
  EXPECT_EQ(pg.params,
            (Params{"Reconciled"s, "True"s, "Reconciled"s, "2026-03-06T14:00:00.000000Z"s}));
  // OR over conditions is fine with semi-joins.
  EXPECT_EQ(Lite("status.conditions.Reconciled = 'False' or generation > 1").params,
            (Params{"Reconciled"s, "False"s, int64_t{1}}));
}

TEST(CompileSearch, PrecedenceAndParentheses) {
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

TEST(CompileSearch, LengthLimit) {
  const std::string fits = "name = '" + std::string(4096 - 9, 'x') + "'";
  ASSERT_EQ(fits.size(), 4096u);
  EXPECT_TRUE(CompileSearch("  " + fits + "  ", Dialect::kPostgres));
  EXPECT_TRUE(CompileSearch(fits + "\n ", Dialect::kSqlite));  // surrounding blanks do not count
  EXPECT_EQ(ErrorOf("name = '" + std::string(4096 - 8, 'x') + "'"),
            "search query exceeds maximum length of 4096 characters");
}

TEST(CompileSearch, SyntaxErrors) {
  const auto parse = [](std::string_view what) {
    return "failed to parse search query: " + std::string(what);
  };
  EXPECT_EQ(ErrorOf("name ="),
            parse("expected a quoted string or a number but found the end of the query at "
                  "position 7"));
  EXPECT_EQ(ErrorOf("name"),
            parse("expected an operator (=, !=, <, <=, >, >=, in, between, is, like, ilike) but "
                  "found the end of the query at position 5"));
  EXPECT_EQ(ErrorOf("= 'a'"), parse("expected a field name or '(' but found '=' at position 1"));
  EXPECT_EQ(ErrorOf("name = 'a' kind = 'b'"),
            parse("expected 'and', 'or' or the end of the query but found 'kind' at position 12"));
  EXPECT_EQ(ErrorOf("(name = 'a'"),
            parse("expected ')' but found the end of the query at position 12"));
  EXPECT_EQ(ErrorOf("name = 'a')"),
            parse("expected 'and', 'or' or the end of the query but found ')' at position 11"));
  EXPECT_EQ(ErrorOf("name = 'x"), parse("unterminated string starting at position 8"));
  EXPECT_EQ(ErrorOf("name = \"x\""), parse("unexpected character '\"' at position 8"));
  EXPECT_EQ(ErrorOf("name == 'x'"),
            parse("expected a quoted string or a number but found '=' at position 7"));
  EXPECT_EQ(ErrorOf("name ! 'x'"), parse("unexpected character '!' at position 6"));
  EXPECT_EQ(ErrorOf("name in []"),
            parse("expected a quoted string or a number but found ']' at position 10"));
  EXPECT_EQ(ErrorOf("name in ['a',]"),
            parse("expected a quoted string or a number but found ']' at position 14"));
  EXPECT_EQ(ErrorOf("name in ['a')"), parse("expected ',' or ']' but found ')' at position 13"));
  EXPECT_EQ(ErrorOf("name in 'a'"), parse("expected '[' or '(' but found a string at position 9"));
  EXPECT_EQ(ErrorOf("generation between 1 or 2"),
            parse("expected 'and' but found 'or' at position 22"));
  EXPECT_EQ(ErrorOf("name is 'x'"), parse("expected 'null' but found a string at position 9"));
  EXPECT_EQ(ErrorOf("name is not"),
            parse("expected 'null' but found the end of the query at position 12"));
  EXPECT_EQ(ErrorOf("name = kind"),
            parse("expected a quoted string or a number but found 'kind' at position 8"));
  EXPECT_EQ(ErrorOf("name = 'a' and"),
            parse("expected a field name or '(' but found the end of the query at position 15"));
  EXPECT_EQ(ErrorOf("and = 1"),
            parse("expected a field name or '(' but found 'and' at position 1"));
  EXPECT_EQ(ErrorOf("not"),
            parse("expected a field name or '(' but found the end of the query at position 4"));
  EXPECT_EQ(ErrorOf("name = 5.x"), parse("unexpected character '.' at position 9"));
  EXPECT_EQ(ErrorOf("name = - 5"), parse("unexpected character '-' at position 8"));
  EXPECT_EQ(ErrorOf("name = 'a' \x01"), parse("unexpected character \\x01 at position 12"));
  EXPECT_EQ(ErrorOf("name = 'a' é"), parse("unexpected character 'é' at position 12"));
  EXPECT_EQ(ErrorOf("name = 'a\xff'"), parse("invalid UTF-8 at position 10"));
  EXPECT_EQ(ErrorOf("name = 'a\xed\xa0\x80'"), parse("invalid UTF-8 at position 10"));  // surrogate
  EXPECT_EQ(ErrorOf(std::string("name = 'a\0'", 11)), parse("NUL character at position 10"));
}

TEST(CompileSearch, NestingIsBounded) {
  const auto nested = [](int depth) {
    return std::string(depth, '(') + "name = 'a'" + std::string(depth, ')');
  };
  EXPECT_TRUE(CompileSearch(nested(64), Dialect::kPostgres));
  EXPECT_EQ(ErrorOf(nested(65)),
            "failed to parse search query: expression nested more than 64 levels deep at "
            "position 65");
  std::string nots;
  for (int i = 0; i < 65; ++i) nots += "not ";
  EXPECT_EQ(ErrorOf(nots + "name = 'a'"),
            "failed to parse search query: expression nested more than 64 levels deep at "
            "position 257");
  // Long flat chains are not nesting.
  std::string chain = "name = 'a'";
  for (int i = 0; i < 250; ++i) chain += " or name = 'a'";
  EXPECT_EQ(Pg(chain).params.size(), 251u);
}

TEST(CompileSearch, FieldNames) {
  EXPECT_EQ(ErrorOf("foo = 'x'"), "invalid field in search or order query");
  EXPECT_EQ(ErrorOf("spec = 'x'"), "invalid field in search or order query");
  EXPECT_EQ(ErrorOf("labels = 'x'"), "invalid field in search or order query");
  EXPECT_EQ(ErrorOf("tenancy = 'x'"), "invalid field in search or order query");
  EXPECT_EQ(ErrorOf("Name = 'x'"), "Name is not a valid field name");
  EXPECT_EQ(ErrorOf("name-x = 'a'"), "name-x is not a valid field name");
  EXPECT_EQ(ErrorOf("a/b = 'a'"), "a/b is not a valid field name");
  EXPECT_EQ(ErrorOf("label.x = 'a'"), "label is not a related resource of Resource");
  EXPECT_EQ(ErrorOf("properties.foo = 'a'"), "properties is not a related resource of Resource");
  EXPECT_EQ(ErrorOf("status.phase = 'Ready'"), "status is not a related resource of Resource");
  EXPECT_EQ(ErrorOf("status.conditions = 'x'"), "status is not a related resource of Resource");
  EXPECT_EQ(ErrorOf("owner.Name = 'x'"), "owner.Name is not a valid field name");
  EXPECT_EQ(ErrorOf("labels. = 'x'"), "label key cannot be empty");
  EXPECT_EQ(ErrorOf("spec.Region = 'x'"),
            "spec field segment 'Region' is invalid: must contain only lowercase letters, "
            "digits, and underscores");
  EXPECT_EQ(ErrorOf("spec.a-b = 'x'"),
            "spec field segment 'a-b' is invalid: must contain only lowercase letters, digits, "
            "and underscores");
  EXPECT_EQ(ErrorOf("spec.a..b = 'x'"), "spec field segment cannot be empty");
  EXPECT_EQ(ErrorOf("spec. = 'x'"), "spec field segment cannot be empty");
}

TEST(CompileSearch, TypedColumns) {
  EXPECT_EQ(ErrorOf("generation = 'abc'"), "field 'generation' expects an integer");
  EXPECT_EQ(ErrorOf("generation = '1'"), "field 'generation' expects an integer");
  EXPECT_EQ(ErrorOf("generation = 1.5"), "field 'generation' expects an integer");
  EXPECT_EQ(ErrorOf("generation = 99999999999999999999"), "field 'generation' expects an integer");
  EXPECT_EQ(ErrorOf("generation in [1, 'x']"), "field 'generation' expects an integer");
  EXPECT_EQ(ErrorOf("generation between 1 and 'x'"), "field 'generation' expects an integer");
  const std::string rfc3339 = "' expects an RFC3339 timestamp (e.g. 2026-01-01T00:00:00Z)";
  EXPECT_EQ(ErrorOf("created_time = 'yesterday'"), "field 'created_time" + rfc3339);
  EXPECT_EQ(ErrorOf("updated_time > 5"), "field 'updated_time" + rfc3339);
  EXPECT_EQ(ErrorOf("deleted_time < '2026-01-01T00:00:00'"), "field 'deleted_time" + rfc3339);
  EXPECT_EQ(ErrorOf("created_time in ['2026-01-01T00:00:00Z', 'x']"),
            "field 'created_time" + rfc3339);
  EXPECT_EQ(ErrorOf("created_time between '2026-13-01' and '2026-01-01'"),
            "field 'created_time" + rfc3339);
  EXPECT_EQ(ErrorOf("generation like '1%'"),
            "operator 'like' is not supported for field 'generation'");
  EXPECT_EQ(ErrorOf("created_time ilike '2026%'"),
            "operator 'ilike' is not supported for field 'created_time'");
  EXPECT_EQ(ErrorOf(R"(name like 'abc\')"),
            R"(like pattern must not end with the escape character '\')");
  EXPECT_TRUE(CompileSearch(R"(name like 'abc\\')", Dialect::kPostgres));
}

TEST(CompileSearch, ConditionRules) {
  EXPECT_EQ(
      ErrorOf("status.conditions.reconciled = 'True'"),
      "condition type 'reconciled' is invalid: must be PascalCase (e.g., Reconciled, Available)");
  EXPECT_EQ(
      ErrorOf("status.conditions.Ready_1 = 'True'"),
      "condition type 'Ready_1' is invalid: must be PascalCase (e.g., Reconciled, Available)");
  EXPECT_EQ(ErrorOf("status.conditions. = 'True'"), "condition type cannot be empty");
  EXPECT_EQ(ErrorOf("status.conditions.A.b.c = 1"),
            "invalid condition format: expected status.conditions.<Type> or "
            "status.conditions.<Type>.<subfield>");
  EXPECT_EQ(ErrorOf("status.conditions.Ready.created_time < '2026-01-01T00:00:00Z'"),
            "condition subfield 'created_time' is not supported; use last_updated_time, "
            "last_transition_time, or observed_generation");
  EXPECT_EQ(ErrorOf("status.conditions.Ready.status = 'True'"),
            "condition subfield 'status' is not supported; use last_updated_time, "
            "last_transition_time, or observed_generation");
  const std::string only_eq =
      "only equality operator (=) is supported for condition status queries";
  EXPECT_EQ(ErrorOf("status.conditions.Ready != 'True'"), only_eq);
  EXPECT_EQ(ErrorOf("status.conditions.Ready > 'True'"), only_eq);
  EXPECT_EQ(ErrorOf("status.conditions.Ready is null"), only_eq);
  EXPECT_EQ(ErrorOf("status.conditions.Ready = 'true'"),
            "condition status 'true' is invalid: must be True, False, or Unknown");
  EXPECT_EQ(ErrorOf("status.conditions.Ready = 1"),
            "condition status '1' is invalid: must be True, False, or Unknown");
  const std::string ops =
      " is not supported for condition queries; use comparison operators (=, !=, <, <=, >, >=)";
  EXPECT_EQ(ErrorOf("status.conditions.Ready in ['True']"), "IN" + ops);
  EXPECT_EQ(ErrorOf("status.conditions.Ready.observed_generation in [1]"), "IN" + ops);
  EXPECT_EQ(ErrorOf("status.conditions.Ready between 'False' and 'True'"), "BETWEEN" + ops);
  EXPECT_EQ(ErrorOf("status.conditions.Ready like 'T%'"), "LIKE/ILIKE" + ops);
  EXPECT_EQ(ErrorOf("status.conditions.Ready.last_updated_time ilike '2026%'"), "LIKE/ILIKE" + ops);
  EXPECT_EQ(ErrorOf("status.conditions.Ready.last_updated_time is null"),
            "operator 'is null' is not supported for condition subfield queries; use =, !=, <, "
            "<=, >, or >=");
  const std::string bad_time =
      "invalid timestamp for condition subfield: expected RFC3339 format (e.g., "
      "2026-01-01T00:00:00Z)";
  EXPECT_EQ(ErrorOf("status.conditions.Ready.last_updated_time < 'yesterday'"), bad_time);
  EXPECT_EQ(ErrorOf("status.conditions.Ready.last_transition_time < 5"), bad_time);
  EXPECT_EQ(ErrorOf("status.conditions.Ready.observed_generation = 1.5"),
            "expected integer value for condition subfield 'observed_generation', got 1.5");
  EXPECT_EQ(ErrorOf("status.conditions.Ready.observed_generation = '3'"),
            "expected integer value for condition subfield 'observed_generation', got '3'");
  EXPECT_EQ(ErrorOf("status.conditions.Ready.observed_generation > 2147483648"),
            "value 2147483648 is out of 32-bit integer range for condition subfield "
            "'observed_generation'");
  EXPECT_EQ(ErrorOf("status.conditions.Ready.observed_generation > 99999999999999999999"),
            "value 99999999999999999999 is out of 32-bit integer range for condition subfield "
            "'observed_generation'");
}

TEST(CompileSearch, NotAboveLabelsAndConditions) {
  const std::string labels = "NOT operator is not supported with label queries";
  const std::string conditions = "NOT operator is not supported with condition queries";
  EXPECT_EQ(ErrorOf("not labels.env = 'prod'"), labels);
  EXPECT_EQ(ErrorOf("NOT labels.env is null"), labels);
  EXPECT_EQ(ErrorOf("not (name = 'a' and labels.env = 'prod')"), labels);
  EXPECT_EQ(ErrorOf("not not labels.x = 'a'"), labels);
  EXPECT_EQ(ErrorOf("not labels. = 'a'"), labels);
  EXPECT_EQ(ErrorOf("not status.conditions.Ready = 'True'"), conditions);
  EXPECT_EQ(
      ErrorOf("name = 'a' and not (kind = 'b' or status.conditions.Ready.observed_generation > 1)"),
      conditions);
  EXPECT_EQ(ErrorOf("not status.conditions.bad = 'x'"), conditions);
  // Labels and conditions beside a not are fine.
  EXPECT_TRUE(
      CompileSearch("not name = 'a' and labels.env = 'prod' and status.conditions.Ready = 'True'",
                    Dialect::kSqlite));
}

TEST(CompileSearch, InjectionAttemptsAreBoundOrRejected) {
  // Quotes end the string; the rest is not part of the grammar.
  EXPECT_EQ(ErrorOf("name = 'x'; DROP TABLE resources; --'"),
            "failed to parse search query: unexpected character ';' at position 11");
  EXPECT_EQ(ErrorOf("name='a' or 1=1"),
            "failed to parse search query: expected a field name or '(' but found the number 1 at "
            "position 13");
  EXPECT_EQ(ErrorOf("name = 'a' or 'a'='a'"),
            "failed to parse search query: expected a field name or '(' but found a string at "
            "position 15");
  EXPECT_EQ(ErrorOf("name = ''a'"),
            "failed to parse search query: unterminated string starting at position 11");
  EXPECT_EQ(Pg("name = 'a'''").params, Params{"a'"s});  // 'a''' is the string a'
  EXPECT_EQ(ErrorOf("pg_sleep(10) = 1"),
            "failed to parse search query: expected an operator (=, !=, <, <=, >, >=, in, between, "
            "is, like, ilike) but found '(' at position 9");
  EXPECT_EQ(ErrorOf("pg_sleep = 1"), "invalid field in search or order query");
  EXPECT_EQ(ErrorOf("name = 'a' -- comment"),
            "failed to parse search query: unexpected character '-' at position 12");
  EXPECT_EQ(ErrorOf("name = 'a' /* x */"),
            "failed to parse search query: unexpected character '/' at position 12");
  EXPECT_EQ(ErrorOf("spec.a') = 1 or ('1 = 1"),
            "failed to parse search query: expected an operator (=, !=, <, <=, >, >=, in, between, "
            "is, like, ilike) but found a string at position 7");
  EXPECT_EQ(ErrorOf("labels.x\\' = 'a'"),
            "failed to parse search query: unexpected character '\\' at position 9");

  // Hostile text inside a string is just a value.
  for (const std::string value : {"x'; DROP TABLE resources; --", "' OR '1'='1", "?", "$1",
                                  "\\'; SELECT pg_sleep(10); --", "a\"b", "%_\\"}) {
    std::string quoted;
    for (char c : value) quoted += c == '\'' ? "''" : std::string(1, c);
    for (const std::string field : {"name", "labels.env", "spec.a.b"}) {
      for (Dialect dialect : {Dialect::kPostgres, Dialect::kSqlite}) {
        const std::string query = field + " = '" + quoted + "'";
        const SqlFragment f = Compile(query, dialect);
        EXPECT_EQ(f.params.back(), SqlParam(value)) << query;
        if (value != "?") {
          EXPECT_EQ(f.sql.find(value), std::string::npos) << f.sql;
        }
        EXPECT_EQ(f.sql.find(';'), std::string::npos) << f.sql;
      }
    }
  }
}

}  // namespace
}  // namespace hf::search
