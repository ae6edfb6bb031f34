// The server-side search filters of a poll.
#include "ticker/queries.hpp"

#include <gtest/gtest.h>

namespace hf::ticker {
namespace {

TEST(Queries, SelectorTermsAreSortedAndQuoted) {
  EXPECT_EQ(SelectorSearch({}), "");
  EXPECT_EQ(SelectorSearch({{"region", "eu"}, {"env", "prod"}}),
            "labels.env='prod' and labels.region='eu'");
  EXPECT_EQ(SelectorSearch({{"team", "o'brien"}}), "labels.team='o''brien'");
}

TEST(Queries, NotReconciled) {
  EXPECT_EQ(NotReconciledSearch({}), "status.conditions.Reconciled='False'");
  EXPECT_EQ(NotReconciledSearch({{"shard", "1"}}),
            "status.conditions.Reconciled='False' and labels.shard='1'");
}

TEST(Queries, StaleUsesTheCutoffInUtc) {
  const Time cutoff = *ParseTime("2026-03-01T11:30:00Z");
  EXPECT_EQ(StaleSearch({}, cutoff),
            "status.conditions.Reconciled='True' and "
            "status.conditions.Reconciled.last_updated_time < '2026-03-01T11:30:00.000000Z'");
  EXPECT_EQ(StaleSearch({{"shard", "1"}}, cutoff),
            "status.conditions.Reconciled='True' and "
            "status.conditions.Reconciled.last_updated_time < '2026-03-01T11:30:00.000000Z' and "
            "labels.shard='1'");
}

}  // namespace
}  // namespace hf::ticker
