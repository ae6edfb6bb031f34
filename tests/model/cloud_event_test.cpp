#include "model/cloud_event.hpp"

#include <gtest/gtest.h>

namespace hf::model {
namespace {

TEST(CloudEvent, RoundTripsWithTraceparent) {
  CloudEvent e;
  e.id = "0198c9e2-0000-7000-8000-000000000001";
  e.source = "/hyperfleet/api";
  e.type = "com.redhat.hyperfleet.cluster.changed.v1";
  e.subject = "abc";
  e.time = "2026-01-01T00:00:00.000000Z";
  e.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  e.data = {{"id", "abc"}, {"generation", 2}};
  auto back = CloudEvent::Decode(e.Encode());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->traceparent, e.traceparent);
  EXPECT_EQ(back->data["generation"], 2);
  EXPECT_EQ(nlohmann::json::parse(e.Encode())["specversion"], "1.0");
}

TEST(CloudEvent, MissingRequiredAttributesAreClearErrors) {
  for (const char* attr : {"specversion", "id", "type", "source"}) {
    nlohmann::json j = {{"specversion", "1.0"}, {"id", "1"}, {"type", "t"}, {"source", "/s"}};
    j.erase(attr);
    auto r = CloudEvent::FromJson(j);
    ASSERT_FALSE(r) << attr;
    EXPECT_NE(r.error().message.find(attr), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(CloudEvent::Decode("{not json"));
  EXPECT_FALSE(CloudEvent::Decode("[]"));
  EXPECT_FALSE(CloudEvent::Decode(R"({"specversion":"0.3","id":"1","type":"t","source":"s"})"));
  EXPECT_FALSE(CloudEvent::Decode(R"({"specversion":"1.0","id":1,"type":"t","source":"s"})"));
  auto deep =
      CloudEvent::Decode(R"({"specversion":"1.0","id":"1","type":"t","source":"s","data":)" +
                         std::string(100'000, '[') + std::string(100'000, ']') + "}");
  ASSERT_FALSE(deep);
  EXPECT_NE(deep.error().message.find("deeper than 100"), std::string::npos);
}

}  // namespace
}  // namespace hf::model
