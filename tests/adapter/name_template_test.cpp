#include "adapter/name_template.hpp"

#include <gtest/gtest.h>

namespace hf::adapter {
namespace {

const std::vector<std::string> kKnown = {"adapter", "cluster_id", "generation"};
const std::vector<std::string> kRequired = {"cluster_id", "generation"};

TEST(NameTemplateTest, RendersVariables) {
  auto t = NameTemplate::Parse("{{adapter}}-{{ cluster_id }}-g{{generation}}", kKnown, kRequired);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->Render({{"adapter", "dns"}, {"cluster_id", "abc"}, {"generation", "4"}}),
            "dns-abc-g4");
}

TEST(NameTemplateTest, RejectsUnknownMissingAndUnclosed) {
  auto unknown =
      NameTemplate::Parse("{{cluster}}-{{cluster_id}}-{{generation}}", kKnown, kRequired);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown variable 'cluster'"), std::string::npos);
  auto missing = NameTemplate::Parse("job-{{cluster_id}}", kKnown, kRequired);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("must include {{generation}}"), std::string::npos);
  EXPECT_FALSE(NameTemplate::Parse("job-{{cluster_id}}-{{generation", kKnown, kRequired));
}

}  // namespace
}  // namespace hf::adapter
