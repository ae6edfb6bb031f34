// Who may send a status report under which adapter name (auth on): the rule behind the 403 that
// stops one adapter's token from forging another adapter's reports.
#include "api/access_policy.hpp"

#include <gtest/gtest.h>

namespace hf::api {
namespace {

auth::Principal Adapter(std::string name) {
  return {.identity = "system:serviceaccount:hyperfleet:hyperfleet-adapter-" + name,
          .role = auth::Role::kAdapter,
          .adapter = name,
          .issuer = "https://kubernetes.default.svc.cluster.local",
          .expires = {}};
}

TEST(DenyReport, AnAdapterReportsOnlyUnderItsOwnName) {
  EXPECT_FALSE(DenyReport(Adapter("dns"), "dns"));
  auto forged = DenyReport(Adapter("dns"), "validation");
  ASSERT_TRUE(forged);
  EXPECT_EQ(*forged,
            "the token of 'system:serviceaccount:hyperfleet:hyperfleet-adapter-dns' may report "
            "statuses only for adapter 'dns', not 'validation'");
}

TEST(DenyReport, AnAdapterTokenWithoutAnAdapterNameMayNotReport) {
  auto nameless = Adapter("");
  nameless.identity = "system:serviceaccount:hyperfleet:hyperfleet";
  auto denied = DenyReport(nameless, "");
  ASSERT_TRUE(denied);  // even under the empty name
  EXPECT_EQ(*denied,
            "the adapter token of 'system:serviceaccount:hyperfleet:hyperfleet' names no adapter, "
            "so it may not report statuses: give its issuer "
            "(https://kubernetes.default.svc.cluster.local) an adapter_name_claim (and "
            "adapter_name_pattern) that yields the adapter's name");
  EXPECT_TRUE(DenyReport(nameless, "dns"));
}

TEST(DenyReport, AnAdminMayReportUnderAnyName) {
  auth::Principal admin = Adapter("");
  admin.identity = "admin@example.com";
  admin.role = auth::Role::kAdmin;
  EXPECT_FALSE(DenyReport(admin, "dns"));
  admin.adapter = "validation";  // an admin token that also names an adapter is still an admin
  EXPECT_FALSE(DenyReport(admin, "dns"));
}

}  // namespace
}  // namespace hf::api
