#include "broker/open_broker.hpp"
#include "contract/broker_contract.hpp"

namespace hf::broker::testing {
namespace {

BrokerTarget MemoryTarget() {
  BrokerTarget t;
  t.name = "Memory";
  t.open = [](const std::string&) {
    BrokerConfig config;
    config.type = "memory";
    config.memory_name = "contract";
    return OpenBroker(config);
  };
  return t;
}

INSTANTIATE_TEST_SUITE_P(Memory, BrokerContract, ::testing::Values(MemoryTarget()),
                         BrokerTargetName);

TEST(MemoryBroker, InstancesWithOneNameShareQueues) {
  BrokerConfig config;
  config.memory_name = "shared-by-name";
  auto a = OpenBroker(config);
  auto b = OpenBroker(config);
  ASSERT_TRUE(a && b);
  Recorder r;
  auto sub = (*b)->NewSubscriber();
  ASSERT_TRUE(sub);
  ASSERT_TRUE((*sub)->Subscribe("shared-topic", "shared-sub",
                                [&](const Delivery& d) {
                                  r.Add(d);
                                  return HandlerResult::kAck;
                                },
                                {}));
  auto pub = (*a)->NewPublisher();
  ASSERT_TRUE(pub);
  ASSERT_TRUE((*pub)->Publish("shared-topic", {Message{"x", "{}", {}}})[0].has_value());
  EXPECT_TRUE(r.WaitForCount(1, std::chrono::seconds(5)));
  EXPECT_TRUE((*sub)->Stop().has_value());
}

TEST(MemoryBroker, MessagesWithoutSubscriptionAreDropped) {
  auto broker = OpenBroker(BrokerConfig{});
  ASSERT_TRUE(broker);
  auto pub = (*broker)->NewPublisher();
  ASSERT_TRUE(pub);
  ASSERT_TRUE((*pub)->Publish("nobody-listens", {Message{"x", "{}", {}}})[0].has_value());
  Recorder r;
  auto sub = (*broker)->NewSubscriber();
  ASSERT_TRUE((*sub)->Subscribe("nobody-listens", "late",
                                [&](const Delivery& d) {
                                  r.Add(d);
                                  return HandlerResult::kAck;
                                },
                                {}));
  EXPECT_FALSE(r.WaitForCount(1, std::chrono::milliseconds(300)));
  EXPECT_TRUE((*sub)->Stop().has_value());
}

TEST(OpenBroker, RejectsUnknownType) {
  BrokerConfig config;
  config.type = "kafka";
  auto broker = OpenBroker(config);
  ASSERT_FALSE(broker);
  EXPECT_EQ(broker.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hf::broker::testing
