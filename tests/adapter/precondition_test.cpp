// Field paths and precondition evaluation over a cluster document.
#include "adapter/precondition.hpp"

#include <gtest/gtest.h>

namespace hf::adapter {
namespace {

using nlohmann::json;

const json kCluster = json::parse(R"({
  "id": "c1", "generation": 3,
  "labels": {"env": "prod", "app.kubernetes.io/name": "web"},
  "spec": {"region": "eu-west", "nodes": [{"name": "n0"}, {"name": "n1"}], "count": 5,
           "tags": ["a", "b"], "fail_dns": true},
  "status": {"conditions": [
    {"type": "Reconciled", "status": "False"},
    {"type": "ValidationSuccessful", "status": "True"}]}
})");

const json* At(const std::string& path) {
  auto p = FieldPath::Parse(path);
  EXPECT_TRUE(p) << p.error().message;
  return p ? p->Find(kCluster) : nullptr;
}

TEST(FieldPathTest, FindsKeysIndexesQuotedKeysAndMatches) {
  EXPECT_EQ(*At("spec.region"), "eu-west");
  EXPECT_EQ(*At("labels.env"), "prod");
  EXPECT_EQ(*At("labels[\"app.kubernetes.io/name\"]"), "web");
  EXPECT_EQ(*At("spec.nodes[1].name"), "n1");
  EXPECT_EQ(*At("status.conditions[type=ValidationSuccessful].status"), "True");
  EXPECT_EQ(*At("status.conditions[type='Reconciled'].status"), "False");
  EXPECT_EQ(*At("generation"), 3);
  EXPECT_EQ(At("spec.missing"), nullptr);
  EXPECT_EQ(At("spec.nodes[7].name"), nullptr);
  EXPECT_EQ(At("status.conditions[type=DnsSuccessful].status"), nullptr);
  EXPECT_EQ(At("spec.region.deeper"), nullptr);
}

TEST(FieldPathTest, RejectsMalformedPaths) {
  for (const char* bad :
       {"", ".a", "a.", "a..b", "a[", "a[]", "a[x y]", "a]b", "a[0]b", "a[\"x]", "a[=v]"}) {
    EXPECT_FALSE(FieldPath::Parse(bad)) << "'" << bad << "' should be rejected";
  }
}

bool Met(const std::string& field, const std::string& op, json value = nullptr) {
  auto p = MakePrecondition(field, op, std::move(value));
  EXPECT_TRUE(p) << p.error().message;
  return p && Evaluate({*p}, kCluster)->met;
}

TEST(PreconditionTest, Operators) {
  EXPECT_TRUE(Met("status.conditions[type=ValidationSuccessful].status", "equals", "True"));
  EXPECT_FALSE(Met("status.conditions[type=Reconciled].status", "equals", "True"));
  EXPECT_FALSE(Met("status.conditions[type=DnsSuccessful].status", "equals", "True"));
  EXPECT_TRUE(Met("labels.env", "notEquals", "dev"));
  EXPECT_TRUE(Met("labels.missing", "notEquals", "dev"));
  EXPECT_TRUE(Met("spec.region", "in", json{"us-east", "eu-west"}));
  EXPECT_FALSE(Met("spec.region", "notIn", json{"eu-west"}));
  EXPECT_TRUE(Met("spec.missing", "notIn", json{"x"}));
  EXPECT_TRUE(Met("spec.region", "exists"));
  EXPECT_FALSE(Met("spec.missing", "exists"));
  EXPECT_TRUE(Met("spec.missing", "notExists"));
  EXPECT_TRUE(Met("spec.region", "contains", "west"));
  EXPECT_TRUE(Met("spec.tags", "contains", "b"));
  EXPECT_TRUE(Met("labels", "contains", "env"));
  EXPECT_FALSE(Met("spec.tags", "contains", "z"));
  EXPECT_TRUE(Met("spec.count", "greaterThan", "4"));
  EXPECT_FALSE(Met("spec.count", "lessThan", "5"));
  EXPECT_FALSE(Met("spec.region", "greaterThan", "1"));  // not a number
  EXPECT_TRUE(Met("generation", "equals", "3"));
  EXPECT_TRUE(Met("spec.fail_dns", "equals", "true"));
}

TEST(PreconditionTest, ValuesMustFitTheOperator) {
  EXPECT_FALSE(MakePrecondition("a", "equalz", "x"));
  EXPECT_FALSE(MakePrecondition("a", "in", "x"));
  EXPECT_FALSE(MakePrecondition("a", "in", json::array()));
  EXPECT_FALSE(MakePrecondition("a", "greaterThan", "ten"));
  EXPECT_FALSE(MakePrecondition("a", "exists", "x"));
  EXPECT_FALSE(MakePrecondition("a", "equals", nullptr));
  EXPECT_FALSE(MakePrecondition("a..b", "equals", "x"));
  auto bad = MakePrecondition("a", "equalz", "x");
  EXPECT_NE(bad.error().message.find("notEquals"), std::string::npos) << bad.error().message;
}

TEST(PreconditionTest, MessageListsEveryUnmetCheck) {
  std::vector<Precondition> checks = {
      *MakePrecondition("status.conditions[type=DnsSuccessful].status", "equals", "True"),
      *MakePrecondition("spec.region", "equals", "eu-west"),
      *MakePrecondition("labels.env", "equals", "dev")};
  auto out = Evaluate(checks, kCluster);
  ASSERT_TRUE(out);
  EXPECT_FALSE(out->met);
  EXPECT_EQ(out->message,
            "status.conditions[type=DnsSuccessful].status is missing (want equals \"True\"); "
            "labels.env is \"prod\" (want equals \"dev\")");
  EXPECT_TRUE(Evaluate({}, kCluster)->met);
}

// A dependency counts only at the resource's current generation (the chain must not run on a
// success reported for an older spec).
TEST(PreconditionTest, ValueFromComparesWithAnotherFieldAtEvaluationTime) {
  json cluster = kCluster;
  cluster["status"]["conditions"][1]["observed_generation"] = 2;
  auto check = MakePrecondition("status.conditions[type=ValidationSuccessful].observed_generation",
                                "equals", nullptr, "generation");
  ASSERT_TRUE(check) << check.error().message;
  auto stale = Evaluate({*check}, cluster);
  EXPECT_FALSE(stale->met);
  EXPECT_EQ(stale->message,
            "status.conditions[type=ValidationSuccessful].observed_generation is 2 "
            "(want equals generation = 3)");
  cluster["status"]["conditions"][1]["observed_generation"] = 3;
  EXPECT_TRUE(Evaluate({*check}, cluster)->met);
  cluster.erase("generation");
  EXPECT_FALSE(Evaluate({*check}, cluster)->met);  // a missing value_from field meets nothing

  auto differs = MakePrecondition("spec.region", "notEquals", nullptr, "labels.env");
  ASSERT_TRUE(differs);
  EXPECT_TRUE(Evaluate({*differs}, kCluster)->met);

  EXPECT_FALSE(MakePrecondition("a", "equals", "x", "b"));  // value and value_from
  EXPECT_FALSE(MakePrecondition("a", "in", nullptr, "b"));  // needs a list
  EXPECT_FALSE(MakePrecondition("a", "equals", nullptr, "b..c"));
}

}  // namespace
}  // namespace hf::adapter
