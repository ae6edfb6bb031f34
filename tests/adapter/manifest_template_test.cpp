// ManifestTemplate: {{ CEL }} in a manifest's string values, typed when a value is one
// placeholder, text otherwise; literal apiVersion/kind; errors naming the field.
#include "adapter/manifest_template.hpp"

#include <gtest/gtest.h>

namespace hf::adapter {
namespace {

using nlohmann::json;

const expr::Activation kVars = {
    {"cluster_id", expr::FromJson("c1")},
    {"replicas", expr::FromJson(3)},
    {"labels", expr::FromJson({{"team", "a"}})},
    {"on", expr::FromJson(true)},
};

TEST(ManifestTemplateTest, ALonePlaceholderKeepsItsTypeAndOtherTextRendersAsText) {
  auto t = ManifestTemplate::Parse({{"apiVersion", "apps/v1"},
                                    {"kind", "Deployment"},
                                    {"metadata", {{"name", "agent-{{ cluster_id }}"}}},
                                    {"spec",
                                     {{"replicas", "{{ replicas }}"},
                                      {"paused", "{{on}}"},
                                      {"note", "{{ replicas }} replicas"},
                                      {"labels", "{{ labels }}"},
                                      {"args", {"--id={{ cluster_id }}", "plain", 7}}}}});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->api_version(), "apps/v1");
  EXPECT_EQ(t->kind(), "Deployment");
  EXPECT_EQ(t->variables(), (std::set<std::string>{"cluster_id", "replicas", "labels", "on"}));
  auto out = t->Render(kVars);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ((*out)["metadata"]["name"], "agent-c1");
  EXPECT_EQ((*out)["spec"]["replicas"], 3);
  EXPECT_EQ((*out)["spec"]["paused"], true);
  EXPECT_EQ((*out)["spec"]["note"], "3 replicas");
  EXPECT_EQ((*out)["spec"]["labels"], json({{"team", "a"}}));
  EXPECT_EQ((*out)["spec"]["args"], json({"--id=c1", "plain", 7}));
}

TEST(ManifestTemplateTest, ErrorsNameTheField) {
  auto bad = [](const json& manifest) {
    auto t = ManifestTemplate::Parse(manifest);
    EXPECT_FALSE(t) << manifest.dump();
    return t ? "" : t.error().message;
  };
  EXPECT_EQ(bad(json::array()), "(top level): must be a mapping (a Kubernetes object)");
  EXPECT_EQ(bad({{"kind", "ConfigMap"}}), "apiVersion: is required");
  EXPECT_EQ(bad({{"apiVersion", "v1"}}), "kind: is required");
  EXPECT_EQ(bad({{"apiVersion", "{{ v }}"}, {"kind", "ConfigMap"}}),
            "apiVersion: must be literal (no {{ }}): '{{ v }}'");
  EXPECT_EQ(bad({{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"data", {{"k", "x {{ y"}}}}),
            "data.k: column 3: unclosed '{{'");
  EXPECT_EQ(bad({{"apiVersion", "v1"}, {"kind", "Pod"}, {"spec", {{"args", {"a", "{{ }}"}}}}}),
            "spec.args[1]: column 1: empty '{{ }}'");

  auto t = ManifestTemplate::Parse(
      {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"data", {{"k", "n={{ labels }}"}}}});
  ASSERT_TRUE(t);
  auto out = t->Render(kVars);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().message, "data.k: {{ labels }}: gives a map, not text");
  auto missing = ManifestTemplate::Parse(
      {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"data", {{"k", "{{ labels.nope }}"}}}});
  ASSERT_TRUE(missing);
  auto failed = missing->Render(kVars);
  ASSERT_FALSE(failed);
  EXPECT_TRUE(failed.error().message.starts_with("data.k: {{ labels.nope }}: "))
      << failed.error().message;
}

}  // namespace
}  // namespace hf::adapter
