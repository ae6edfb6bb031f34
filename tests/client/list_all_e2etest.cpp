// ApiClient::ListAll against the real API whose list pages are cut by a small byte cap
// (list_max_bytes), on SQLite and on PostgreSQL: every item once, in order.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "client/api_client.hpp"
#include "model/kinds.hpp"
#include "testing/api_server.hpp"
#include "testing/env.hpp"

namespace hf::testing {
namespace {

using nlohmann::json;

class ListAllE2E : public ::testing::TestWithParam<std::string> {};

TEST_P(ListAllE2E, WalksPagesTruncatedByTheByteCap) {
  if (GetParam() == "postgres") {
    HF_REQUIRE_ENV(dsn, "HF_TEST_PG_DSN");
  }
  const std::string dir = MakeTempDir("hf-list-cap");
  std::ofstream(dir + "/cap.yaml") << "list_max_bytes: 3000\n";
  ApiServer api(GetParam(), {"--config", dir + "/cap.yaml"});
  ASSERT_TRUE(api.error().empty()) << api.error();
  // Items of uneven size (about 600 to 1800 bytes), so pages hold different counts.
  std::vector<std::string> names;
  for (int i = 0; i < 13; ++i) {
    names.push_back("cluster-" + std::to_string(i));
    auto r = api.Post("/clusters", {{"kind", "Cluster"},
                                    {"name", names.back()},
                                    {"spec", {{"pad", std::string(200 + (i % 4) * 400, 'p')}}}});
    ASSERT_EQ(r.status, 201) << r.raw;
  }
  auto first = api.Get("/clusters?size=5");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.body["truncated"], true) << "the cap did not cut the page";
  EXPECT_LT(first.body["size"].get<int>(), 5);

  client::ClientOptions options;
  options.api_url = api.base();
  client::ApiClient client(options);
  std::sort(names.begin(), names.end());
  for (int page_size : {5, 7, 100}) {
    auto all = client.ListAll(model::kCluster, "", page_size);
    ASSERT_TRUE(all) << all.error().ToString();
    std::vector<std::string> got;
    for (const auto& item : *all) got.push_back(item["name"]);
    std::sort(got.begin(), got.end());  // every item exactly once
    EXPECT_EQ(got, names) << "page size " << page_size;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ListAllE2E, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace hf::testing
