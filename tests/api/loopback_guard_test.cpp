#include "api/loopback_guard.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hf::api {
namespace {

TEST(IsAllowedHost, LoopbackNamesAndAddressesWithAnyPort) {
  for (const char* host :
       {"localhost", "LOCALHOST:8000", "localhost.", "app.localhost:3000", "127.0.0.1",
        "127.0.0.1:8000", "127.255.0.9:1", "[::1]", "[::1]:8000", "[0:0:0:0:0:0:0:1]:80"}) {
    EXPECT_TRUE(IsAllowedHost(host, {})) << host;
  }
}

TEST(IsAllowedHost, EverythingElseIsRefused) {
  for (const char* host :
       {"", ":8000", "evil.example", "localhost.evil.example", "evillocalhost", "127.0.0.1.nip.io",
        "128.0.0.1", "0.0.0.0", "10.0.0.1:8000", "[::]", "::1", "[::1", "[::1]x", "[::1]:80a",
        "localhost:http", "[::ffff:127.0.0.1]", "127.1", "localhost:8000:1"}) {
    EXPECT_FALSE(IsAllowedHost(host, {})) << host;
  }
}

TEST(IsAllowedHost, AllowedHostsAddNamesCaseInsensitively) {
  const std::vector<std::string> allowed = {"devbox.lan", "Build.Example"};
  EXPECT_TRUE(IsAllowedHost("devbox.lan:8000", allowed));
  EXPECT_TRUE(IsAllowedHost("build.example", allowed));
  EXPECT_TRUE(IsAllowedHost("localhost", allowed));
  EXPECT_FALSE(IsAllowedHost("other.lan", allowed));
  EXPECT_FALSE(IsAllowedHost("lan", allowed));
}

http::Response Status(const std::string& host, const std::string& origin = "") {
  http::Request req;
  req.method = "GET";
  req.path = "/api/hyperfleet/v1/clusters";
  if (!host.empty()) req.headers["host"] = host;
  if (!origin.empty()) req.headers["origin"] = origin;
  auto guarded = LoopbackGuard(
      [](const http::Request&) {
        return http::Response{200, "", "", {}};
      },
      {"devbox.lan"});
  return guarded(req);
}

TEST(LoopbackGuard, RefusesForeignHostsWith421AndForeignOriginsWith403) {
  EXPECT_EQ(Status("localhost:8000").status, 200);
  EXPECT_EQ(Status("devbox.lan").status, 200);
  EXPECT_EQ(Status("localhost:8000", "http://localhost:3000").status, 200);
  EXPECT_EQ(Status("localhost:8000", "https://devbox.lan").status, 200);

  auto misdirected = Status("evil.example:8000");
  EXPECT_EQ(misdirected.status, 421);
  EXPECT_EQ(misdirected.content_type, "application/problem+json");
  auto body = nlohmann::json::parse(misdirected.body);
  EXPECT_EQ(body["code"], "HYPERFLEET-AUZ-002");
  EXPECT_NE(body["detail"].get<std::string>().find("evil.example:8000"), std::string::npos);
  EXPECT_NE(body["detail"].get<std::string>().find("--auth"), std::string::npos);
  EXPECT_EQ(Status("").status, 421);

  for (const char* origin : {"http://evil.example", "null", "http://localhost/x", "ws://localhost",
                             "http://user@localhost", "http://", "localhost"}) {
    auto refused = Status("localhost", origin);
    EXPECT_EQ(refused.status, 403) << origin;
    EXPECT_EQ(nlohmann::json::parse(refused.body)["code"], "HYPERFLEET-AUZ-003") << origin;
  }
}

}  // namespace
}  // namespace hf::api
