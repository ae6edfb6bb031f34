#include "api/presenters.hpp"

#include <gtest/gtest.h>

#include "common/time.hpp"

namespace hf::api {
namespace {

std::string Canonical(const std::string& text) {
  return nlohmann::json::parse(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

model::Resource Full() {
  model::Resource r;
  r.id = "019a0000-0000-7000-8000-000000000001";
  r.kind = "NodePool";
  r.name = "np \"one\"";
  r.href = "/api/hyperfleet/v1/clusters/c/nodepools/" + r.id;
  r.spec = {{"replicas", 3}, {"zone", "eu-west-1a"}, {"nested", {{"b", 1}, {"a", "\n"}}}};
  r.labels = {{"team", "platform"}, {"env", "prod\t"}};
  r.generation = 4;
  r.owner = model::ObjectRef{"c", "Cluster", "/api/hyperfleet/v1/clusters/c"};
  const Time t = *ParseTime("2026-12-05T10:00:00.123456Z");
  r.conditions = {{"Reconciled", "False", "Missing", "placement \xe2\x80\x94 late", 3, t, t, t},
                  {"Available", "True", "", "", 4, t, t, t}};
  r.created_time = t;
  r.updated_time = t;
  r.created_by = "alice";
  r.updated_by = "bob";
  r.deleted_time = t;
  r.deleted_by = "carol";
  return r;
}

// The text is written directly, but must be what a nlohmann::json tree of the same document
// would dump (sorted keys, the same escapes): clients and golden files see one format.
TEST(PresentResource, IsNlohmannCanonicalAndCarriesEveryField) {
  const std::string text = PresentResource(Full());
  EXPECT_EQ(text, Canonical(text));
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["name"], "np \"one\"");
  EXPECT_EQ(j["spec"]["nested"]["a"], "\n");
  EXPECT_EQ(j["labels"]["env"], "prod\t");
  EXPECT_EQ(j["generation"], 4);
  EXPECT_EQ(j["owner_references"]["kind"], "Cluster");
  EXPECT_EQ(j["deleted_by"], "carol");
  EXPECT_EQ(j["deleted_time"], "2026-12-05T10:00:00.123456Z");
  ASSERT_EQ(j["status"]["conditions"].size(), 2u);
  EXPECT_EQ(j["status"]["conditions"][0]["message"], "placement \xe2\x80\x94 late");
  EXPECT_EQ(j["status"]["conditions"][0]["observed_generation"], 3);
  EXPECT_FALSE(j["status"]["conditions"][1].contains("reason"));  // empty: left out
  EXPECT_FALSE(j["status"]["conditions"][1].contains("message"));
}

TEST(PresentResource, LeavesOutWhatAFreshRootResourceDoesNotHave) {
  model::Resource r = Full();
  r.labels.clear();
  r.owner.reset();
  r.deleted_time.reset();
  r.deleted_by.reset();
  r.conditions.clear();
  const std::string text = PresentResource(r);
  EXPECT_EQ(text, Canonical(text));
  const auto j = nlohmann::json::parse(text);
  for (const char* key : {"labels", "owner_references", "deleted_time", "deleted_by"}) {
    EXPECT_FALSE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["status"], nlohmann::json({{"conditions", nlohmann::json::array()}}));
}

}  // namespace
}  // namespace hf::api
