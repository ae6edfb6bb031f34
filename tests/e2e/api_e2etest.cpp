// The REST API over real HTTP against the real binary, on SQLite and on PostgreSQL.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include "common/http_message.hpp"
#include "common/time.hpp"
#include "testing/api_server.hpp"
#include "testing/env.hpp"
#include "testing/loopback.hpp"

namespace hf::testing {
namespace {

using nlohmann::json;

class ApiE2E : public ::testing::TestWithParam<std::string> {
 protected:
  static std::map<std::string, std::unique_ptr<ApiServer>>& Servers() {
    static std::map<std::string, std::unique_ptr<ApiServer>> servers;
    return servers;
  }
  static void TearDownTestSuite() { Servers().clear(); }

  void SetUp() override {
    if (GetParam() == "postgres") {
      HF_REQUIRE_ENV(dsn, "HF_TEST_PG_DSN");
    }
    auto& slot = Servers()[GetParam()];
    if (!slot || !slot->process().Running()) slot = std::make_unique<ApiServer>(GetParam());
    api_ = slot.get();
    ASSERT_TRUE(api_->error().empty()) << api_->error();
  }

  // A unique valid cluster name.
  std::string Name(const std::string& prefix = "c") {
    static int n = 0;
    return prefix + "-" + std::to_string(::getpid() % 10000) + "-" + std::to_string(++n);
  }

  json CreateCluster(const std::string& name, json labels = json::object(),
                     json spec = json::object()) {
    json body = {{"kind", "Cluster"}, {"name", name}, {"spec", spec}};
    if (!labels.empty()) body["labels"] = labels;
    auto r = api_->Post("/clusters", body);
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body;
  }

  static json Report(const std::string& adapter, int64_t generation, const std::string& available,
                     json extra = json::array()) {
    json conditions = {{{"type", "Available"},
                        {"status", available},
                        {"reason", "R" + available},
                        {"message", adapter + " says " + available}},
                       {{"type", "Applied"}, {"status", "True"}, {"reason", "JobLaunched"}},
                       {{"type", "Health"}, {"status", "True"}, {"reason", "Healthy"}}};
    for (auto& c : extra) conditions.push_back(c);
    return {{"adapter", adapter},
            {"observed_generation", generation},
            {"observed_time", FormatTime(Now())},
            {"conditions", conditions}};
  }

  static json Condition(const json& resource, const std::string& type) {
    for (const auto& c : resource["status"]["conditions"]) {
      if (c["type"] == type) return c;
    }
    return nullptr;
  }

  void ExpectProblem(const ApiResponse& r, long status, const std::string& code,
                     const std::string& detail_part) {
    EXPECT_EQ(r.status, status) << r.raw;
    EXPECT_EQ(r.content_type, "application/problem+json") << r.raw;
    EXPECT_EQ(r.body.value("code", ""), code) << r.raw;
    EXPECT_NE(r.body.value("detail", "").find(detail_part), std::string::npos)
        << "detail '" << r.body.value("detail", "") << "' lacks '" << detail_part << "'";
    EXPECT_EQ(r.body.value("trace_id", ""), r.request_id);
  }

  // `method` to `path` (under the API base) with extra request headers; Content-Type
  // application/json with a body unless `headers` sets one.
  ApiResponse Send(const std::string& method, const std::string& path, const std::string& body,
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
    return api_->Call(method, api_->api() + path, body, std::move(headers));
  }

  // The sum of hyperfleet_db_errors_total over its series.
  double DbErrors() {
    const std::string text =
        api_->Call("GET", "http://127.0.0.1:" + std::to_string(api_->metrics_port()) + "/metrics")
            .raw;
    double sum = 0;
    for (size_t at = text.find("\nhyperfleet_db_errors_total{"); at != std::string::npos;
         at = text.find("\nhyperfleet_db_errors_total{", at + 1)) {
      const size_t value = text.find("} ", at);
      sum += std::stod(text.substr(value + 2));
    }
    return sum;
  }

  // Expects a 400 problem naming `field` in errors[].
  void ExpectFieldRefused(const ApiResponse& r, const std::string& code, const std::string& field) {
    EXPECT_EQ(r.status, 400) << r.raw;
    EXPECT_EQ(r.content_type, "application/problem+json") << r.raw;
    EXPECT_EQ(r.body.value("code", ""), code) << r.raw;
    ASSERT_TRUE(r.body.contains("errors")) << r.raw;
    EXPECT_EQ(r.body["errors"][0].value("field", ""), field) << r.raw;
  }

  ApiServer* api_ = nullptr;
};

TEST_P(ApiE2E, RootAndOpenApiAreServed) {
  auto root = api_->Call("GET", api_->base() + "/api/hyperfleet");
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.body["kind"], "API");
  auto spec = api_->Get("/openapi");
  EXPECT_EQ(spec.status, 200);
  EXPECT_TRUE(spec.body.contains("openapi")) << spec.raw.substr(0, 200);
  EXPECT_TRUE(spec.body["paths"].contains("/clusters")) << "openapi lacks /clusters";
}

TEST_P(ApiE2E, ClusterLifecycleFromCreateToHardDelete) {
  std::string name = Name();
  json created = CreateCluster(name, {{"env", "prod"}}, {{"region", "eu"}});
  std::string id = created["id"];
  EXPECT_EQ(created["kind"], "Cluster");
  EXPECT_EQ(created["generation"], 1);
  EXPECT_EQ(created["href"], "/api/hyperfleet/v1/clusters/" + id);
  EXPECT_EQ(created["labels"]["env"], "prod");
  EXPECT_EQ(created["created_by"], "system@hyperfleet.local");
  json reconciled = Condition(created, "Reconciled");
  ASSERT_FALSE(reconciled.is_null()) << created.dump();
  EXPECT_EQ(reconciled["status"], "False");
  EXPECT_EQ(reconciled["reason"], "ReconciledMissingAdapters");
  EXPECT_EQ(reconciled["message"],
            "Required adapters not reporting Available=True: [dns, placement, validation]. "
            "Currently reporting: []");
  EXPECT_EQ(Condition(created, "LastKnownReconciled")["reason"], "AdaptersMissingReports");

  // The create and its event committed together.
  auto events = api_->Get("/events?aggregate_id=" + id);
  ASSERT_EQ(events.status, 200) << events.raw;
  ASSERT_EQ(events.body["total"], 1) << events.raw;
  EXPECT_EQ(events.body["items"][0]["reason"], "created");
  EXPECT_EQ(events.body["items"][0]["aggregate_generation"], 1);

  auto got = api_->Get("/clusters/" + id);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body["name"], name);
  EXPECT_EQ(got.body["spec"]["region"], "eu");

  // Patch: a real change bumps the generation once; replaying it does not.
  auto patched = api_->Patch("/clusters/" + id, {{"spec", {{"region", "us"}, {"size", 3}}}});
  ASSERT_EQ(patched.status, 200) << patched.raw;
  EXPECT_EQ(patched.body["generation"], 2);
  EXPECT_EQ(patched.body["spec"].size(), 2u);
  auto same = api_->Patch("/clusters/" + id, {{"spec", {{"region", "us"}, {"size", 3}}}});
  EXPECT_EQ(same.body["generation"], 2);
  auto labels = api_->Patch("/clusters/" + id, {{"labels", json::object()}});
  EXPECT_EQ(labels.body["generation"], 3);
  EXPECT_FALSE(labels.body.contains("labels"));

  // All three adapters report Available=True at generation 3 → Reconciled.
  for (const char* adapter : {"validation", "dns", "placement"}) {
    auto r = api_->Put("/clusters/" + id + "/statuses", Report(adapter, 3, "True"));
    ASSERT_EQ(r.status, 201) << r.raw;
    EXPECT_EQ(r.body["adapter"], adapter);
  }
  auto after = api_->Get("/clusters/" + id);
  EXPECT_EQ(Condition(after.body, "Reconciled")["status"], "True") << after.raw;
  EXPECT_EQ(Condition(after.body, "Reconciled")["reason"], "ReconciledAll");
  EXPECT_EQ(Condition(after.body, "LastKnownReconciled")["status"], "True");
  EXPECT_EQ(Condition(after.body, "ValidationSuccessful")["status"], "True");
  EXPECT_EQ(Condition(after.body, "DnsSuccessful")["observed_generation"], 3);
  auto statuses = api_->Get("/clusters/" + id + "/statuses");
  EXPECT_EQ(statuses.body["total"], 3);
  auto reconciled_list =
      api_->Get("/clusters?search=" +
                http::UrlEncode("status.conditions.Reconciled='True' and name='" + name + "'"));
  EXPECT_EQ(reconciled_list.body["total"], 1) << reconciled_list.raw;

  // Delete: soft, generation +1, still readable, then hard delete once all report Finalized.
  auto deleted = api_->Delete("/clusters/" + id);
  ASSERT_EQ(deleted.status, 202) << deleted.raw;
  EXPECT_EQ(deleted.body["generation"], 4);
  EXPECT_TRUE(deleted.body.contains("deleted_time"));
  EXPECT_EQ(api_->Delete("/clusters/" + id).body["generation"], 4);  // idempotent
  ExpectProblem(api_->Patch("/clusters/" + id, {{"spec", json::object()}}), 409,
                "HYPERFLEET-CNF-003", "marked for deletion");
  json finalized = {{{"type", "Finalized"}, {"status", "True"}, {"reason", "CleanedUp"}}};
  for (const char* adapter : {"validation", "dns"}) {
    auto r = api_->Put("/clusters/" + id + "/statuses", Report(adapter, 4, "False", finalized));
    ASSERT_EQ(r.status, 201) << r.raw;
  }
  EXPECT_EQ(api_->Get("/clusters/" + id).status, 200);
  auto last =
      api_->Put("/clusters/" + id + "/statuses", Report("placement", 4, "False", finalized));
  EXPECT_EQ(last.status, 201) << last.raw;
  ExpectProblem(api_->Get("/clusters/" + id), 404, "HYPERFLEET-NTF-001",
                "Cluster with id='" + id + "' not found");
}

TEST_P(ApiE2E, StatusReportsFollowTheDiscardRules) {
  json c = CreateCluster(Name());
  std::string path = "/clusters/" + c["id"].get<std::string>() + "/statuses";
  auto unknown = Report("validation", 1, "Unknown");
  EXPECT_EQ(api_->Put(path, unknown).status, 201);
  unknown["observed_time"] = FormatTime(Now());
  EXPECT_EQ(api_->Put(path, unknown).status, 204);  // second Unknown discarded
  EXPECT_EQ(api_->Put(path, Report("validation", 2, "True")).status, 204);  // future generation
  auto old_report = Report("validation", 1, "True");
  EXPECT_EQ(api_->Put(path, Report("validation", 1, "True")).status, 201);
  EXPECT_EQ(api_->Put(path, old_report).status, 204);  // older observed_time at same generation
  // POST and the /status alias behave the same.
  EXPECT_EQ(api_->Post(path, Report("dns", 1, "False")).status, 201);
  EXPECT_EQ(
      api_->Post("/clusters/" + c["id"].get<std::string>() + "/status", Report("dns", 1, "True"))
          .status,
      201);
  auto list = api_->Get(path);
  EXPECT_EQ(list.body["total"], 2) << list.raw;  // one row per adapter
  // search and order are validated, then ignored (statuses page only, as in the reference).
  auto searched = api_->Get(path + "?search=" + http::UrlEncode("name='x'") + "&order=name%20asc");
  EXPECT_EQ(searched.status, 200) << searched.raw;
  EXPECT_EQ(searched.body["total"], 2);
  EXPECT_EQ(api_->Get(path + "?search=" + http::UrlEncode("name = ")).status, 400);
  EXPECT_EQ(api_->Get(path + "?order=bogus%20asc").status, 400);
  // Available changed twice for validation (→True) and twice for dns: events were written.
  auto events = api_->Get("/events?aggregate_id=" + c["id"].get<std::string>());
  int status_changed = 0;
  for (const auto& e : events.body["items"]) status_changed += e["reason"] == "status_changed";
  EXPECT_EQ(status_changed, 2) << events.raw;  // validation →True, dns False→True
}

TEST_P(ApiE2E, StatusValidationErrors) {
  json c = CreateCluster(Name());
  std::string path = "/clusters/" + c["id"].get<std::string>() + "/statuses";
  auto missing = Report("validation", 1, "True");
  missing["conditions"].erase(1);  // drop Applied
  ExpectProblem(api_->Put(path, missing), 400, "HYPERFLEET-VAL-000",
                "missing mandatory condition 'Applied'");
  auto future = Report("validation", 1, "True");
  future["observed_time"] = FormatTime(Now() + std::chrono::minutes(10));
  ExpectProblem(api_->Put(path, future), 400, "HYPERFLEET-VAL-000",
                "must not be more than 5m0s in the future");
  auto past = Report("validation", 1, "True");
  past["observed_time"] = FormatTime(Now() - std::chrono::hours(1));
  ExpectProblem(api_->Put(path, past), 400, "HYPERFLEET-VAL-000",
                "must not be more than 30m0s in the past");
  auto dup = Report("validation", 1, "True");
  dup["conditions"].push_back({{"type", "Health"}, {"status", "True"}});
  ExpectProblem(api_->Put(path, dup), 400, "HYPERFLEET-VAL-000",
                "duplicate condition type 'Health'");
  auto bad = Report("validation", 1, "Maybe");
  ExpectProblem(api_->Put(path, bad), 400, "HYPERFLEET-VAL-000", "invalid status value 'Maybe'");
  auto gen0 = Report("validation", 0, "True");
  ExpectProblem(api_->Put(path, gen0), 400, "HYPERFLEET-VAL-000",
                "observed_generation must be >= 1");
  EXPECT_EQ(api_->Get(path).body["total"], 0);  // nothing written by any of these
  ExpectProblem(api_->Get("/clusters/0198c9e2-0000-7000-8000-000000000000/statuses"), 404,
                "HYPERFLEET-NTF-001", "not found");
}

TEST_P(ApiE2E, BadCreateBodiesGetClearProblems) {
  auto raw = [&](const std::string& body) {
    return api_->Call("POST", api_->api() + "/clusters", body);
  };
  ExpectProblem(raw(""), 400, "HYPERFLEET-VAL-006", "Request body is required but was empty");
  ExpectProblem(raw("{not json"), 400, "HYPERFLEET-VAL-006", "Invalid JSON in request body");
  ExpectProblem(raw("[1,2]"), 400, "HYPERFLEET-VAL-006", "must be a JSON object");
  // Deep nesting is refused before parsing (it once overflowed the stack and killed the server).
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  ExpectProblem(raw(R"({"kind":"Cluster","name":"deep","spec":{"a":)" + deep + "}}"), 400,
                "HYPERFLEET-VAL-006", "nests deeper than 100 levels");
  std::string ok_depth = "1";
  for (int i = 0; i < 98; ++i) ok_depth = R"({"a":)" + ok_depth + "}";
  EXPECT_EQ(raw(R"({"kind":"Cluster","name":")" + Name() + R"(","spec":)" + ok_depth + "}").status,
            201);
  ExpectProblem(api_->Post("/clusters", {{"name", "abc"}, {"spec", json::object()}}), 400,
                "HYPERFLEET-VAL-000", "kind is required");
  ExpectProblem(
      api_->Post("/clusters", {{"kind", "NodePool"}, {"name", "abc"}, {"spec", json::object()}}),
      400, "HYPERFLEET-VAL-000", "kind must be 'Cluster'");
  ExpectProblem(api_->Post("/clusters", {{"kind", "Cluster"}, {"spec", json::object()}}), 400,
                "HYPERFLEET-VAL-000", "name is required");
  ExpectProblem(
      api_->Post("/clusters", {{"kind", "Cluster"}, {"name", "ab"}, {"spec", json::object()}}), 400,
      "HYPERFLEET-VAL-000", "name must be at least 3 characters");
  ExpectProblem(
      api_->Post("/clusters",
                 {{"kind", "Cluster"}, {"name", std::string(54, 'a')}, {"spec", json::object()}}),
      400, "HYPERFLEET-VAL-000", "name must be at most 53 characters");
  EXPECT_EQ(api_->Post("/clusters", {{"kind", "Cluster"},
                                     {"name", Name("x") + std::string(40, 'a')},
                                     {"spec", json::object()}})
                .status,
            201);
  ExpectProblem(api_->Post("/clusters",
                           {{"kind", "Cluster"}, {"name", "Bad_Name"}, {"spec", json::object()}}),
                400, "HYPERFLEET-VAL-000", "lowercase letters, numbers, and hyphens");
  ExpectProblem(
      api_->Post("/clusters", {{"kind", "Cluster"}, {"name", "héllo"}, {"spec", json::object()}}),
      400, "HYPERFLEET-VAL-000", "lowercase");
  ExpectProblem(api_->Post("/clusters", {{"kind", "Cluster"}, {"name", "abc"}}), 400,
                "HYPERFLEET-VAL-000", "spec is required");
  ExpectProblem(api_->Post("/clusters", {{"kind", "Cluster"}, {"name", "abc"}, {"spec", nullptr}}),
                400, "HYPERFLEET-VAL-000", "spec field must be an object");
  ExpectProblem(
      api_->Post("/clusters", {{"kind", "Cluster"}, {"name", 42}, {"spec", json::object()}}), 400,
      "HYPERFLEET-VAL-000", "field 'name' must be a string");
  ExpectProblem(
      api_->Post("/clusters",
                 {{"kind", "Cluster"}, {"name", "abc"}, {"spec", json::object()}, {"labels", "x"}}),
      400, "HYPERFLEET-VAL-000", "field 'labels' must be an object");
  auto bad_label =
      api_->Post("/clusters", {{"kind", "Cluster"},
                               {"name", Name()},
                               {"spec", json::object()},
                               {"labels", {{"-bad key", "ok"}, {"good", "bad value!"}}}});
  ExpectProblem(bad_label, 400, "HYPERFLEET-VAL-000", "label validation failed");
  EXPECT_EQ(bad_label.body["errors"].size(), 2u) << bad_label.raw;
  // 413 for bodies over 1 MiB.
  std::string huge =
      R"({"kind":"Cluster","name":"huge","spec":{"x":")" + std::string(1100 * 1024, 'a') + "\"}}";
  EXPECT_EQ(raw(huge).status, 413);
  {
    // A client that writes a much larger body in full before reading still gets the 413 (the
    // server drains what it sends instead of resetting the connection under it).
    const std::string body(8 << 20, 'a');
    const std::string head =
        "POST /api/hyperfleet/v1/clusters HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n";
    const int fd = hf::testing::ConnectToLoopback(api_->port());
    ASSERT_GE(fd, 0);
    bool sent = true;
    for (const std::string* part : {&head, &body}) {
      for (size_t off = 0; sent && off < part->size();) {
        const ssize_t n = ::send(fd, part->data() + off, part->size() - off, MSG_NOSIGNAL);
        sent = n > 0;
        off += sent ? static_cast<size_t>(n) : 0;
      }
    }
    EXPECT_TRUE(sent) << "the server reset the connection while the body was being sent";
    char answer[64] = {};
    EXPECT_GT(::recv(fd, answer, sizeof answer - 1, 0), 0);
    EXPECT_EQ(std::string(answer).rfind("HTTP/1.1 413", 0), 0u) << answer;
    ::close(fd);
  }
  // A 10 KB spec is fine.
  EXPECT_EQ(api_->Post("/clusters", {{"kind", "Cluster"},
                                     {"name", Name()},
                                     {"spec", {{"blob", std::string(10 * 1024, 'b')}}}})
                .status,
            201);
  // Duplicate names conflict.
  std::string name = Name();
  CreateCluster(name);
  ExpectProblem(
      api_->Post("/clusters", {{"kind", "Cluster"}, {"name", name}, {"spec", json::object()}}), 409,
      "HYPERFLEET-CNF-001", "This Cluster already exists");
}

TEST_P(ApiE2E, BadPatchesIdsAndPathsGetClearProblems) {
  json c = CreateCluster(Name());
  std::string path = "/clusters/" + c["id"].get<std::string>();
  ExpectProblem(api_->Patch(path, {{"name", "other"}}), 400, "HYPERFLEET-VAL-006",
                "unknown field \"name\"");
  ExpectProblem(api_->Patch(path, json::object()), 400, "HYPERFLEET-VAL-005",
                "at least one field must be provided for update");
  ExpectProblem(api_->Patch(path, {{"spec", "x"}}), 400, "HYPERFLEET-VAL-000",
                "spec field must be an object");
  ExpectProblem(api_->Get("/clusters/not-a-uuid"), 404, "HYPERFLEET-NTF-001", "not found");
  ExpectProblem(api_->Call("GET", api_->api() + "/clusters/%ZZ", ""), 400, "HYPERFLEET-VAL-006",
                "malformed request target");
  ExpectProblem(api_->Get("/clusters/0198c9e2-0000-7000-8000-000000000000"), 404,
                "HYPERFLEET-NTF-001", "not found");
  ExpectProblem(api_->Delete("/clusters/0198c9e2-0000-7000-8000-000000000000"), 404,
                "HYPERFLEET-NTF-001", "not found");
  ExpectProblem(api_->Get("/nope"), 404, "HYPERFLEET-NTF-000", "does not exist");
  auto wrong_method = api_->Call("PUT", api_->api() + "/clusters", "{}");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.body.value("status", 0), 405) << wrong_method.raw;
  ExpectProblem(
      api_->Post("/nodepools", {{"kind", "NodePool"}, {"name", "np1"}, {"spec", json::object()}}),
      422, "HYPERFLEET-VAL-000", "is a child kind");
}

TEST_P(ApiE2E, ListParametersAreValidated) {
  ExpectProblem(api_->Get("/clusters?page=x"), 400, "HYPERFLEET-VAL-000",
                "Invalid query parameters");
  auto page0 = api_->Get("/clusters?page=0");
  ExpectProblem(page0, 400, "HYPERFLEET-VAL-000", "Invalid query parameters");
  EXPECT_EQ(page0.body["errors"][0]["message"], "page must be at least 1");
  EXPECT_EQ(api_->Get("/clusters?size=101").body["errors"][0]["message"],
            "size must be at most 100");
  ExpectProblem(api_->Get("/clusters?order=" + http::UrlEncode("name; DROP TABLE resources")), 400,
                "HYPERFLEET-VAL-005", "invalid order format");
  ExpectProblem(api_->Get("/clusters?order=" + http::UrlEncode("name ascending")), 400,
                "HYPERFLEET-VAL-005", "invalid order format");
  ExpectProblem(api_->Get("/clusters?order=nosuchcolumn"), 400, "HYPERFLEET-VAL-005",
                "invalid field in search or order query");
  for (const char* search : {"name = 'x'; DROP TABLE resources; --", "name = ", "((name='a')",
                             "pg_sleep(10) = 1", "status.conditions.reconciled='True'",
                             "not status.conditions.Reconciled='True'", "label.x='y'"}) {
    auto r = api_->Get("/clusters?search=" + http::UrlEncode(search));
    EXPECT_EQ(r.status, 400) << search << ": " << r.raw;
    EXPECT_EQ(r.content_type, "application/problem+json");
  }
  ExpectProblem(api_->Get("/clusters?search=" + std::string(4100, 'a')), 400, "HYPERFLEET-VAL-005",
                "exceeds maximum length of 4096");
  // An injection attempt inside a quoted value is just a value.
  auto harmless = api_->Get("/clusters?search=" + http::UrlEncode("name = 'x'' or ''1''=''1'"));
  EXPECT_EQ(harmless.status, 200) << harmless.raw;
  EXPECT_EQ(harmless.body["total"], 0);
}

TEST_P(ApiE2E, SearchAndPagination) {
  std::string tag = Name("t");
  for (int i = 0; i < 7; ++i) {
    CreateCluster(Name("p"), {{"batch", tag}, {"parity", i % 2 ? "odd" : "even"}},
                  {{"nodes", i}, {"cloud", {{"region", i < 3 ? "eu" : "us"}}}});
  }
  std::string q = "/clusters?search=" + http::UrlEncode("labels.batch='" + tag + "'");
  auto all = api_->Get(q + "&size=100");
  EXPECT_EQ(all.body["total"], 7) << all.raw;
  // Walk pages of 3: no gaps or duplicates, size = items returned.
  std::set<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    auto r = api_->Get(q + "&size=3&page=" + std::to_string(page) + "&order=name");
    ASSERT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(r.body["page"], page);
    EXPECT_EQ(r.body["size"], page < 3 ? 3 : 1);
    EXPECT_EQ(r.body["total"], 7);
    for (const auto& item : r.body["items"]) seen.insert(item["id"].get<std::string>());
  }
  EXPECT_EQ(seen.size(), 7u);
  auto past = api_->Get(q + "&size=3&page=9");
  EXPECT_EQ(past.body["size"], 0);
  EXPECT_EQ(past.body["total"], 7);
  auto count = [&](const std::string& search) {
    auto r = api_->Get("/clusters?size=100&search=" +
                       http::UrlEncode("labels.batch='" + tag + "' and (" + search + ")"));
    EXPECT_EQ(r.status, 200) << search << ": " << r.raw;
    return r.body.value("total", -1);
  };
  EXPECT_EQ(count("spec.nodes > 3"), 3);
  EXPECT_EQ(count("spec.nodes >= 3 and labels.parity = 'odd'"), 2);
  EXPECT_EQ(count("spec.cloud.region = 'eu' or spec.nodes = 6"), 4);
  EXPECT_EQ(count("labels.parity in ['odd']"), 3);
  EXPECT_EQ(count("generation = 1"), 7);
  EXPECT_EQ(count("status.conditions.Reconciled = 'False'"), 7);
  EXPECT_EQ(count("name like 'p-%'"), 7);
  EXPECT_EQ(count("labels.missing is null"), 7);
  EXPECT_EQ(count("deleted_time is null and created_time > '2020-01-01T00:00:00Z'"), 7);
}

TEST_P(ApiE2E, NodePoolsCascadeAndForceDelete) {
  json cluster = CreateCluster(Name());
  std::string cid = cluster["id"];
  std::vector<std::string> pools;
  for (int i = 0; i < 2; ++i) {
    auto r = api_->Post(
        "/clusters/" + cid + "/nodepools",
        {{"kind", "NodePool"}, {"name", "np" + std::to_string(i)}, {"spec", json::object()}});
    ASSERT_EQ(r.status, 201) << r.raw;
    EXPECT_EQ(r.body["owner_references"]["id"], cid);
    EXPECT_EQ(r.body["href"], "/api/hyperfleet/v1/clusters/" + cid + "/nodepools/" +
                                  r.body["id"].get<std::string>());
    pools.push_back(r.body["id"]);
  }
  ExpectProblem(api_->Post("/clusters/" + cid + "/nodepools",
                           {{"kind", "NodePool"}, {"name", "np0"}, {"spec", json::object()}}),
                409, "HYPERFLEET-CNF-001", "This NodePool already exists");
  ExpectProblem(api_->Post("/clusters/" + cid + "/nodepools", {{"kind", "NodePool"},
                                                               {"name", "this-name-is-too-long"},
                                                               {"spec", json::object()}}),
                400, "HYPERFLEET-VAL-000", "at most 15 characters");
  EXPECT_EQ(api_->Get("/clusters/" + cid + "/nodepools").body["total"], 2);
  EXPECT_EQ(api_->Get("/nodepools/" + pools[0]).status, 200);
  // A nodepool addressed under the wrong cluster is not found.
  json other = CreateCluster(Name());
  EXPECT_EQ(
      api_->Get("/clusters/" + other["id"].get<std::string>() + "/nodepools/" + pools[0]).status,
      404);
  EXPECT_EQ(api_->Get("/clusters/0198c9e2-0000-7000-8000-000000000000/nodepools").status, 404);

  auto deleted = api_->Delete("/clusters/" + cid);
  ASSERT_EQ(deleted.status, 202);
  for (const auto& p : pools) {
    auto np = api_->Get("/clusters/" + cid + "/nodepools/" + p);
    EXPECT_TRUE(np.body.contains("deleted_time")) << np.raw;
    EXPECT_EQ(np.body["generation"], 2);
  }
  ExpectProblem(api_->Post("/clusters/" + cid + "/nodepools",
                           {{"kind", "NodePool"}, {"name", "np9"}, {"spec", json::object()}}),
                409, "HYPERFLEET-CNF-003", "marked for deletion");
  // Force delete: 409 on an active resource, 204 on a deleting one, 404 after.
  ExpectProblem(api_->Post("/clusters/" + other["id"].get<std::string>() + "/force-delete",
                           {{"reason", "test"}}),
                409, "HYPERFLEET-CNF-003", "is not in Finalizing state");
  ExpectProblem(api_->Post("/clusters/" + cid + "/force-delete", json::object()), 400,
                "HYPERFLEET-VAL-000", "reason is required");
  EXPECT_EQ(api_->Post("/clusters/" + cid + "/force-delete", {{"reason", "adapter gone"}}).status,
            204);
  EXPECT_EQ(api_->Get("/clusters/" + cid).status, 404);
  EXPECT_EQ(api_->Get("/nodepools/" + pools[0]).status, 404);
  EXPECT_EQ(api_->Post("/clusters/" + cid + "/force-delete", {{"reason", "again"}}).status, 404);
}

TEST_P(ApiE2E, EventsAreRequestedOncePerPendingGeneration) {
  json c = CreateCluster(Name());
  std::string id = c["id"];
  // The `created` event is still unpublished (no outbox runs here): the request is pending.
  auto first = api_->Post("/events", {{"aggregate_type", "Cluster"}, {"aggregate_id", id}});
  EXPECT_EQ(first.status, 202) << first.raw;
  EXPECT_EQ(first.body["status"], "pending");
  auto created_id = api_->Get("/events?aggregate_id=" + id).body["items"][0]["event_id"];
  EXPECT_EQ(first.body["event_id"], created_id);
  ExpectProblem(api_->Post("/events", {{"aggregate_type", "Cluster"},
                                       {"aggregate_id", "0198c9e2-0000-7000-8000-000000000000"}}),
                404, "HYPERFLEET-NTF-001", "not found");
  ExpectProblem(api_->Post("/events", {{"aggregate_type", "Widget"}, {"aggregate_id", id}}), 400,
                "HYPERFLEET-VAL-000", "aggregate_type");
  ExpectProblem(
      api_->Post("/events",
                 {{"aggregate_type", "Cluster"}, {"aggregate_id", id}, {"reason", "because"}}),
      400, "HYPERFLEET-VAL-000", "reason must be one of");
  auto pending = api_->Get("/events?published=false&aggregate_id=" + id);
  EXPECT_EQ(pending.body["total"], 1);
  EXPECT_EQ(api_->Get("/events?published=maybe").status, 400);
}

TEST_P(ApiE2E, FieldsProjectListItems) {
  const std::string name = Name("proj");
  json c = CreateCluster(name, {{"env", "prod"}}, {{"region", "eu"}, {"nodes", 3}});
  const std::string search = "&search=" + http::UrlEncode("name='" + name + "'");
  auto r = api_->Get("/clusters?fields=name,spec.region" + search);
  ASSERT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(r.body["items"].size(), 1u) << r.raw;
  EXPECT_EQ(r.body["items"][0],
            json({{"id", c["id"]}, {"name", name}, {"spec", {{"region", "eu"}}}}));
  EXPECT_EQ(r.body["total"], 1);
  // Repeated, with a wildcard; a field the item lacks is left out.
  r = api_->Get("/clusters?fields=labels.*&fields=deleted_time" + search);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["items"][0], json({{"id", c["id"]}, {"labels", {{"env", "prod"}}}}));
  // Nothing matches: items is null, as the reference answers a projection.
  r = api_->Get("/clusters?fields=name&search=" + http::UrlEncode("name='no-such-" + name + "'"));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_TRUE(r.body["items"].is_null()) << r.raw;
  ExpectProblem(api_->Get("/clusters?fields=name,colour"), 400, "HYPERFLEET-VAL-005",
                "invalid field 'colour' in fields query");
}

TEST_P(ApiE2E, OperationsEndpoints) {
  auto health =
      api_->Call("GET", "http://127.0.0.1:" + std::to_string(api_->health_port()) + "/healthz");
  EXPECT_EQ(health.status, 200);
  auto ready =
      api_->Call("GET", "http://127.0.0.1:" + std::to_string(api_->health_port()) + "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.raw;
  api_->Get("/clusters");
  auto metrics =
      api_->Call("GET", "http://127.0.0.1:" + std::to_string(api_->metrics_port()) + "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.raw.find("hyperfleet_api_requests_total{method=\"GET\",path=\"/api/hyperfleet/"
                             "v1/clusters\",code=\"200\"}"),
            std::string::npos);
  EXPECT_NE(metrics.raw.find("hyperfleet_api_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(metrics.raw.find("hyperfleet_db_connections_open"), std::string::npos);
  EXPECT_NE(metrics.raw.find("hyperfleet_api_build_info"), std::string::npos);
  EXPECT_FALSE(api_->Get("/clusters").request_id.empty());
}

TEST_P(ApiE2E, MadeUpMethodsGet501AndNoMetricsSeries) {
  const std::string metrics_url =
      "http://127.0.0.1:" + std::to_string(api_->metrics_port()) + "/metrics";
  for (int i = 0; i < 200; ++i) {
    auto r = api_->Call("XMETHOD" + std::to_string(i), api_->api() + "/clusters");
    ASSERT_EQ(r.status, 501) << r.raw;
    EXPECT_EQ(r.content_type, "application/problem+json");
    EXPECT_EQ(r.body.value("code", ""), "HYPERFLEET-VAL-005");
  }
  auto metrics = api_->Call("GET", metrics_url);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.raw.find("XMETHOD"), std::string::npos) << "a client-chosen method is a label";
  EXPECT_NE(metrics.raw.find("hyperfleet_api_requests_total{method=\"other\""), std::string::npos);
  // A known method the route does not serve stays a 405.
  EXPECT_EQ(api_->Call("PUT", api_->api() + "/clusters").status, 405);
}

// U+0000 and invalid UTF-8 get the same 400 on both databases, before the store (PostgreSQL
// cannot hold U+0000 in text or jsonb; it answered 500 and counted a database error).
TEST_P(ApiE2E, NulAndInvalidUtf8AreRefusedBeforeTheStoreOnEveryDatabase) {
  const double db_errors = DbErrors();
  const std::string name = Name("nul");
  ExpectFieldRefused(Send("POST", "/clusters",
                          R"({"kind":"Cluster","name":")" + name + R"(","spec":{"a":"x\u0000"}})"),
                     "HYPERFLEET-VAL-000", "spec.a");
  ExpectFieldRefused(Send("POST", "/clusters",
                          R"({"kind":"Cluster","name":")" + name + R"(","spec":{"k\u0000ey":1}})"),
                     "HYPERFLEET-VAL-000", std::string("spec.k\0ey", 9));
  ExpectFieldRefused(
      Send("POST", "/clusters",
           R"({"kind":"Cluster","name":")" + name + R"(","spec":{},"labels":{"env":"a\u0000"}})"),
      "HYPERFLEET-VAL-000", "labels.env");
  auto bad_utf8 = Send("POST", "/clusters",
                       R"({"kind":"Cluster","name":")" + name + "\",\"spec\":{\"a\":\"\xff\"}}");
  ExpectProblem(bad_utf8, 400, "HYPERFLEET-VAL-006", "Invalid JSON in request body");
  EXPECT_EQ(api_->Get("/clusters?search=" + http::UrlEncode("name='" + name + "'")).body["total"],
            0);

  const std::string id = CreateCluster(name)["id"];
  ExpectFieldRefused(Send("PATCH", "/clusters/" + id, R"({"spec":{"b":["ok","\u0000"]}})"),
                     "HYPERFLEET-VAL-000", "spec.b[1]");
  json report = Report("validation", 1, "True");
  std::string text = report.dump();
  text.replace(text.find("validation says True"), 20, "says \\u0000");
  ExpectFieldRefused(Send("PUT", "/clusters/" + id + "/statuses", text), "HYPERFLEET-VAL-000",
                     "conditions[0].message");
  // The identity header (auth off) must be clean UTF-8.
  ExpectFieldRefused(Send("PATCH", "/clusters/" + id, R"({"spec":{"c":1}})",
                          {{"X-HyperFleet-Identity", "\xff\xfe"}}),
                     "HYPERFLEET-VAL-000", "X-HyperFleet-Identity");
  EXPECT_EQ(api_->Get("/clusters/" + id).body["generation"], 1) << "a refused write was stored";
  EXPECT_EQ(DbErrors(), db_errors) << "a client's bad input counted as a database error";
}

// A traceparent that is not W3C-valid is dropped: the request is served, never a 500.
TEST_P(ApiE2E, InvalidTraceparentIsDroppedNotAnError) {
  const std::string long_one =
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" + std::string(60'000, 'a');
  for (const std::string& tp : {std::string("\xff"), long_one}) {
    auto r = Send("POST", "/clusters",
                  json{{"kind", "Cluster"}, {"name", Name("tp")}, {"spec", json::object()}}.dump(),
                  {{"traceparent", tp}});
    EXPECT_EQ(r.status, 201) << r.raw;
  }
}

// Duplicate keys, integers beyond int64 and bodies not declared JSON are refused; int64 itself
// keeps its exact value on both databases.
TEST_P(ApiE2E, JsonBodiesAreStrict) {
  const std::string name = Name("strict");
  auto body = [&](const std::string& spec) {
    return R"({"kind":"Cluster","name":")" + name + R"(","spec":)" + spec + "}";
  };
  ExpectFieldRefused(Send("POST", "/clusters", body(R"({"a":1,"a":2})")), "HYPERFLEET-VAL-000",
                     "spec.a");
  ExpectFieldRefused(Send("POST", "/clusters", body(R"({"n":9223372036854775808})")),
                     "HYPERFLEET-VAL-000", "spec.n");
  ExpectFieldRefused(Send("POST", "/clusters", body(R"({"n":-9223372036854775809})")),
                     "HYPERFLEET-VAL-000", "spec.n");
  ExpectProblem(Send("POST", "/clusters", body(R"({"n":1e400})")), 400, "HYPERFLEET-VAL-006",
                "Invalid JSON in request body");
  auto typed = Send("POST", "/clusters", body("{}"), {{"Content-Type", "text/plain"}});
  EXPECT_EQ(typed.status, 415) << typed.raw;
  EXPECT_EQ(typed.content_type, "application/problem+json");
  auto created =
      Send("POST", "/clusters", body(R"({"max":9223372036854775807,"min":-9223372036854775808})"),
           {{"Content-Type", "application/json; charset=UTF-8"}});
  ASSERT_EQ(created.status, 201) << created.raw;
  auto got = api_->Get("/clusters/" + created.body["id"].get<std::string>());
  EXPECT_NE(got.raw.find("9223372036854775807"), std::string::npos) << got.raw;
  EXPECT_NE(got.raw.find("-9223372036854775808"), std::string::npos) << got.raw;
}

// The default size caps: spec 64 KiB, 64 labels, 32 conditions, 4 KiB messages, 16 KiB data.
TEST_P(ApiE2E, SizeCapsAreEnforcedAndPublished) {
  const std::string name = Name("caps");
  auto big = api_->Post(
      "/clusters",
      {{"kind", "Cluster"}, {"name", name}, {"spec", {{"blob", std::string(65 * 1024, 'x')}}}});
  ExpectProblem(big, 400, "HYPERFLEET-VAL-000", "spec_max_bytes");
  json labels = json::object();
  for (int i = 0; i < 65; ++i) labels["l" + std::to_string(i)] = "v";
  ExpectProblem(
      api_->Post(
          "/clusters",
          {{"kind", "Cluster"}, {"name", name}, {"spec", json::object()}, {"labels", labels}}),
      400, "HYPERFLEET-VAL-000", "label validation failed");
  const std::string id = CreateCluster(name)["id"];
  json extra = json::array();
  for (int i = 0; i < 30; ++i)
    extra.push_back({{"type", "X" + std::to_string(i)}, {"status", "True"}});
  json report = Report("validation", 1, "True", extra);  // 33 conditions
  report["conditions"][0]["message"] = std::string(4097, 'm');
  report["data"] = {{"blob", std::string(16 * 1024, 'd')}};
  auto refused = api_->Put("/clusters/" + id + "/statuses", report);
  ExpectProblem(refused, 400, "HYPERFLEET-VAL-000", "status report exceeds limits");
  EXPECT_EQ(refused.body["errors"].size(), 3u) << refused.raw;
  auto doc = api_->Get("/openapi").body;
  EXPECT_EQ(doc["info"]["x-hyperfleet-limits"]["spec_max_bytes"], 65536);
  EXPECT_EQ(doc["components"]["schemas"]["Labels"]["maxProperties"], 64);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiE2E, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// The database going away: 503 SVC-001 and /readyz 503, then recovery without a restart.
TEST(ApiE2EDatabaseOutage, ServesUnavailableAndRecovers) {
  HF_REQUIRE_ENV(dsn, "HF_TEST_PG_DSN");
  HF_REQUIRE_ENV(stop, "HF_TEST_PG_STOP");
  HF_REQUIRE_ENV(start, "HF_TEST_PG_START");
  ApiServer api("postgres");
  ASSERT_TRUE(api.error().empty()) << api.error();
  ASSERT_EQ(api.Get("/clusters").status, 200);
  ASSERT_EQ(std::system(stop.c_str()), 0);
  auto down = api.Get("/clusters");
  EXPECT_EQ(down.status, 503) << down.raw;
  EXPECT_EQ(down.body.value("code", ""), "HYPERFLEET-SVC-001");
  auto created = api.Post(
      "/clusters", {{"kind", "Cluster"}, {"name", "during-outage"}, {"spec", json::object()}});
  EXPECT_EQ(created.status, 503) << created.raw;
  auto ready = api.Call("GET", "http://127.0.0.1:" + std::to_string(api.health_port()) + "/readyz");
  EXPECT_EQ(ready.status, 503);
  ASSERT_EQ(std::system(start.c_str()), 0);
  long status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    status = api.Get("/clusters").status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, 200);
  EXPECT_EQ(
      api.Call("GET", "http://127.0.0.1:" + std::to_string(api.health_port()) + "/readyz").status,
      200);
  // Nothing half-written: the create during the outage does not exist.
  EXPECT_EQ(api.Get("/clusters?search=" + http::UrlEncode("name='during-outage'")).body["total"],
            0);
}

// SIGTERM drains and exits 0.
TEST(ApiE2EShutdown, SigtermExitsCleanly) {
  ApiServer api("sqlite");
  ASSERT_TRUE(api.error().empty()) << api.error();
  EXPECT_EQ(api.Get("/clusters").status, 200);
  EXPECT_EQ(api.process().Stop(SIGTERM), 0) << api.process().Log();
}

// The reconciliation backlog gauges: unreconciled resources, and those waiting past the threshold.
TEST(ApiE2EMetrics, BacklogGaugesCountUnreconciledAndStuckResources) {
  const std::string dir = MakeTempDir("hf-api-backlog");
  std::ofstream(dir + "/stuck.yaml") << "reconciliation_stuck_threshold: 1s\n";
  ApiServer api("sqlite", {"--config", dir + "/stuck.yaml"});
  ASSERT_TRUE(api.error().empty()) << api.error();
  // No adapter runs here, so a new cluster stays Reconciled=False.
  ASSERT_EQ(
      api.Post("/clusters", {{"kind", "Cluster"}, {"name", "waiting"}, {"spec", json::object()}})
          .status,
      201);
  const std::string url = "http://127.0.0.1:" + std::to_string(api.metrics_port()) + "/metrics";
  auto value = [&](const std::string& text, const std::string& series) {
    const auto at = text.find(series + " ");
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + series.size() + 1));
  };
  const std::string pending = "hyperfleet_api_resource_pending_reconciliation";
  std::string text = api.Call("GET", url).raw;
  EXPECT_EQ(value(text, pending + "{resource_type=\"clusters\"}"), 1) << text;
  EXPECT_EQ(value(text, pending + "{resource_type=\"nodepools\"}"), 0) << text;
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  text = api.Call("GET", url).raw;
  EXPECT_EQ(value(text, pending + "_stuck{resource_type=\"clusters\"}"), 1) << text;
  EXPECT_GT(value(text, pending + "_stuck_duration_seconds{resource_type=\"clusters\"}"), 1.0)
      << text;
  EXPECT_EQ(value(text, pending + "_stuck{resource_type=\"nodepools\"}"), 0) << text;
  const std::string started = "hyperfleet_api_reconciliation_started_total";
  EXPECT_EQ(value(text, started + "{resource_type=\"clusters\",is_delete=\"false\"}"), 1) << text;
}

// With shutdown_delay, /readyz says 503 at once while requests are still served, so a load
// balancer stops routing before the listener closes.
TEST(ApiE2EShutdown, ShutdownDelayKeepsServingWhileNotReady) {
  const std::string dir = MakeTempDir("hf-api-delay");
  std::ofstream(dir + "/delay.yaml") << "shutdown_delay: 3s\n";
  ApiServer api("sqlite", {"--config", dir + "/delay.yaml"});
  ASSERT_TRUE(api.error().empty()) << api.error();
  const std::string readyz = "http://127.0.0.1:" + std::to_string(api.health_port()) + "/readyz";
  ASSERT_EQ(api.Call("GET", readyz).status, 200);
  ::kill(api.process().pid(), SIGTERM);
  int ready = 200;
  for (int i = 0; i < 100 && ready == 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ready = api.Call("GET", readyz).status;
  }
  EXPECT_EQ(ready, 503);
  EXPECT_EQ(api.Get("/clusters").status, 200) << "stopped serving during the delay";
  EXPECT_EQ(api.process().Wait(std::chrono::seconds(15)), 0) << api.process().Log();
}

}  // namespace
}  // namespace hf::testing
