// The one HyperFleet API client against a real HTTP server on loopback whose answers each test
// scripts: paths and headers, the status→error map, retries, deadlines, paging and cancellation.
#include "client/api_client.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "common/http_server.hpp"
#include "testing/env.hpp"

namespace hf::client {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

http::ServerOptions LoopbackOptions() {
  http::ServerOptions o;
  o.host = "127.0.0.1";
  o.threads = 2;
  return o;
}

// A loopback server that records every request and answers from a script (the last answer
// repeats once the script runs out).
class ScriptedApi {
 public:
  explicit ScriptedApi(std::function<http::Response(const http::Request&)> answer)
      : answer_(std::move(answer)), server_(LoopbackOptions(), [this](const http::Request& r) {
          {
            std::lock_guard lock(mu_);
            requests_.push_back(r);
          }
          return answer_(r);
        }) {
    EXPECT_TRUE(server_.Start().has_value());
  }
  ~ScriptedApi() { server_.Stop(milliseconds(100)); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<http::Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  std::function<http::Response(const http::Request&)> answer_;
  mutable std::mutex mu_;  // guards requests_
  std::vector<http::Request> requests_;
  http::Server server_;
};

http::Response Answer(int status, const json& body) {
  return {status, "application/json", body.is_null() ? "" : body.dump(), {}};
}

json Problem(int status, const std::string& code, const std::string& detail) {
  return {{"type", "https://api.hyperfleet.io/errors/x"},
          {"title", "Title"},
          {"status", status},
          {"detail", detail},
          {"code", code}};
}

ClientOptions Options(const std::string& url, int attempts = 1) {
  return {.api_url = url + "/",  // a trailing '/' is ignored
          .user_agent = "test-agent",
          .timeout = std::chrono::seconds(5),
          .attempts = attempts,
          .backoff = {milliseconds(10), milliseconds(50), 0.2},
          .cancel = nullptr};
}

TEST(ApiClient, OwnsTheBasePathAndTheHeaders) {
  ScriptedApi api([](const http::Request&) { return Answer(200, {{"id", "c1"}}); });
  const ApiClient client(Options(api.url()));
  auto got = client.Get(model::kCluster, "c 1", "", {.traceparent = "00-abc-def-01"});
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ((*got)["id"], "c1");
  ASSERT_TRUE(client.Patch(model::kNodePool, "n1", {{"spec", json::object()}}, "c1"));
  const auto seen = api.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].path, "/api/hyperfleet/v1/clusters/c 1");  // the id is URL-encoded
  EXPECT_EQ(seen[0].Header("traceparent"), "00-abc-def-01");
  EXPECT_EQ(seen[0].Header("user-agent"), "test-agent");
  EXPECT_EQ(seen[0].Header("accept"), "application/json");
  EXPECT_EQ(seen[1].method, "PATCH");
  EXPECT_EQ(seen[1].path, "/api/hyperfleet/v1/clusters/c1/nodepools/n1");
  EXPECT_EQ(seen[1].Header("content-type"), "application/json");
  EXPECT_EQ(json::parse(seen[1].body), json({{"spec", json::object()}}));
  EXPECT_EQ(seen[1].Header("traceparent"), "");
}

TEST(ApiClient, MapsAnswersToErrorsKeepingTheProblemDetail) {
  ScriptedApi api([](const http::Request& r) {
    if (r.path.ends_with("/missing")) {
      return Answer(404, Problem(404, "HYPERFLEET-NTF-001", "Cluster with id='missing' not found"));
    }
    if (r.method == "POST" && r.path.ends_with("/clusters")) {
      return Answer(409, Problem(409, "HYPERFLEET-CNF-001", "This Cluster already exists"));
    }
    if (r.method == "DELETE") {
      return Answer(409, Problem(409, "HYPERFLEET-CNF-003", "Cluster 'x' is marked for deletion"));
    }
    if (r.method == "PATCH") {
      json p = Problem(400, "HYPERFLEET-VAL-000", "Invalid request");
      p["errors"] = {{{"field", "name"}, {"constraint", "max_length"}, {"message", "too long"}}};
      return Answer(400, p);
    }
    if (r.path.ends_with("/notjson")) return http::Response{200, "text/plain", "hello", {}};
    return Answer(422, Problem(422, "HYPERFLEET-VAL-007", "child kind"));
  });
  const ApiClient client(Options(api.url()));
  auto missing = client.Get(model::kCluster, "missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message,
            "404 Title: Cluster with id='missing' not found (HYPERFLEET-NTF-001)");
  EXPECT_NE(missing.error().detail.find("GET http://127.0.0.1:"), std::string::npos);

  auto exists = client.Create(model::kCluster, {{"name", "x"}});
  ASSERT_FALSE(exists);
  EXPECT_EQ(exists.error().code, ErrorCode::kAlreadyExists);
  auto deleting = client.Delete(model::kCluster, "x");
  ASSERT_FALSE(deleting);
  EXPECT_EQ(deleting.error().code, ErrorCode::kConflict);

  auto invalid = client.Patch(model::kCluster, "x", {{"name", "y"}});
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidArgument);
  ASSERT_EQ(invalid.error().violations.size(), 1u);
  EXPECT_EQ(invalid.error().violations[0].field, "name");
  EXPECT_EQ(invalid.error().violations[0].constraint, "max_length");

  auto unprocessable = client.Create(model::kNodePool, {{"name", "x"}});
  ASSERT_FALSE(unprocessable);
  EXPECT_EQ(unprocessable.error().code, ErrorCode::kUnprocessable);

  auto not_json = client.Call("GET", "/notjson");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().code, ErrorCode::kMalformed);
}

TEST(ApiClient, SendsTheTokenFileAndRereadsItWhenItChanges) {
  ScriptedApi api([](const http::Request&) { return Answer(200, {{"id", "c1"}}); });
  const std::string dir = testing::MakeTempDir("hf-token");
  const std::string file = dir + "/token";
  std::ofstream(file) << "first-token\n";
  ApiClient client({.api_url = api.url(), .token = TokenFromFile(file)});
  ASSERT_TRUE(client.Get(model::kCluster, "c1"));
  // Rotation as Kubernetes does it: a new file swapped in.
  std::ofstream(file + ".new") << "second-token";
  std::filesystem::rename(file + ".new", file);
  ASSERT_TRUE(client.Get(model::kCluster, "c1"));
  auto seen = api.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].Header("authorization"), "Bearer first-token");
  EXPECT_EQ(seen[1].Header("authorization"), "Bearer second-token");

  // A missing or empty token file fails the call before anything is sent, naming the file.
  std::filesystem::remove(file);
  auto missing = client.Get(model::kCluster, "c1");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(missing.error().message.find(file), std::string::npos) << missing.error().message;
  std::ofstream(file) << "  \n";
  auto empty = client.Get(model::kCluster, "c1");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("is empty"), std::string::npos) << empty.error().message;
  EXPECT_EQ(api.requests().size(), 2u);

  // 401 and 403 answers keep their meaning.
  ScriptedApi refusing([](const http::Request& r) {
    return r.path.ends_with("/c1") ? Answer(401, Problem(401, "HYPERFLEET-AUT-003", "expired"))
                                   : Answer(403, Problem(403, "HYPERFLEET-AUZ-001", "reader"));
  });
  ApiClient plain({.api_url = refusing.url(), .token = FixedToken("t")});
  EXPECT_EQ(plain.Get(model::kCluster, "c1").error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(plain.Get(model::kCluster, "c2").error().code, ErrorCode::kPermissionDenied);
}

TEST(ErrorCodeForStatus, IsTheOneMap) {
  EXPECT_EQ(ErrorCodeForStatus(400), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ErrorCodeForStatus(401), ErrorCode::kUnauthenticated);
  EXPECT_EQ(ErrorCodeForStatus(403), ErrorCode::kPermissionDenied);
  EXPECT_EQ(ErrorCodeForStatus(404), ErrorCode::kNotFound);
  EXPECT_EQ(ErrorCodeForStatus(408), ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(ErrorCodeForStatus(409), ErrorCode::kConflict);
  EXPECT_EQ(ErrorCodeForStatus(422), ErrorCode::kUnprocessable);
  EXPECT_EQ(ErrorCodeForStatus(429), ErrorCode::kUnavailable);
  EXPECT_EQ(ErrorCodeForStatus(500), ErrorCode::kUnavailable);
  EXPECT_EQ(ErrorCodeForStatus(503), ErrorCode::kUnavailable);
  EXPECT_EQ(ErrorCodeForStatus(504), ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(ErrorCodeForStatus(302), ErrorCode::kInternal);
}

TEST(ApiClient, RetriesIdempotentCallsOnTransientAnswersOnly) {
  std::atomic<int> calls{0};
  ScriptedApi api([&](const http::Request& r) {
    const int n = ++calls;
    if (r.method == "GET" && n < 3) return Answer(503, Problem(503, "HYPERFLEET-SVC-001", "db"));
    if (r.method == "POST") return Answer(503, Problem(503, "HYPERFLEET-SVC-001", "db"));
    if (r.method == "PUT") return Answer(400, Problem(400, "HYPERFLEET-VAL-000", "bad report"));
    return Answer(200, {{"id", "c1"}});
  });
  const ApiClient client(Options(api.url(), /*attempts=*/4));
  auto got = client.Get(model::kCluster, "c1");
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(calls.load(), 3);  // two 503s, then the answer

  calls = 10;  // past the GET script
  auto created = client.Create(model::kCluster, {{"name", "x"}});
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(calls.load(), 11);  // POST is not retried

  auto put = client.PutStatus(model::kCluster, "c1", {{"adapter", "dns"}});
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(calls.load(), 12);  // a 400 is not retried either
}

TEST(ApiClient, GivesUpAtTheCallDeadline) {
  ScriptedApi api([](const http::Request&) {
    std::this_thread::sleep_for(milliseconds(1500));
    return Answer(200, {{"id", "c1"}});
  });
  const ApiClient client(Options(api.url(), /*attempts=*/3));
  auto got =
      client.Get(model::kCluster, "c1", "", {.traceparent = "", .deadline = milliseconds(200)});
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(api.requests().size(), 1u);  // no retry fits in what is left of the deadline
}

TEST(ApiClient, UnreachableApiNamesTheUrl) {
  const ApiClient client(Options("http://127.0.0.1:1", /*attempts=*/2));
  auto got = client.Get(model::kCluster, "c1");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(got.error().message.rfind("cannot reach the HyperFleet API at http://127.0.0.1:1 (", 0),
            0u)
      << got.error().message;
  const ApiClient bad(Options("not a url"));
  auto refused = bad.Get(model::kCluster, "c1");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
}

TEST(ApiClient, CancelEndsRetryWaits) {
  ScriptedApi api([](const http::Request&) { return Answer(503, json::object()); });
  std::atomic<bool> cancel{false};
  ClientOptions o = Options(api.url(), /*attempts=*/100);
  o.backoff = {std::chrono::seconds(30), std::chrono::seconds(30), 0};
  o.cancel = &cancel;
  const ApiClient client(o);
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(100));
    cancel = true;
  });
  auto got = client.Get(model::kCluster, "c1");  // would wait 30 s per retry if not cancelled
  stopper.join();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(api.requests().size(), 1u);
}

// A scripted server that keeps 250 ids and answers `id > 'x'` pages in id order; the ids before
// the second page's key are deleted, and new ones created, while the client walks. Page numbers
// (OFFSET) would skip live items here; keyset paging must not.
TEST(ApiClient, ListAllWalksByKeysetUnshakenByChanges) {
  std::mutex mu;
  std::set<std::string> ids;
  auto id_of = [](int i) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "id-%03d", i);
    return std::string(buf);
  };
  for (int i = 0; i < 250; ++i) ids.insert(id_of(i));
  int requests = 0;
  ScriptedApi api([&](const http::Request& r) {
    std::lock_guard lock(mu);
    const int size = std::stoi(r.Query("size").value_or("0"));
    const std::string search = r.Query("search").value_or("");
    const auto key = search.find("id > '");
    const std::string after = key == std::string::npos ? "" : search.substr(key + 6, 6);
    if (++requests == 2) {  // between the first and the second page
      for (int i = 0; i < 50; ++i) ids.erase(id_of(i));
      ids.insert(id_of(250));
    }
    json items = json::array();
    for (auto it = ids.upper_bound(after); it != ids.end() && std::ssize(items) < size; ++it)
      items.push_back({{"id", *it}});
    return Answer(200, {{"items", items}, {"total", ids.size()}, {"size", items.size()}});
  });
  const ApiClient client(Options(api.url()));
  auto all = client.ListAll(model::kNodePool, "labels.a='b'", 100);
  ASSERT_TRUE(all.has_value()) << all.error().ToString();
  std::vector<std::string> got;
  for (const auto& item : *all) got.push_back(item["id"]);
  ASSERT_EQ(got.size(), 251u);  // 100 before the deletions, then 101..250 and the new one
  EXPECT_TRUE(std::ranges::is_sorted(got));
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), got.size()) << "repeated";
  const auto seen = api.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].path, "/api/hyperfleet/v1/nodepools");
  EXPECT_EQ(seen[0].Query("order").value_or(""), "id asc");
  EXPECT_EQ(seen[0].Query("search").value_or(""), "(labels.a='b')");
  EXPECT_EQ(seen[2].Query("search").value_or(""), "(labels.a='b') and id > 'id-199'");
}

TEST(ApiClient, ListAllRefusesAPageThatDoesNotAdvance) {
  ScriptedApi api([](const http::Request&) {
    return Answer(200, {{"items", {{{"id", "same"}}}}, {"total", 5}, {"truncated", true}});
  });
  const ApiClient client(Options(api.url()));
  auto all = client.ListAll(model::kCluster, "", 1);
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().code, ErrorCode::kMalformed);
}

TEST(ApiClient, StatusAndEventOutcomes) {
  ScriptedApi api([](const http::Request& r) {
    if (r.method == "PUT")
      return Answer(r.body.find("stale") != std::string::npos ? 204 : 201, nullptr);
    const json body = json::parse(r.body);
    return Answer(201, {{"status", body["aggregate_id"] == "dup" ? "pending" : "created"}});
  });
  const ApiClient client(Options(api.url()));
  EXPECT_EQ(client.PutStatus(model::kNodePool, "n1", {{"x", "fresh"}}).value(),
            StatusOutcome::kStored);
  EXPECT_EQ(client.PutStatus(model::kNodePool, "n1", {{"x", "stale"}}).value(),
            StatusOutcome::kDiscarded);
  EXPECT_EQ(client.RequestEvent(model::kNodePool, "n1").value(), EventOutcome::kAccepted);
  EXPECT_EQ(client.RequestEvent(model::kNodePool, "dup").value(), EventOutcome::kPending);
  const auto seen = api.requests();
  EXPECT_EQ(seen[0].path, "/api/hyperfleet/v1/nodepools/n1/statuses");
  EXPECT_EQ(json::parse(seen[2].body)["aggregate_type"], "NodePool");
  EXPECT_EQ(seen[2].path, "/api/hyperfleet/v1/events");
}

// A streamed answer (http::Response::stream) that sends `pieces` and then, if `close`, ends.
http::Response Streamed(std::vector<std::string> pieces, bool close) {
  http::Response res{200, "text/event-stream", "", {}};
  res.stream = [pieces = std::move(pieces), close](std::shared_ptr<http::BodyStream> out) {
    for (const auto& p : pieces) out->Send(p);
    if (close) out->Close();
  };
  return res;
}

TEST(ApiClient, StreamEventsReadsServerSentEventsAsTheyArrive) {
  // Comments are skipped, fields may be split across writes, data lines join with '\n'.
  ScriptedApi api([](const http::Request&) {
    return Streamed({": heartbeat\n\n", "id: 7\nevent: created\ndata: {\"a\":1}\n\n", "id: 8\nda",
                     "ta: x\ndata: y\n\n"},
                    true);
  });
  const ApiClient client(Options(api.url()));
  std::vector<StreamEvent> seen;
  auto streamed = client.StreamEvents("?aggregate_id=abc",
                                      [&](const StreamEvent& e) {
                                        seen.push_back(e);
                                        return true;
                                      },
                                      {.deadline = milliseconds(5000)});
  ASSERT_TRUE(streamed) << streamed.error().ToString();  // the server ended the stream
  std::vector<std::array<std::string, 3>> fields;
  for (const auto& e : seen) fields.push_back({e.id, e.event, e.data});
  const std::vector<std::array<std::string, 3>> want = {{"7", "created", "{\"a\":1}"},
                                                        {"8", "message", "x\ny"}};
  EXPECT_EQ(fields, want);
  EXPECT_EQ(api.requests().at(0).target, "/api/hyperfleet/v1/events/stream?aggregate_id=abc");
}

TEST(ApiClient, StreamEventsEndsWhenTheCallbackSaysSoOrCancelledAndMapsA404) {
  ScriptedApi open([](const http::Request&) {
    return Streamed({"id: 1\nevent: created\ndata: {}\n\n"}, false);  // never ends
  });
  const ApiClient client(Options(open.url()));
  int events = 0;
  auto stopped = client.StreamEvents("", [&](const StreamEvent&) { return ++events < 1; },
                                     {.deadline = milliseconds(5000)});
  EXPECT_TRUE(stopped) << stopped.error().ToString();
  EXPECT_EQ(events, 1);

  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(200));
    cancel = true;
  });
  const auto start = std::chrono::steady_clock::now();
  auto cancelled = client.StreamEvents("", [](const StreamEvent&) { return true; },
                                       {.deadline = milliseconds(10'000), .cancel = &cancel});
  canceller.join();
  EXPECT_FALSE(cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  ScriptedApi old([](const http::Request&) {
    return Answer(404, {{"code", "HYPERFLEET-NTF-000"}});
  });
  auto missing = ApiClient(Options(old.url()))
                     .StreamEvents("", [](const StreamEvent&) { return true; },
                                   {.deadline = milliseconds(2000)});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace hf::client
