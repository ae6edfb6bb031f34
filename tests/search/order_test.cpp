#include "search/order.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hf::search {
namespace {

// "name asc,kind desc" for a parsed list, so failures read like the input.
std::string Render(const std::vector<OrderTerm>& terms) {
  std::string out;
  for (const OrderTerm& term : terms) {
    if (!out.empty()) out += ',';
    out += term.column + (term.descending ? " desc" : " asc");
  }
  return out;
}

std::string Parsed(const std::vector<std::string>& values) {
  auto result = ParseOrder(values);
  EXPECT_TRUE(result) << result.error().ToString();
  return result ? Render(*result) : "<error>";
}

std::string ErrorOf(const std::vector<std::string>& values) {
  auto result = ParseOrder(values);
  EXPECT_FALSE(result) << Render(*result);
  if (result) return "";
  EXPECT_EQ(result.error().code, ErrorCode::kBadRequest);
  return result.error().message;
}

std::string FormatError(std::string_view item) {
  return "invalid order format '" + std::string(item) + "': expected 'field' or 'field asc|desc'";
}

TEST(ParseOrder, NothingGivenMeansNoTerms) {
  EXPECT_EQ(Parsed({}), "");
  EXPECT_EQ(Parsed({""}), "");
  EXPECT_EQ(Parsed({"  ", ""}), "");
}

TEST(ParseOrder, FieldAndDirection) {
  EXPECT_EQ(Parsed({"name"}), "name asc");
  EXPECT_EQ(Parsed({"name asc"}), "name asc");
  EXPECT_EQ(Parsed({"name desc"}), "name desc");
  EXPECT_EQ(Parsed({"created_time desc"}), "created_time desc");
  EXPECT_EQ(Parsed({"  generation \t desc  "}), "generation desc");
}

TEST(ParseOrder, ListsAndRepeatedParameters) {
  EXPECT_EQ(Parsed({"kind asc,name desc"}), "kind asc,name desc");
  EXPECT_EQ(Parsed({"kind asc, name desc"}), "kind asc,name desc");
  EXPECT_EQ(Parsed({"kind", "name desc", "updated_time"}), "kind asc,name desc,updated_time asc");
  EXPECT_EQ(Parsed({"kind,id desc", "", "name"}), "kind asc,id desc,name asc");
}

TEST(ParseOrder, EveryResourceColumnIsAllowed) {
  for (const char* column :
       {"id", "kind", "name", "href", "generation", "owner_id", "owner_kind", "owner_href",
        "created_time", "updated_time", "deleted_time", "created_by", "updated_by", "deleted_by"}) {
    EXPECT_EQ(Parsed({std::string(column) + " desc"}), std::string(column) + " desc");
  }
}

TEST(ParseOrder, MalformedItems) {
  EXPECT_EQ(ErrorOf({"name ascending"}), FormatError("name ascending"));
  EXPECT_EQ(ErrorOf({"name; DROP TABLE resources"}), FormatError("name; DROP TABLE resources"));
  EXPECT_EQ(ErrorOf({"name; DROP TABLE"}), FormatError("name; DROP TABLE"));
  EXPECT_EQ(ErrorOf({"pg_sleep(10)"}), FormatError("pg_sleep(10)"));
  EXPECT_EQ(ErrorOf({"name asc extra"}), FormatError("name asc extra"));
  EXPECT_EQ(ErrorOf({"name DESC"}), FormatError("name DESC"));
  EXPECT_EQ(ErrorOf({"Name"}), FormatError("Name"));
  EXPECT_EQ(ErrorOf({"1name"}), FormatError("1name"));
  EXPECT_EQ(ErrorOf({"name-x"}), FormatError("name-x"));
  EXPECT_EQ(ErrorOf({"r.name"}), FormatError("r.name"));
  EXPECT_EQ(ErrorOf({"name,"}), FormatError(""));
  EXPECT_EQ(ErrorOf({",name"}), FormatError(""));
  EXPECT_EQ(ErrorOf({"kind", "name asc desc"}), FormatError("name asc desc"));
  EXPECT_EQ(ErrorOf({"name\x01"}), FormatError("name\x01"));
}

TEST(ParseOrder, UnknownColumns) {
  const std::string unknown = "invalid field in search or order query";
  EXPECT_EQ(ErrorOf({"foo"}), unknown);
  EXPECT_EQ(ErrorOf({"spec desc"}), unknown);
  EXPECT_EQ(ErrorOf({"labels"}), unknown);
  EXPECT_EQ(ErrorOf({"pg_sleep"}), unknown);
  EXPECT_EQ(ErrorOf({"name", "bogus desc"}), unknown);
}

}  // namespace
}  // namespace hf::search
