// watch's change detection and its "what is missing" line.
#include "cli/watch.hpp"

#include <gtest/gtest.h>

namespace hf::cli {
namespace {

using nlohmann::json;

json Report(const std::string& adapter, int64_t generation, const std::string& available,
            const std::string& reason = "R", const std::string& message = "") {
  json available_condition = {{"type", "Available"}, {"status", available}, {"reason", reason}};
  if (!message.empty()) available_condition["message"] = message;
  return {{"adapter", adapter},
          {"observed_generation", generation},
          {"conditions", {available_condition, {{"type", "Applied"}, {"status", "True"}}}}};
}

json Resource(int64_t generation, const std::string& reconciled, int64_t observed,
              const std::string& message = "") {
  return {{"id", "c-1"},
          {"generation", generation},
          {"status",
           {{"conditions",
             {{{"type", "Reconciled"},
               {"status", reconciled},
               {"observed_generation", observed},
               {"reason", reconciled == "True" ? "AllAdaptersReconciled" : "Missing"},
               {"message", message}},
              {{"type", "LastKnownReconciled"}, {"status", "False"}}}}}}};
}

json Page(std::vector<json> items) { return {{"items", items}, {"total", items.size()}}; }

TEST(Watch, FirstSnapshotReportsEverythingAdaptersFirst) {
  Snapshot snap = TakeSnapshot(Resource(1, "False", 1), Page({Report("validation", 1, "True")}));
  auto changes = Changes({}, snap);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].adapter, "validation");
  EXPECT_EQ(changes[0].type, "Applied");
  EXPECT_EQ(changes[1].type, "Available");
  EXPECT_EQ(changes[2].adapter, "");
  EXPECT_EQ(changes[2].type, "Reconciled");
}

TEST(Watch, OnlyChangedConditionsAreReported) {
  Snapshot before =
      TakeSnapshot(Resource(1, "False", 1), Page({Report("validation", 1, "False", "Running")}));
  EXPECT_TRUE(Changes(before, before).empty());
  // validation's Available flips, dns appears; Applied and Reconciled stay the same.
  Snapshot after = TakeSnapshot(
      Resource(1, "False", 1),
      Page({Report("validation", 1, "True", "JobSucceeded"), Report("dns", 1, "False")}));
  auto changes = Changes(before, after);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].adapter + "/" + changes[0].type, "dns/Applied");
  EXPECT_EQ(changes[1].adapter + "/" + changes[1].type, "dns/Available");
  EXPECT_EQ(changes[2].adapter + "/" + changes[2].type, "validation/Available");
  EXPECT_EQ(changes[2].status, "True");
  // A new generation alone is a change; so is a new message.
  Snapshot regenerated = TakeSnapshot(
      Resource(2, "False", 1, "now missing"),
      Page({Report("validation", 2, "True", "JobSucceeded"), Report("dns", 1, "False")}));
  auto more = Changes(after, regenerated);
  ASSERT_EQ(more.size(), 3u);
  EXPECT_EQ(more[0].type, "Applied");
  EXPECT_EQ(more[0].generation, 2);
  EXPECT_EQ(more[2].type, "Reconciled");
  EXPECT_EQ(more[2].message, "now missing");
}

TEST(Watch, FormatChangeIsOneAlignedLine) {
  Time at = *ParseTime("2026-01-02T03:04:05.678Z");
  EXPECT_EQ(FormatChange({"validation", "Available", "True", "JobSucceeded", "all good", 1}, at),
            "03:04:05  validation/Available        True     gen 1  JobSucceeded  all good");
  EXPECT_EQ(FormatChange({"", "Reconciled", "False", "Missing", "", 12}, at),
            "03:04:05  Reconciled                  False    gen 12  Missing");
  EXPECT_EQ(FormatChange({"dns", "Health", "Unknown", "", "multi\nline", 1}, at),
            "03:04:05  dns/Health                  Unknown  gen 1  multi line");
  json j = ChangeJson({"dns", "Health", "True", "Ok", "", 1}, at);
  EXPECT_EQ(j["adapter"], "dns");
  EXPECT_EQ(j["condition"], "Health");
  EXPECT_EQ(j["time"], "2026-01-02T03:04:05.678000Z");
  EXPECT_FALSE(ChangeJson({"", "Reconciled", "True", "", "", 1}, at).contains("adapter"));
}

TEST(Watch, ReconciledOnlyAtTheCurrentGeneration) {
  EXPECT_TRUE(IsReconciled(Resource(1, "True", 1)));
  EXPECT_FALSE(IsReconciled(Resource(2, "True", 1)));
  EXPECT_FALSE(IsReconciled(Resource(1, "False", 1)));
  EXPECT_FALSE(IsReconciled(json::object()));
  EXPECT_FALSE(IsReconciled(json::array()));
}

TEST(Watch, DescribeMissingNamesTheReconciledReasonAndLaggingAdapters) {
  json resource = Resource(2, "False", 2, "Required adapters not reporting Available=True: [dns]");
  json statuses = Page({Report("validation", 2, "True"),
                        Report("dns", 2, "False", "PreconditionsNotMet", "waiting for placement"),
                        Report("placement", 1, "True"),
                        {{"adapter", "x"}, {"observed_generation", 2}}});
  EXPECT_EQ(DescribeMissing(resource, statuses),
            "Reconciled=False at generation 2 (Missing: Required adapters not reporting "
            "Available=True: [dns]); dns: Available=False at generation 2 (PreconditionsNotMet: "
            "waiting for placement); placement: Available=True at generation 1 (R); x: no "
            "Available condition at generation 2");
  EXPECT_EQ(DescribeMissing(json::object(), json::object()), "no Reconciled condition yet");
}

TEST(Watch, MalformedEntriesAreSkipped) {
  json statuses = {{"items", {1, {{"adapter", "a"}, {"conditions", {2, {{"status", "x"}}}}}}}};
  EXPECT_TRUE(TakeSnapshot(json::array(), statuses).empty());
}

}  // namespace
}  // namespace hf::cli
