// AdapterRuntime::Handle: which events it acts on. The API it would call is a closed loopback
// port, so an event it acts on fails its fetch (transient: Nack), and an event it does not act on
// is acked without calling anything.
#include "adapter/adapter_runtime.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "broker/open_broker.hpp"
#include "model/cloud_event.hpp"
#include "model/outbox_event.hpp"
#include "testing/env.hpp"

namespace hf::adapter {
namespace {

class AdapterRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = hf::testing::MakeTempDir("hf-adapter-runtime");
    broker::BrokerConfig broker_config;
    broker_config.memory_name = "adapter-runtime-test";
    broker_ = *broker::OpenBroker(broker_config);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // An adapter named `name` whose API is unreachable; `preconditions` is YAML (may be empty).
  std::unique_ptr<AdapterRuntime> Runtime(const std::string& name,
                                          const std::string& preconditions) {
    auto config = ParseAdapterConfig("name: " + name +
                                         "\napi:\n  base_url: http://127.0.0.1:1\n  timeout: 2s\n"
                                         "  retry: {attempts: 1}\n" +
                                         preconditions + "job:\n  command: /bin/true\n",
                                     dir_, "test.yaml");
    EXPECT_TRUE(config) << config.error().ToString();
    config->job.runner.local.state_dir = dir_ + "/jobs-" + name;
    auto runtime = AdapterRuntime::Create(std::move(*config), *broker_, stop_);
    EXPECT_TRUE(runtime) << runtime.error().ToString();
    return std::move(*runtime);
  }

  // A cluster event as the API writes it; `adapter` is the reporting adapter ("" for none).
  static broker::Delivery Event(const std::string& reason, const std::string& adapter) {
    model::CloudEvent ce;
    ce.id = "e-1";
    ce.source = "/hyperfleet/api";
    ce.type = "com.redhat.hyperfleet.cluster.changed.v1";
    ce.data = {{"id", "c-1"}, {"kind", "Cluster"}, {"generation", 1}, {"reason", reason}};
    if (!adapter.empty()) ce.data["adapter"] = adapter;
    broker::Delivery d;
    d.message.id = ce.id;
    d.message.body = ce.Encode();
    return d;
  }

  std::string dir_;
  std::shared_ptr<broker::Broker> broker_;
  std::atomic<bool> stop_{false};
};

const std::string kStatus = std::string(model::kStatusChangedReason);
constexpr const char* kAfterValidation =
    "preconditions:\n  - field: status.conditions[type=ValidationSuccessful].status\n"
    "    operator: equals\n    value: \"True\"\n";

TEST_F(AdapterRuntimeTest, IgnoresStatusChangesItsOwnReportCaused) {
  auto dns = Runtime("dns", kAfterValidation);
  EXPECT_EQ(dns->Handle(Event(kStatus, "dns")), broker::HandlerResult::kAck);
  // Anything else about the cluster is acted on (the fetch fails: Nack).
  EXPECT_EQ(dns->Handle(Event(kStatus, "validation")), broker::HandlerResult::kNack);
  EXPECT_EQ(dns->Handle(Event("created", "")), broker::HandlerResult::kNack);
}

TEST_F(AdapterRuntimeTest, WithoutStatusPreconditionsIgnoresOtherAdaptersStatusChanges) {
  auto validation = Runtime("validation", "");
  EXPECT_EQ(validation->Handle(Event(kStatus, "dns")), broker::HandlerResult::kAck);
  // A status change no adapter caused (a deleting cluster's child removed) is acted on.
  EXPECT_EQ(validation->Handle(Event(kStatus, "")), broker::HandlerResult::kNack);
  EXPECT_EQ(validation->Handle(Event("updated", "")), broker::HandlerResult::kNack);
}

TEST(ReadsStatusTest, FieldOrValueFromUnderStatus) {
  auto check = [](const char* field, std::string_view value_from = "") {
    auto p = MakePrecondition(field, "equals", value_from.empty() ? nlohmann::json("x") : nullptr,
                              value_from);
    if (!p) {
      ADD_FAILURE() << p.error().ToString();
      return false;
    }
    return ReadsStatus({*p});
  };
  EXPECT_TRUE(check("status.conditions[type=DnsSuccessful].status"));
  EXPECT_TRUE(check("spec.region", "status.conditions[type=Reconciled].status"));
  EXPECT_FALSE(check("spec.region"));
  EXPECT_FALSE(check("statuses.x"));
  EXPECT_FALSE(ReadsStatus({}));
}

}  // namespace
}  // namespace hf::adapter
