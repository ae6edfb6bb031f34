// ApiHandler as a pure function over a `sqlite::memory:` store: what reaches the store from
// headers (traceparent, identity), the size caps, the list byte cap, the published limits, and
// that an exception escaping a route is answered, logged and counted.
#include "api/api_handler.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/uuid.hpp"
#include "testing/env.hpp"

namespace hf::api {
namespace {

using nlohmann::json;

const service::Kinds kKinds({"validation"}, {"np-agent"});

std::unique_ptr<store::Store> MemoryStore() {
  auto store = store::OpenStore("sqlite::memory:");
  EXPECT_TRUE(store) << store.error().ToString();
  EXPECT_TRUE((*store)->Migrate());
  return std::move(*store);
}

http::Request Request(std::string method, std::string target, std::string body = "",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::Request req;
  req.method = std::move(method);
  req.target = std::move(target);
  EXPECT_TRUE(http::ParseTarget(req.target, req.path, req.query));
  req.body = std::move(body);
  if (!req.body.empty()) req.headers["content-type"] = "application/json";
  for (auto& [k, v] : headers) req.headers[k] = v;
  return req;
}

std::string ClusterBody(const std::string& name, json spec = json::object()) {
  return json{{"kind", "Cluster"}, {"name", name}, {"spec", std::move(spec)}}.dump();
}

// The traceparent of each outbox event, in order ("" when absent).
std::vector<std::string> OutboxTraceparents(store::Store& store) {
  auto tx = store.Begin(store::TxMode::kRead);
  EXPECT_TRUE(tx);
  auto page = (*tx)->ListOutbox({});
  EXPECT_TRUE(page);
  std::vector<std::string> out;
  for (const auto& e : page->items) out.push_back(json::parse(e.payload).value("traceparent", ""));
  return out;
}

const std::string kBase = "/api/hyperfleet/v1";

TEST(ApiHandler, OnlyW3CValidTraceparentsReachTheOutbox) {
  auto store = MemoryStore();
  ApiHandler api(*store, kKinds);
  const std::string valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const std::vector<std::string> sent = {valid, "\xff", valid + std::string(65 * 1024, 'a')};
  for (size_t i = 0; i < sent.size(); ++i) {
    auto res =
        api.Handle(Request("POST", kBase + "/clusters", ClusterBody("tp-" + std::to_string(i)),
                           {{"traceparent", sent[i]}}));
    EXPECT_EQ(res.status, 201) << res.body;
  }
  EXPECT_EQ(OutboxTraceparents(*store), (std::vector<std::string>{valid, "", ""}));
}

TEST(ApiHandler, IdentityHeaderMustBeCleanUtf8) {
  auto store = MemoryStore();
  ApiHandler api(*store, kKinds);
  for (const std::string& identity :
       std::vector<std::string>{"\xff\xfe", "bob\r\nX-Evil: 1", std::string("a\0b", 3)}) {
    auto res = api.Handle(Request("POST", kBase + "/clusters", ClusterBody("who"),
                                  {{"x-hyperfleet-identity", identity}}));
    EXPECT_EQ(res.status, 400) << res.body;
    EXPECT_EQ(res.content_type, "application/problem+json");
    EXPECT_EQ(json::parse(res.body)["errors"][0]["field"], "X-HyperFleet-Identity");
  }
  auto ok = api.Handle(Request("POST", kBase + "/clusters", ClusterBody("who"),
                               {{"x-hyperfleet-identity", "zoë@example.com"}}));
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["created_by"], "zoë@example.com");
}

TEST(ApiHandler, BodiesNeedAJsonContentType) {
  auto store = MemoryStore();
  ApiHandler api(*store, kKinds);
  auto req = Request("POST", kBase + "/clusters", ClusterBody("typed"));
  req.headers["content-type"] = "text/plain";
  auto res = api.Handle(req);
  EXPECT_EQ(res.status, 415) << res.body;
  EXPECT_EQ(res.content_type, "application/problem+json");
  req.headers["content-type"] = "application/json; charset=UTF-8";
  EXPECT_EQ(api.Handle(req).status, 201);
}

TEST(ApiHandler, SpecsAndLabelsAreHeldToTheLimits) {
  auto store = MemoryStore();
  service::Limits limits;
  limits.spec_max_bytes = 100;
  limits.labels_max_count = 2;
  ApiHandler api(*store, kKinds, nullptr, limits);
  auto big = api.Handle(
      Request("POST", kBase + "/clusters", ClusterBody("big", {{"x", std::string(100, 'a')}})));
  EXPECT_EQ(big.status, 400) << big.body;
  EXPECT_NE(big.body.find("spec_max_bytes"), std::string::npos) << big.body;
  json body = {{"kind", "Cluster"},
               {"name", "labelled"},
               {"spec", json::object()},
               {"labels", {{"a", "1"}, {"b", "2"}, {"c", "3"}}}};
  auto many = api.Handle(Request("POST", kBase + "/clusters", body.dump()));
  EXPECT_EQ(many.status, 400) << many.body;
  EXPECT_NE(many.body.find("labels_max_count"), std::string::npos) << many.body;
  auto fits = api.Handle(Request("POST", kBase + "/clusters", ClusterBody("fits", {{"x", 1}})));
  ASSERT_EQ(fits.status, 201) << fits.body;
  const std::string id = json::parse(fits.body)["id"];
  auto patch = api.Handle(Request("PATCH", kBase + "/clusters/" + id,
                                  json{{"spec", {{"x", std::string(100, 'a')}}}}.dump()));
  EXPECT_EQ(patch.status, 400) << patch.body;
}

TEST(ApiHandler, StatusReportsAreHeldToTheLimits) {
  auto store = MemoryStore();
  service::Limits limits;
  limits.conditions_max_count = 3;
  limits.condition_message_max_length = 10;
  limits.condition_reason_max_length = 5;
  limits.status_data_max_bytes = 20;
  ApiHandler api(*store, kKinds, nullptr, limits);
  auto created = api.Handle(Request("POST", kBase + "/clusters", ClusterBody("reported")));
  ASSERT_EQ(created.status, 201);
  const std::string url =
      kBase + "/clusters/" + json::parse(created.body)["id"].get<std::string>() + "/statuses";
  json conditions = {{{"type", "Available"}, {"status", "True"}},
                     {{"type", "Applied"}, {"status", "True"}},
                     {{"type", "Health"}, {"status", "True"}}};
  json report = {{"adapter", "validation"}, {"observed_generation", 1}, {"conditions", conditions}};
  EXPECT_EQ(api.Handle(Request("PUT", url, report.dump())).status, 201);
  auto over = report;
  over["conditions"].push_back({{"type", "Extra"}, {"status", "True"}});
  over["conditions"][0]["message"] = "12345678901";
  over["conditions"][1]["reason"] = "123456";
  over["data"] = {{"k", std::string(20, 'x')}};
  auto res = api.Handle(Request("PUT", url, over.dump()));
  ASSERT_EQ(res.status, 400) << res.body;
  std::set<std::string> fields;
  const json problem = json::parse(res.body);
  for (const auto& v : problem["errors"]) fields.insert(v["field"]);
  EXPECT_EQ(fields, (std::set<std::string>{"conditions", "conditions[0].message",
                                           "conditions[1].reason", "data"}))
      << res.body;
}

TEST(ApiHandler, ListPagesAreCappedInBytes) {
  auto store = MemoryStore();
  service::Limits limits;
  limits.list_max_bytes = 2500;  // about three clusters of ~700 bytes each
  ApiHandler api(*store, kKinds, nullptr, limits);
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(api.Handle(Request("POST", kBase + "/clusters",
                                 ClusterBody("cap-" + std::to_string(i),
                                             {{"pad", std::string(400, 'p')}})))
                  .status,
              201);
  }
  auto page = json::parse(api.Handle(Request("GET", kBase + "/clusters?size=6")).body);
  EXPECT_EQ(page["truncated"], true) << page.dump().substr(0, 300);
  EXPECT_EQ(page["size"], page["items"].size());
  EXPECT_GE(page["size"].get<int>(), 1);
  EXPECT_LT(page["size"].get<int>(), 6);
  EXPECT_LE(page["items"].dump().size(), 2500u);
  EXPECT_EQ(page["total"], 6);
  // The first item is returned even when it alone passes the cap.
  limits.list_max_bytes = 10;
  ApiHandler tiny(*store, kKinds, nullptr, limits);
  auto one = json::parse(tiny.Handle(Request("GET", kBase + "/clusters?size=6")).body);
  EXPECT_EQ(one["size"], 1);
  EXPECT_EQ(one["truncated"], true);
  // Without truncation the field is absent.
  auto small = json::parse(api.Handle(Request("GET", kBase + "/clusters?size=1")).body);
  EXPECT_FALSE(small.contains("truncated"));
}

TEST(ApiHandler, TheOpenApiDocumentPublishesTheConfiguredLimits) {
  auto store = MemoryStore();
  service::Limits limits;
  limits.labels_max_count = 7;
  limits.condition_message_max_length = 99;
  ApiHandler api(*store, kKinds, nullptr, limits);
  auto doc = json::parse(api.Handle(Request("GET", kBase + "/openapi")).body);
  EXPECT_EQ(doc["components"]["schemas"]["Labels"]["maxProperties"], 7);
  EXPECT_EQ(doc["components"]["schemas"]["ConditionRequest"]["properties"]["message"]["maxLength"],
            99);
  EXPECT_EQ(doc["info"]["x-hyperfleet-limits"]["list_max_bytes"], limits.list_max_bytes);
}

// A store whose every transaction throws, as a bug deeper down would.
class ThrowingStore final : public store::Store {
 public:
  Result<std::unique_ptr<store::Tx>> Begin(store::TxMode) override {
    throw std::runtime_error("boom \xff");
  }
  Result<void> Ping(std::chrono::milliseconds) override { return {}; }
  Result<store::MigrationReport> Migrate() override { return store::MigrationReport{}; }
  bool WaitForOutbox(std::chrono::milliseconds) override { return false; }
  store::PoolStats Stats() const override { return {}; }
};

double InternalErrors(const std::string& route) {
  double value = 0;
  metrics::Registry::Default()
      .AddCounter("hyperfleet_api_internal_errors_total", "", {"route"})
      .ForEach([&](const std::vector<std::string>& labels, const metrics::Counter& c) {
        if (labels == std::vector<std::string>{route}) value = c.Value();
      });
  return value;
}

TEST(ApiHandler, AnExceptionIsAnsweredLoggedAndCounted) {
  const std::string log_file = testing::MakeTempDir("hf-api-handler") + "/log.json";
  log::SetOutputFile(log_file);
  ThrowingStore store;
  ApiHandler api(store, kKinds);
  const std::string route = kBase + "/clusters";
  const double before = InternalErrors(route);
  auto res = api.Handle(Request("GET", kBase + "/clusters"));
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.content_type, "application/problem+json");
  EXPECT_EQ(json::parse(res.body)["code"], "HYPERFLEET-INT-001");
  EXPECT_EQ(InternalErrors(route), before + 1);
  std::string request_id;
  for (const auto& [k, v] : res.headers) {
    if (k == "X-Request-ID") request_id = v;
  }
  std::stringstream text;
  text << std::ifstream(log_file).rdbuf();
  EXPECT_NE(text.str().find("\"msg\":\"request threw\""), std::string::npos) << text.str();
  EXPECT_NE(text.str().find(request_id), std::string::npos) << text.str();
}

std::string Header(const http::Response& res, const std::string& name) {
  for (const auto& [k, v] : res.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(ApiHandler, ServesTheConsoleFromMemoryWithAStrictPolicy) {
  auto store = MemoryStore();
  ApiHandler api(*store, kKinds);
  auto page = api.Handle(Request("GET", "/"));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("/console/app.js"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "no inline script";
  EXPECT_NE(Header(page, "Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(Header(page, "X-Frame-Options"), "DENY");
  auto script = api.Handle(Request("GET", "/console/app.js"));
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(api.Handle(Request("GET", "/console/missing.js")).status, 404);
  EXPECT_EQ(api.Handle(Request("POST", "/")).status, 405);
}

TEST(ApiHandler, SessionAndPipelineDescribeTheCallerAndTheOutbox) {
  auto store = MemoryStore();
  ApiHandler api(*store, kKinds);
  auto session = json::parse(api.Handle(Request("GET", kBase + "/session")).body);
  EXPECT_EQ(session["role"], "admin");  // auth off
  EXPECT_EQ(session["auth"], false);
  EXPECT_EQ(session["required_adapters"]["Cluster"], json::array({"validation"}));
  ASSERT_EQ(api.Handle(Request("POST", kBase + "/clusters", ClusterBody("pipe-one"))).status, 201);
  auto pipeline = json::parse(api.Handle(Request("GET", kBase + "/pipeline")).body);
  EXPECT_EQ(pipeline["outbox"]["pending"], 1) << pipeline.dump();
  EXPECT_EQ(pipeline["outbox"]["last_id"], pipeline["events_sampled"]);
  EXPECT_EQ(pipeline["events_by_reason"]["created"], 1);
  EXPECT_EQ(pipeline["unreconciled"]["Cluster"], 1);
  EXPECT_EQ(pipeline["adapters"][1]["name"], "validation") << pipeline.dump();
  // A process that publishes and consumes itself (hyperfleet dev) shows its broker counters
  // (the series broker/detail/broker_metrics.cpp records).
  const std::string topic = "pipeline-test-" + NewUuidV7();
  auto& registry = metrics::Registry::Default();
  registry.AddCounter("hyperfleet_broker_messages_published_total", "", {"topic"})
      .WithLabels({topic})
      .Inc(2);
  registry.AddCounter("hyperfleet_broker_messages_consumed_total", "", {"topic"})
      .WithLabels({topic})
      .Inc(1);
  registry.AddCounter("hyperfleet_broker_errors_total", "", {"topic", "error_type"})
      .WithLabels({topic, "publish"})
      .Inc(1);
  pipeline = json::parse(api.Handle(Request("GET", kBase + "/pipeline")).body);
  json mine;
  for (const auto& t : pipeline["broker"]) {
    if (t["topic"] == topic) mine = t;
  }
  EXPECT_EQ(mine, json({{"topic", topic}, {"published", 2.0}, {"consumed", 1.0}, {"errors", 1.0}}))
      << pipeline.dump();
}

TEST(ApiHandler, EventStreamChecksItsQueryAndItsLimitBeforeStreaming) {
  auto store = MemoryStore();
  service::OutboxFeedOptions one;
  one.max_subscribers = 1;
  ApiHandler api(*store, kKinds, nullptr, {}, one);
  EXPECT_EQ(api.Handle(Request("GET", kBase + "/events/stream?after=-1")).status, 400);
  EXPECT_EQ(
      api.Handle(Request("GET", kBase + "/events/stream", "", {{"last-event-id", "x"}})).status,
      400);
  EXPECT_EQ(api.Handle(Request("GET", kBase + "/events/stream?aggregate_type=Pod")).status, 400);
  EXPECT_EQ(api.Handle(Request("POST", kBase + "/events/stream")).status, 405);
  auto open = api.Handle(Request("GET", kBase + "/events/stream?aggregate_type=Cluster"));
  EXPECT_EQ(open.status, 200);
  EXPECT_EQ(open.content_type, "text/event-stream");
  EXPECT_TRUE(static_cast<bool>(open.stream));
  auto refused = api.Handle(Request("GET", kBase + "/events/stream"));  // `open` holds the slot
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(json::parse(refused.body)["code"], "HYPERFLEET-SVC-003");
  EXPECT_EQ(Header(refused, "Retry-After"), "5");
  open = {};  // never streamed: the slot goes with it
  EXPECT_EQ(api.Handle(Request("GET", kBase + "/events/stream")).status, 200);
}

}  // namespace
}  // namespace hf::api
