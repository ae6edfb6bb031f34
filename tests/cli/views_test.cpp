// Human views of resources, lists and adapter statuses.
#include "cli/views.hpp"

#include <gtest/gtest.h>

namespace hf::cli {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

Time At(const char* text) { return *ParseTime(text); }

json Cluster(const std::string& id, const std::string& name, const std::string& reconciled) {
  return {{"id", id},
          {"kind", "Cluster"},
          {"name", name},
          {"generation", 2},
          {"spec", {{"region", "eu"}}},
          {"labels", {{"env", "prod"}, {"team", "a"}}},
          {"created_time", "2026-01-02T03:00:00.000000Z"},
          {"created_by", "system@hyperfleet.local"},
          {"status",
           {{"conditions",
             {{{"type", "Reconciled"},
               {"status", reconciled},
               {"observed_generation", 2},
               {"reason", "ReconciledMissingAdapters"},
               {"message", "Required adapters not reporting Available=True: [dns]"},
               {"last_transition_time", "2026-01-02T03:04:00.000000Z"}},
              {{"type", "ValidationSuccessful"},
               {"status", "True"},
               {"observed_generation", 2},
               {"reason", "JobSucceeded"},
               {"last_transition_time", "2026-01-02T03:04:30.000000Z"}}}}}}};
}

TEST(FormatAge, KubectlStyle) {
  EXPECT_EQ(FormatAge(seconds(-5)), "0s");
  EXPECT_EQ(FormatAge(seconds(59)), "59s");
  EXPECT_EQ(FormatAge(seconds(61)), "1m");
  EXPECT_EQ(FormatAge(minutes(59)), "59m");
  EXPECT_EQ(FormatAge(hours(47)), "47h");
  EXPECT_EQ(FormatAge(hours(72)), "3d");
  EXPECT_EQ(AgeOf("2026-01-02T03:00:00Z", At("2026-01-02T03:05:00Z")), "5m");
  EXPECT_EQ(AgeOf("yesterday", At("2026-01-02T03:05:00Z")), "");
  EXPECT_EQ(AgeOf(nullptr, At("2026-01-02T03:05:00Z")), "");
}

TEST(RenderResourceList, AlignedColumnsWithReconciledAndAge) {
  json page = {{"items", {Cluster("id-1", "alpha", "True"), Cluster("id-22", "b", "False")}},
               {"page", 1},
               {"size", 2},
               {"total", 2}};
  EXPECT_EQ(RenderResourceList(page, "clusters", false, At("2026-01-02T05:00:00Z")),
            "ID      NAME    GENERATION   RECONCILED   AGE\n"
            "id-1    alpha   2            True         2h\n"
            "id-22   b       2            False        2h\n");
}

TEST(RenderResourceList, NodepoolsShowTheirClusterAndPagingFooter) {
  json np = {{"id", "np-1"},
             {"name", "pool"},
             {"generation", 1},
             {"owner_references", {{"id", "c-1"}, {"kind", "Cluster"}}}};
  json page = {{"items", {np}}, {"page", 2}, {"size", 1}, {"total", 3}};
  EXPECT_EQ(RenderResourceList(page, "nodepools", true, At("2026-01-02T05:00:00Z")),
            "ID     NAME   CLUSTER   GENERATION   RECONCILED   AGE\n"
            "np-1   pool   c-1       1            -\n"
            "Page 2: 1 of 3 nodepools (use --page N / --size N).\n");
  EXPECT_EQ(RenderResourceList({{"items", json::array()}, {"total", 0}}, "clusters", false,
                               At("2026-01-02T05:00:00Z")),
            "No clusters found.\n");
}

TEST(RenderResource, SummaryThenConditions) {
  EXPECT_EQ(
      RenderResource(Cluster("id-1", "alpha", "False"), At("2026-01-02T03:05:00Z")),
      "ID:           id-1\n"
      "Name:         alpha\n"
      "Kind:         Cluster\n"
      "Generation:   2\n"
      "Labels:       env=prod,team=a\n"
      "Spec:         {\"region\":\"eu\"}\n"
      "Created:      2026-01-02T03:00:00.000000Z (5m ago, by system@hyperfleet.local)\n"
      "\n"
      "CONDITION              STATUS   GENERATION   REASON                      AGE   MESSAGE\n"
      "Reconciled             False    2            ReconciledMissingAdapters   1m    "
      "Required adapters not reporting Available=True: [dns]\n"
      "ValidationSuccessful   True     2            JobSucceeded                30s\n");
}

TEST(RenderStatuses, OneRowPerAdapterCondition) {
  json page = {{"items",
                {{{"adapter", "validation"},
                  {"observed_generation", 1},
                  {"last_report_time", "2026-01-02T03:04:50Z"},
                  {"conditions",
                   {{{"type", "Available"},
                     {"status", "True"},
                     {"reason", "JobSucceeded"},
                     {"message", "ok"}},
                    {{"type", "Health"}, {"status", "True"}, {"reason", "Healthy"}}}}},
                 {{"adapter", "dns"}, {"observed_generation", 1}, {"conditions", json::array()}}}},
               {"total", 2}};
  EXPECT_EQ(RenderStatuses(page, At("2026-01-02T03:05:00Z")),
            "ADAPTER      GENERATION   CONDITION   STATUS   REASON         REPORTED   MESSAGE\n"
            "validation   1            Available   True     JobSucceeded   10s ago    ok\n"
            "validation   1            Health      True     Healthy        10s ago\n"
            "dns          1            -           -\n");
  EXPECT_EQ(RenderStatuses({{"items", json::array()}}, Now()), "No adapter has reported yet.\n");
}

TEST(Views, MalformedInputDoesNotThrow) {
  EXPECT_NO_THROW((void)RenderResource(json::array(), Now()));
  EXPECT_NO_THROW((void)RenderResource({{"status", "x"}, {"generation", "two"}}, Now()));
  EXPECT_NO_THROW(
      (void)RenderResourceList({{"items", {1, "x", nullptr}}}, "clusters", true, Now()));
  EXPECT_NO_THROW((void)RenderStatuses({{"items", {{{"conditions", {1}}}}}}, Now()));
  EXPECT_TRUE(FindCondition(json::array(), "Reconciled").is_null());
}

}  // namespace
}  // namespace hf::cli
