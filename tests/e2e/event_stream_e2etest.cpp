// GET /events/stream against the real binary (README: Watch API): events as rows commit, resume
// by Last-Event-ID or ?after=, the reset when the rows resumed from are gone, the per-process
// stream limit (503 problem+json), heartbeats, and streams ended cleanly on SIGTERM. On SQLite
// (in-process wake-up) and PostgreSQL (NOTIFY).
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>

#include "testing/api_server.hpp"
#include "testing/env.hpp"
#include "testing/http_connection.hpp"

namespace hf::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kStream = "/api/hyperfleet/v1/events/stream";

// One event read off a stream.
struct Event {
  int64_t id = 0;
  std::string event;
  json data;
};

// An open stream: the request sent, the head read.
class Stream {
 public:
  Stream(int port, const std::string& target, const std::string& headers = "") : conn_(port) {
    conn_.Send(GetRequest(target, headers));
    head_ = conn_.ReadThrough("\r\n\r\n");
  }
  const std::string& head() const { return head_; }
  // Waits for the heartbeat that says the stream is live (sent once caught up).
  bool Live() { return !conn_.ReadThrough(": heartbeat\n\n").empty(); }
  // The next event (heartbeats skipped); event "" when none came within the patience.
  Event Next() {
    static const std::regex kEvent("id: (\\d+)\nevent: (\\S+)\ndata: ([^\n]*)\n\n");
    for (;;) {
      const std::string text = conn_.ReadThrough("\n\n");
      if (text.empty()) return {};
      std::smatch m;
      if (!std::regex_search(text, m, kEvent)) continue;
      return {std::stoll(m[1]), m[2], json::parse(m[3].str())};
    }
  }
  // Reads until `text`, e.g. the last chunk; "" if it did not come.
  std::string ReadThrough(const std::string& text) { return conn_.ReadThrough(text); }
  bool Closed() { return conn_.Closed(); }

 private:
  HttpConnection conn_;
  std::string head_;
};

// A config file with `yaml` in a fresh directory.
std::string Config(const std::string& yaml) {
  const std::string path = MakeTempDir("hf-stream-config") + "/config.yaml";
  std::ofstream(path) << yaml;
  return path;
}

class EventStreamE2E : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      HF_REQUIRE_ENV(dsn, "HF_TEST_PG_DSN");
    }
  }
  std::unique_ptr<ApiServer> Start(const std::string& yaml, std::vector<std::string> args = {}) {
    args.insert(args.end(), {"--config", Config(yaml)});
    auto api = std::make_unique<ApiServer>(GetParam(), args);
    EXPECT_TRUE(api->error().empty()) << api->error();
    return api;
  }
  static std::string CreateCluster(const ApiServer& api, const std::string& name) {
    auto r = api.Post("/clusters", {{"kind", "Cluster"}, {"name", name}, {"spec", json::object()}});
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body.value("id", "");
  }
};

TEST_P(EventStreamE2E, EventsAsTheyCommitThenResumeByLastEventIdOrAfter) {
  auto api = Start("event_stream_heartbeat: 15s\n");
  ASSERT_TRUE(api->error().empty());
  Stream all(api->port(), kStream + "?aggregate_type=Cluster");
  EXPECT_NE(all.head().find("HTTP/1.1 200"), std::string::npos) << all.head();
  EXPECT_NE(all.head().find("text/event-stream"), std::string::npos) << all.head();
  ASSERT_TRUE(all.Live());

  const std::string a = CreateCluster(*api, "stream-a");
  const Event created = all.Next();
  EXPECT_EQ(created.event, "created");
  EXPECT_EQ(created.data.value("aggregate_id", ""), a) << created.data.dump();
  EXPECT_EQ(created.data.value("id", int64_t{0}), created.id) << created.data.dump();
  // The same JSON as GET /events lists.
  auto listed = api->Get("/events?aggregate_id=" + a);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body["items"][0], created.data);

  // Only one resource's events with aggregate_id.
  Stream only_b_later(api->port(), kStream + "?aggregate_id=" + a);
  ASSERT_TRUE(only_b_later.Live());
  const std::string b = CreateCluster(*api, "stream-b");
  auto patched = api->Patch("/clusters/" + a, {{"spec", {{"size", 2}}}});
  ASSERT_EQ(patched.status, 200) << patched.raw;
  const Event b_created = all.Next();
  EXPECT_EQ(b_created.data.value("aggregate_id", ""), b);
  const Event a_updated = all.Next();
  EXPECT_EQ(a_updated.event, "updated");
  const Event a_only = only_b_later.Next();
  EXPECT_EQ(a_only.event, "updated");
  EXPECT_EQ(a_only.id, a_updated.id);

  // A client that saw `created` resumes after it: it gets what it missed, then live events.
  for (const std::string& how : {std::string("header"), std::string("query")}) {
    Stream resumed(api->port(),
                   how == "header" ? kStream : kStream + "?after=" + std::to_string(created.id),
                   how == "header" ? "Last-Event-ID: " + std::to_string(created.id) + "\r\n" : "");
    EXPECT_EQ(resumed.Next().id, b_created.id) << how;
    EXPECT_EQ(resumed.Next().id, a_updated.id) << how;
    ASSERT_TRUE(resumed.Live()) << how;
    const std::string c = CreateCluster(*api, "stream-c-" + how);
    const Event c_created = resumed.Next();
    EXPECT_EQ(c_created.data.value("aggregate_id", ""), c) << how;
    EXPECT_GT(c_created.id, a_updated.id);
  }

  // A malformed resume id or filter is refused before the stream opens.
  auto bad = api->Call("GET", api->api() + "/events/stream?after=x");
  EXPECT_EQ(bad.status, 400) << bad.raw;
  auto bad_type = api->Call("GET", api->api() + "/events/stream?aggregate_type=Pod");
  EXPECT_EQ(bad_type.status, 400) << bad_type.raw;
}

TEST_P(EventStreamE2E, ResetWhenTheRowsResumedFromAreNoLongerRetained) {
  // Published rows are kept 1s; the reconciler deletes older ones when it starts.
  auto api = Start("outbox_retention: 1s\n", {"--with-outbox"});
  ASSERT_TRUE(api->error().empty());
  Stream first(api->port(), kStream);
  ASSERT_TRUE(first.Live());
  CreateCluster(*api, "gone-1");
  CreateCluster(*api, "gone-2");
  const Event old = first.Next();  // resumed from: its row and the next one go
  ASSERT_EQ(old.event, "created");
  ASSERT_EQ(first.Next().event, "created");
  // Wait until it is published, then for the retention to pass, and restart (deletes it).
  for (int i = 0; i < 100; ++i) {
    auto events = api->Get("/events?published=false");
    if (events.status == 200 && events.body.value("total", 1) == 0) break;
    std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(1500ms);
  ASSERT_EQ(api->process().Stop(SIGTERM), 0);
  ASSERT_TRUE(api->Restart()) << api->error();
  for (int i = 0; i < 100; ++i) {
    auto events = api->Get("/events?aggregate_id=" + old.data.value("aggregate_id", ""));
    if (events.status == 200 && events.body.value("total", 1) == 0) break;
    std::this_thread::sleep_for(100ms);
  }
  CreateCluster(*api, "gone-3");

  Stream resumed(api->port(), kStream, "Last-Event-ID: " + std::to_string(old.id) + "\r\n");
  const Event reset = resumed.Next();
  EXPECT_EQ(reset.event, "reset");
  EXPECT_GT(reset.id, old.id);
  EXPECT_EQ(reset.data.value("last_id", int64_t{0}), reset.id) << reset.data.dump();
  ASSERT_TRUE(resumed.Live());
  CreateCluster(*api, "gone-4");
  const Event next = resumed.Next();
  EXPECT_EQ(next.event, "created");
  EXPECT_GT(next.id, reset.id);
}

TEST_P(EventStreamE2E, AtMostEventStreamMaxStreamsThen503) {
  auto api = Start("event_stream_max: 2\n");
  ASSERT_TRUE(api->error().empty());
  auto one = std::make_unique<Stream>(api->port(), kStream);
  Stream two(api->port(), kStream);
  ASSERT_TRUE(one->Live());
  ASSERT_TRUE(two.Live());
  auto refused = api->Call("GET", api->api() + "/events/stream");
  EXPECT_EQ(refused.status, 503) << refused.raw;
  EXPECT_EQ(refused.content_type, "application/problem+json");
  EXPECT_EQ(refused.body.value("code", ""), "HYPERFLEET-SVC-003") << refused.raw;
  // Other requests are still served, and a stream that ends frees its place.
  EXPECT_EQ(api->Get("/clusters").status, 200);
  one.reset();
  bool reopened = false;
  for (int i = 0; i < 50 && !reopened; ++i) {
    Stream again(api->port(), kStream);
    reopened = again.head().find("HTTP/1.1 200") != std::string::npos;
    if (!reopened) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(reopened);
}

TEST_P(EventStreamE2E, HeartbeatsWhileIdleAndSigtermEndsStreamsCleanly) {
  auto api = Start("event_stream_heartbeat: 200ms\n");
  ASSERT_TRUE(api->error().empty());
  Stream stream(api->port(), kStream);
  ASSERT_TRUE(stream.Live());
  EXPECT_TRUE(stream.Live()) << "a second heartbeat while idle";
  const auto start = std::chrono::steady_clock::now();
  ::kill(api->process().pid(), SIGTERM);
  // The body ends with the last chunk, then the connection closes, and the server exits.
  EXPECT_NE(stream.ReadThrough("0\r\n\r\n"), "");
  EXPECT_TRUE(stream.Closed());
  EXPECT_EQ(api->process().Wait(10'000ms), 0) << api->process().Log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "the stream held the drain";
}

INSTANTIATE_TEST_SUITE_P(Backends, EventStreamE2E, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace hf::testing
