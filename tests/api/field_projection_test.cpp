// `?fields=` on lists: which paths are accepted, and what a projected item keeps.
#include "api/field_projection.hpp"

#include <gtest/gtest.h>

namespace hf::api {
namespace {

using nlohmann::json;
using Fields = std::vector<std::string>;

http::Request With(const std::string& target) {
  http::Request req;
  req.target = target;
  EXPECT_TRUE(http::ParseTarget(target, req.path, req.query));
  return req;
}

TEST(DecodeFields, AbsentMeansEveryField) {
  auto f = DecodeFields(With("/clusters?page=1"));
  ASSERT_TRUE(f);
  EXPECT_FALSE(*f);
}

TEST(DecodeFields, CommaListsAndRepeatsAddUp) {
  auto f = DecodeFields(With("/clusters?fields=name,%20spec.region&fields=labels.*,status"));
  ASSERT_TRUE(f) << f.error().ToString();
  ASSERT_TRUE(*f);
  // "a.*" means all of a; items are trimmed.
  EXPECT_EQ(**f, (Fields{"name", "spec.region", "labels", "status"}));
}

TEST(DecodeFields, UnknownOrEmptyPathsAreABadRequest) {
  for (const char* value : {"bogus", "name,bogus", "spec..region", "spec.", ".name", "*", "Name",
                            "status.conditions..type"}) {
    auto f = DecodeFields(With(std::string("/clusters?fields=") + value));
    ASSERT_FALSE(f) << value;
    EXPECT_EQ(f.error().code, ErrorCode::kBadRequest) << value;
    EXPECT_TRUE(f.error().message.starts_with("invalid field '")) << f.error().message;
    EXPECT_TRUE(f.error().message.ends_with("' in fields query")) << f.error().message;
  }
  auto f = DecodeFields(With("/clusters?fields=name,bogus.x"));
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().message, "invalid field 'bogus.x' in fields query");
}

const json kItem = {
    {"id", "c-1"},
    {"kind", "Cluster"},
    {"name", "alpha"},
    {"spec", {{"region", "eu"}, {"network", {{"cidr", "10.0.0.0/16"}, {"mtu", 9000}}}}},
    {"labels", {{"team", "red"}}},
    {"generation", 2}};

TEST(Project, KeepsTheIdAndTheAskedFields) {
  EXPECT_EQ(Project(kItem, {"name"}), (json{{"id", "c-1"}, {"name", "alpha"}}));
  EXPECT_EQ(Project(kItem, {}), (json{{"id", "c-1"}}));
  EXPECT_EQ(Project(kItem, {"labels", "generation"}),
            (json{{"id", "c-1"}, {"labels", {{"team", "red"}}}, {"generation", 2}}));
}

TEST(Project, NestedPathsKeepOnlyTheirBranch) {
  EXPECT_EQ(Project(kItem, {"spec.network.mtu"}),
            (json{{"id", "c-1"}, {"spec", {{"network", {{"mtu", 9000}}}}}}));
  // Two paths under one parent merge; a whole parent wins over its branch given first.
  EXPECT_EQ(
      Project(kItem, {"spec.region", "spec.network.cidr"}),
      (json{{"id", "c-1"}, {"spec", {{"region", "eu"}, {"network", {{"cidr", "10.0.0.0/16"}}}}}}));
  EXPECT_EQ(Project(kItem, {"spec.region", "spec"}),
            (json{{"id", "c-1"}, {"spec", kItem["spec"]}}));
}

TEST(Project, PathsTheItemDoesNotHaveAreLeftOut) {
  EXPECT_EQ(Project(kItem, {"deleted_time", "spec.missing", "spec.region.deeper", "name"}),
            (json{{"id", "c-1"}, {"name", "alpha"}}));
  // An item without an id gets none.
  EXPECT_EQ(Project(json{{"name", "x"}}, {"name"}), (json{{"name", "x"}}));
}

}  // namespace
}  // namespace hf::api
