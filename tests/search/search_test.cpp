#include "search/search.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <variant>

namespace hf::search {
namespace {

// `query` as failure messages show it: long generated queries are cut short.
std::string Shown(std::string_view query) {
  return query.size() <= 120 ? std::string(query) : std::string(query.substr(0, 117)) + "...";
}

// A value with its type: 'text', 3 (int64), double(1.5), time(…).
std::string Render(const Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return "'" + *text + "'";
  if (const auto* integer = std::get_if<int64_t>(&value)) return std::to_string(*integer);
  if (const auto* real = std::get_if<double>(&value)) {
    std::ostringstream out;
    out << "double(" << *real << ")";
    return out.str();
  }
  return "time(" + FormatTime(std::get<Time>(value)) + ")";
}

std::string Render(const Comparison& cmp) {
  std::string out(ToString(cmp.op));
  const auto& v = cmp.values;
  if (cmp.op == CompareOp::kBetween && v.size() == 2) {
    return out + " " + Render(v[0]) + " and " + Render(v[1]);
  }
  if (cmp.op == CompareOp::kIn) {
    out += " (";
    for (size_t i = 0; i < v.size(); ++i) out += (i > 0 ? ", " : "") + Render(v[i]);
    return out + ")";
  }
  for (const Value& value : v) out += " " + Render(value);
  return out;
}

// A filter in a compact form that shows every part of the tree: `name = 'a'`,
// `labels[env] in ('a')`, `spec[a,b] > 3`, `conditions[Ready].status = 'True'`,
// `conditions[Ready].observed_generation >= 1`, `(x and y)`, `(x or y)`, `not(x)`.
std::string Render(const Filter& filter) {
  struct TermRenderer {
    std::string operator()(const ColumnTerm& t) const {
      return t.column + " " + Render(t.comparison);
    }
    std::string operator()(const LabelTerm& t) const {
      return "labels[" + t.key + "] " + Render(t.comparison);
    }
    std::string operator()(const SpecTerm& t) const {
      std::string path;
      for (const std::string& segment : t.path) path += (path.empty() ? "" : ",") + segment;
      return "spec[" + path + "] " + Render(t.comparison);
    }
    std::string operator()(const ConditionStatusTerm& t) const {
      return "conditions[" + t.type + "].status = '" + t.status + "'";
    }
    std::string operator()(const ConditionFieldTerm& t) const {
      return "conditions[" + t.type + "]." + t.field + " " + Render(t.comparison);
    }
  };
  switch (filter.kind) {
    case Filter::Kind::kTerm:
      return std::visit(TermRenderer{}, filter.term);
    case Filter::Kind::kNot:
      return "not(" + Render(filter.operands.at(0)) + ")";
    case Filter::Kind::kAnd:
    case Filter::Kind::kOr: {
      const std::string glue = filter.kind == Filter::Kind::kAnd ? " and " : " or ";
      std::string out = "(";
      for (size_t i = 0; i < filter.operands.size(); ++i) {
        out += (i > 0 ? glue : "") + Render(filter.operands[i]);
      }
      return out + ")";
    }
  }
  return "?";
}

// The parsed filter of `query`, rendered; "<none>" for no filter, "<error>" on an error.
std::string Parsed(std::string_view query) {
  auto result = ParseSearch(query);
  EXPECT_TRUE(result) << Shown(query) << " → " << result.error().ToString();
  if (!result) return "<error>";
  return *result ? Render(**result) : "<none>";
}

// The message of the kBadRequest error `query` must produce.
std::string ErrorOf(std::string_view query) {
  auto result = ParseSearch(query);
  EXPECT_FALSE(result) << Shown(query) << " parsed as "
                       << (result && *result ? Render(**result) : "<none>");
  if (result) return "";
  EXPECT_EQ(result.error().code, ErrorCode::kBadRequest) << query;
  return result.error().message;
}

TEST(ParseSearch, EmptyOrBlankMeansNoFilter) {
  for (const char* query : {"", "   ", " \t\r\n "}) {
    EXPECT_EQ(Parsed(query), "<none>") << '"' << query << '"';
  }
  EXPECT_EQ(Parsed("  \tname = 'a'\n "), "name = 'a'");
}

TEST(ParseSearch, PlainColumnsAndOperators) {
  EXPECT_EQ(Parsed("name = 'c1'"), "name = 'c1'");
  EXPECT_EQ(Parsed("name != 'c1'"), "name != 'c1'");
  EXPECT_EQ(Parsed("kind<'b'"), "kind < 'b'");
  EXPECT_EQ(Parsed("owner_id <= 'x'"), "owner_id <= 'x'");
  EXPECT_EQ(Parsed("href > 'x'"), "href > 'x'");
  EXPECT_EQ(Parsed("created_by >= 'x'"), "created_by >= 'x'");
  EXPECT_EQ(Parsed("generation = 3"), "generation = 3");
  EXPECT_EQ(Parsed("generation > -1"), "generation > -1");
  EXPECT_EQ(Parsed("name in ['c1','c2']"), "name in ('c1', 'c2')");
  EXPECT_EQ(Parsed("name in ('c1', 'c2', 'c3')"), "name in ('c1', 'c2', 'c3')");
  EXPECT_EQ(Parsed("generation between 1 and 3"), "generation between 1 and 3");
  EXPECT_EQ(Parsed("generation in [1, 2]"), "generation in (1, 2)");
  EXPECT_EQ(Parsed("deleted_time is null"), "deleted_time is null");
  EXPECT_EQ(Parsed("deleted_by IS NOT NULL"), "deleted_by is not null");
  EXPECT_EQ(Parsed("generation is null"), "generation is null");
  for (const char* column : {"id", "kind", "name", "href", "owner_id", "owner_kind", "owner_href",
                             "created_by", "updated_by", "deleted_by"}) {
    EXPECT_EQ(Parsed(std::string(column) + " = 'v'"), std::string(column) + " = 'v'");
  }
}

TEST(ParseSearch, StringsAndNumbersAgainstTextColumns) {
  EXPECT_EQ(Parsed("name = 'it''s'"), "name = 'it's'");
  EXPECT_EQ(Parsed("name = ''"), "name = ''");
  EXPECT_EQ(Parsed("name = 'héllo wörld'"), "name = 'héllo wörld'");
  // A number compared with text is compared as its text, as written.
  EXPECT_EQ(Parsed("name = 5"), "name = '5'");
  EXPECT_EQ(Parsed("name in [1.50, 'x']"), "name in ('1.50', 'x')");
}

TEST(ParseSearch, KeywordsAreCaseInsensitive) {
  EXPECT_EQ(
      Parsed("name IN ['a'] AND kind = 'C' Or generation BeTwEeN 1 aNd 2 or deleted_time IS NOT "
             "NULL"),
      "((name in ('a') and kind = 'C') or generation between 1 and 2 or deleted_time is not null)");
  EXPECT_EQ(Parsed("NOT name LIKE 'a%'"), "not(name like 'a%')");
}

TEST(ParseSearch, TimeColumnsAreTimes) {
  EXPECT_EQ(Parsed("created_time < '2026-03-06T14:00:00Z'"),
            "created_time < time(2026-03-06T14:00:00.000000Z)");
  EXPECT_EQ(Parsed("updated_time >= '2026-03-06T16:00:00.25+02:00'"),
            "updated_time >= time(2026-03-06T14:00:00.250000Z)");
  // A bare date means midnight UTC.
  EXPECT_EQ(Parsed("deleted_time > '2026-03-06'"),
            "deleted_time > time(2026-03-06T00:00:00.000000Z)");
  EXPECT_EQ(Parsed("created_time between '2026-01-01T00:00:00Z' and '2026-02-01T00:00:00Z'"),
            "created_time between time(2026-01-01T00:00:00.000000Z) and "
            "time(2026-02-01T00:00:00.000000Z)");
  EXPECT_EQ(Parsed("created_time in ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z']"),
            "created_time in (time(2026-01-01T00:00:00.000000Z), "
            "time(2026-02-01T00:00:00.000000Z))");
}

TEST(ParseSearch, LikePatternsAreText) {
  EXPECT_EQ(Parsed("name like 'c%'"), "name like 'c%'");
  EXPECT_EQ(Parsed("name ilike 'C_%'"), "name ilike 'C_%'");
  EXPECT_EQ(Parsed(R"(name like 'a\_b\%_*?[x]\\')"), R"(name like 'a\_b\%_*?[x]\\')");
  EXPECT_EQ(Parsed("labels.env like 'prod%'"), "labels[env] like 'prod%'");
  EXPECT_EQ(Parsed("spec.x like 5"), "spec[x] like '5'");
}

TEST(ParseSearch, Labels) {
  EXPECT_EQ(Parsed("labels.environment = 'production'"), "labels[environment] = 'production'");
  EXPECT_EQ(Parsed("labels.app.kubernetes.io/name != 'web-1'"),
            "labels[app.kubernetes.io/name] != 'web-1'");
  EXPECT_EQ(Parsed("labels.Tier_2 in ['a', 'b']"), "labels[Tier_2] in ('a', 'b')");
  // Label values are text, numbers included.
  EXPECT_EQ(Parsed("labels.n between 1 and 'z'"), "labels[n] between '1' and 'z'");
  EXPECT_EQ(Parsed("labels.n >= 10"), "labels[n] >= '10'");
  EXPECT_EQ(Parsed("labels.env is null"), "labels[env] is null");
  EXPECT_EQ(Parsed("labels.env is not null"), "labels[env] is not null");
  EXPECT_EQ(Parsed("labels.env ilike 'prod%'"), "labels[env] ilike 'prod%'");
}

TEST(ParseSearch, SpecPaths) {
  EXPECT_EQ(Parsed("spec.region = 'us-east-1'"), "spec[region] = 'us-east-1'");
  // Compared with an unquoted number, the value is a number: int64 when it is an integer that
  // fits, double otherwise.
  EXPECT_EQ(Parsed("spec.release.version > 9"), "spec[release,version] > 9");
  EXPECT_EQ(Parsed("spec.cpu <= 1.5"), "spec[cpu] <= double(1.5)");
  EXPECT_EQ(Parsed("spec.cpu = -0.25"), "spec[cpu] = double(-0.25)");
  EXPECT_EQ(Parsed("spec.big = 99999999999999999999"), "spec[big] = double(1e+20)");
  // A quoted number is text.
  EXPECT_EQ(Parsed("spec.release.version = '9'"), "spec[release,version] = '9'");
  // IN and BETWEEN take numbers only when every value is a number.
  EXPECT_EQ(Parsed("spec.a.b_2.c3 in [1, 2]"), "spec[a,b_2,c3] in (1, 2)");
  EXPECT_EQ(Parsed("spec.size in [1, 'two']"), "spec[size] in ('1', 'two')");
  EXPECT_EQ(Parsed("spec.size between 1 and 10"), "spec[size] between 1 and 10");
  EXPECT_EQ(Parsed("spec.size between 1 and '10'"), "spec[size] between '1' and '10'");
  EXPECT_EQ(Parsed("spec.x is null"), "spec[x] is null");
  EXPECT_EQ(Parsed("spec.x is not null"), "spec[x] is not null");
}

TEST(ParseSearch, Conditions) {
  EXPECT_EQ(Parsed("status.conditions.Reconciled = 'True'"),
            "conditions[Reconciled].status = 'True'");
  EXPECT_EQ(Parsed("status.conditions.Available = 'Unknown'"),
            "conditions[Available].status = 'Unknown'");
  EXPECT_EQ(Parsed("status.conditions.Ready = 'False'"), "conditions[Ready].status = 'False'");
  EXPECT_EQ(Parsed("status.conditions.Reconciled.last_updated_time < '2026-03-06T14:00:00Z'"),
            "conditions[Reconciled].last_updated_time < time(2026-03-06T14:00:00.000000Z)");
  EXPECT_EQ(Parsed("status.conditions.Ready2.last_transition_time >= '2026-03-06T14:00:00+01:00'"),
            "conditions[Ready2].last_transition_time >= time(2026-03-06T13:00:00.000000Z)");
  EXPECT_EQ(Parsed("status.conditions.Available.observed_generation != 3"),
            "conditions[Available].observed_generation != 3");
  EXPECT_EQ(Parsed("status.conditions.A.observed_generation >= -2147483648"),
            "conditions[A].observed_generation >= -2147483648");
  // The reference's example for the ticker.
  EXPECT_EQ(Parsed("status.conditions.Reconciled='True' AND "
                   "status.conditions.Reconciled.last_updated_time < '2026-03-06T14:00:00Z'"),
            "(conditions[Reconciled].status = 'True' and "
            "conditions[Reconciled].last_updated_time < time(2026-03-06T14:00:00.000000Z))");
  EXPECT_EQ(Parsed("status.conditions.Reconciled = 'False' or generation > 1"),
            "(conditions[Reconciled].status = 'False' or generation > 1)");
}

TEST(ParseSearch, PrecedenceAndParentheses) {
  EXPECT_EQ(Parsed("name = 'a' and kind = 'b'"), "(name = 'a' and kind = 'b')");
  // and binds tighter than or.
  EXPECT_EQ(Parsed("name = 'a' or kind = 'b' and id = 'c'"),
            "(name = 'a' or (kind = 'b' and id = 'c'))");
  EXPECT_EQ(Parsed("name = 'a' and kind = 'b' or id = 'c'"),
            "((name = 'a' and kind = 'b') or id = 'c')");
  EXPECT_EQ(Parsed("(name = 'a' or kind = 'b') and id = 'c'"),
            "((name = 'a' or kind = 'b') and id = 'c')");
  // not binds tighter than and, looser than a comparison.
  EXPECT_EQ(Parsed("not name = 'a' and kind = 'b'"), "(not(name = 'a') and kind = 'b')");
  EXPECT_EQ(Parsed("not (name = 'a' or kind = 'b')"), "not((name = 'a' or kind = 'b'))");
  EXPECT_EQ(Parsed("not not name = 'a'"), "not(not(name = 'a'))");
  // Chains flatten; redundant parentheses vanish.
  EXPECT_EQ(Parsed("name = 'a' or name = 'b' or name = 'c'"),
            "(name = 'a' or name = 'b' or name = 'c')");
  EXPECT_EQ(Parsed("((name = 'a'))"), "name = 'a'");
  EXPECT_EQ(Parsed("(name='a')and(kind='b')"), "(name = 'a' and kind = 'b')");
  EXPECT_EQ(Parsed("generation between 1 and 2 and (labels.x in ['p', 'q'] or name = 'n')"),
            "(generation between 1 and 2 and (labels[x] in ('p', 'q') or name = 'n'))");
  // not around something that is neither a label nor a condition is allowed.
  EXPECT_EQ(Parsed("not (spec.a = 1 or deleted_time is null)"),
            "not((spec[a] = 1 or deleted_time is null))");
}

TEST(ParseSearch, LengthLimit) {
  const std::string fits = "name = '" + std::string(4096 - 9, 'x') + "'";
  ASSERT_EQ(fits.size(), 4096u);
  EXPECT_TRUE(ParseSearch("  " + fits + "  "));
  EXPECT_TRUE(ParseSearch(fits + "\n "));  // surrounding blanks do not count
  EXPECT_EQ(ErrorOf("name = '" + std::string(4096 - 8, 'x') + "'"),
            "search query exceeds maximum length of 4096 characters");
}

TEST(ParseSearch, SyntaxErrors) {
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
  EXPECT_EQ(ErrorOf("status.conditions.Reconciled.observed_generation < generation"),
            parse("expected a quoted string or a number but found 'generation' at position 52"));
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

TEST(ParseSearch, NestingIsBounded) {
  const auto nested = [](int depth) {
    return std::string(depth, '(') + "name = 'a'" + std::string(depth, ')');
  };
  EXPECT_EQ(Parsed(nested(64)), "name = 'a'");
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
  auto filter = ParseSearch(chain);
  ASSERT_TRUE(filter && *filter);
  EXPECT_EQ((*filter)->kind, Filter::Kind::kOr);
  EXPECT_EQ((*filter)->operands.size(), 251u);
}

TEST(ParseSearch, FieldNames) {
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

TEST(ParseSearch, TypedColumns) {
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
  EXPECT_EQ(ErrorOf(R"(labels.env ilike 'a\')"),
            R"(like pattern must not end with the escape character '\')");
  EXPECT_EQ(ErrorOf(R"(spec.a like 'a\%\')"),
            R"(like pattern must not end with the escape character '\')");
  EXPECT_EQ(Parsed(R"(name like 'abc\\')"), R"(name like 'abc\\')");
}

TEST(ParseSearch, ConditionRules) {
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
  EXPECT_EQ(ErrorOf("status.conditions.Ready.observed_generation is not null"),
            "operator 'is not null' is not supported for condition subfield queries; use =, !=, "
            "<, <=, >, or >=");
  const std::string bad_time =
      "invalid timestamp for condition subfield: expected RFC3339 format (e.g., "
      "2026-01-01T00:00:00Z)";
  EXPECT_EQ(ErrorOf("status.conditions.Ready.last_updated_time < 'yesterday'"), bad_time);
  EXPECT_EQ(ErrorOf("status.conditions.Ready.last_transition_time < 5"), bad_time);
  // Unlike the resource time columns, a condition time takes no bare date.
  EXPECT_EQ(ErrorOf("status.conditions.Ready.last_updated_time < '2026-03-06'"), bad_time);
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

TEST(ParseSearch, NotAboveLabelsAndConditions) {
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
  EXPECT_EQ(Parsed("not name = 'a' and labels.env = 'prod' and status.conditions.Ready = 'True'"),
            "(not(name = 'a') and labels[env] = 'prod' and conditions[Ready].status = 'True')");
}

TEST(ParseSearch, TheFirstProblemFromTheLeftIsReported) {
  EXPECT_EQ(ErrorOf("foo = 1 and generation = 'x'"), "invalid field in search or order query");
  EXPECT_EQ(ErrorOf("generation = 'x' or foo = 1"), "field 'generation' expects an integer");
  EXPECT_EQ(ErrorOf("name = 'a' and (not labels.x = 'a' or created_time = 'x')"),
            "NOT operator is not supported with label queries");
  // The whole query's syntax is checked before any field.
  EXPECT_EQ(ErrorOf("foo = 1 and name ="),
            "failed to parse search query: expected a quoted string or a number but found the "
            "end of the query at position 19");
}

TEST(ParseSearch, InjectionAttemptsAreRejectedOrJustValues) {
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
  EXPECT_EQ(Parsed("name = 'a'''"), "name = 'a''");  // 'a''' is the string a'
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
  // Hostile text inside a string is just a value (the store binds it as a parameter).
  EXPECT_EQ(Parsed("labels.env = 'x''; DROP TABLE resources; --'"),
            "labels[env] = 'x'; DROP TABLE resources; --'");
}

}  // namespace
}  // namespace hf::search
