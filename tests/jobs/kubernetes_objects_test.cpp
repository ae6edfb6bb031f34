// KubeObjects (discovery, server-side apply, get, list, delete) against the fake API server's
// generic objects (tests/testing/fake_kube_objects.hpp), which behave as the real server does
// where an adapter depends on it: field managers and conflicts, set-based selectors, pagination,
// resourceVersion conflicts, foreground/background deletion and finalizers.
#include <gtest/gtest.h>

#include "jobs/kubernetes/kube_objects.hpp"
#include "testing/fake_kube_api.hpp"

namespace hf::jobs::kube {
namespace {

using nlohmann::json;

class KubeObjectsTest : public ::testing::Test {
 protected:
  KubeObjectsTest() : client_(Connection(fake_.url())), objects_(client_) {}

  static KubeConnection Connection(const std::string& server) {
    KubeConnection c;
    c.server = server;
    c.token = "test-token";
    return c;
  }

  static json ConfigMap(const std::string& name, json data, json labels = json::object()) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", labels}}},
            {"data", data}};
  }

  hf::testing::FakeKubeApi fake_;
  KubeClient client_;
  KubeObjects objects_;
};

TEST_F(KubeObjectsTest, DiscoveryMapsKindsToResources) {
  auto cm = objects_.Resolve("v1", "ConfigMap");
  ASSERT_TRUE(cm) << cm.error().ToString();
  EXPECT_EQ(cm->plural, "configmaps");
  EXPECT_TRUE(cm->namespaced);
  auto ns = objects_.Resolve("v1", "Namespace");
  ASSERT_TRUE(ns);
  EXPECT_FALSE(ns->namespaced);
  auto deployment = objects_.Resolve("apps/v1", "Deployment");
  ASSERT_TRUE(deployment);
  EXPECT_EQ(deployment->plural, "deployments");
  // Cached: a second lookup does not ask again.
  const size_t requests = fake_.Requests().size();
  ASSERT_TRUE(objects_.Resolve("apps/v1", "Deployment"));
  EXPECT_EQ(fake_.Requests().size(), requests);

  auto unknown_kind = objects_.Resolve("v1", "Gadget");
  ASSERT_FALSE(unknown_kind);
  EXPECT_EQ(unknown_kind.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown_kind.error().message.find("no kind Gadget"), std::string::npos);
  auto unknown_group = objects_.Resolve("example.com/v1", "Widget");
  ASSERT_FALSE(unknown_group);
  EXPECT_NE(unknown_group.error().message.find("does not serve apiVersion example.com/v1"),
            std::string::npos);
  // A kind registered later (a CRD installed) is found: a miss looks again.
  fake_.objects().AddKind({"", "v1", "Gadget", "gadgets", true});
  EXPECT_TRUE(objects_.Resolve("v1", "Gadget"));
}

TEST_F(KubeObjectsTest, ApplyCreatesThenUpdatesAndRemovesWhatItNoLongerApplies) {
  auto created = objects_.Apply(ConfigMap("cfg", {{"a", "1"}, {"b", "2"}}), "hyperfleet-x");
  ASSERT_TRUE(created) << created.error().ToString();
  const std::string rv = (*created)["metadata"]["resourceVersion"];
  EXPECT_EQ((*created)["metadata"]["managedFields"][0]["manager"], "hyperfleet-x");
  EXPECT_EQ((*created)["metadata"]["managedFields"][0]["operation"], "Apply");
  EXPECT_TRUE((*created)["metadata"]["managedFields"][0]["fieldsV1"]["f:data"].contains("f:a"));

  auto updated = objects_.Apply(ConfigMap("cfg", {{"a", "3"}}), "hyperfleet-x");
  ASSERT_TRUE(updated) << updated.error().ToString();
  EXPECT_EQ((*updated)["data"], json({{"a", "3"}}));  // b was ours and is no longer applied
  EXPECT_NE((*updated)["metadata"]["resourceVersion"], rv);

  // The same configuration again writes nothing.
  auto same = objects_.Apply(ConfigMap("cfg", {{"a", "3"}}), "hyperfleet-x");
  ASSERT_TRUE(same);
  EXPECT_EQ((*same)["metadata"]["resourceVersion"], (*updated)["metadata"]["resourceVersion"]);
}

TEST_F(KubeObjectsTest, ApplyConflictsWithAnotherManagersFieldUnlessForced) {
  ASSERT_TRUE(objects_.Apply(ConfigMap("cfg", {{"a", "1"}, {"b", "2"}}), "kubectl"));
  auto conflict = objects_.Apply(ConfigMap("cfg", {{"a", "9"}}), "hyperfleet-x");
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
  EXPECT_NE(conflict.error().message.find("conflict with \"kubectl\": .data.a"), std::string::npos)
      << conflict.error().message;
  // The same value is shared, not a conflict.
  EXPECT_TRUE(objects_.Apply(ConfigMap("cfg", {{"b", "2"}}), "hyperfleet-x"));
  // Forced, the field moves to us; kubectl's other field stays.
  auto forced = objects_.Apply(ConfigMap("cfg", {{"a", "9"}, {"b", "2"}}), "hyperfleet-x", true);
  ASSERT_TRUE(forced) << forced.error().ToString();
  EXPECT_EQ((*forced)["data"], json({{"a", "9"}, {"b", "2"}}));
  // b is still shared with kubectl: dropping it from our apply keeps it.
  auto dropped = objects_.Apply(ConfigMap("cfg", {{"a", "9"}}), "hyperfleet-x");
  ASSERT_TRUE(dropped);
  EXPECT_EQ((*dropped)["data"]["b"], "2");
}

TEST_F(KubeObjectsTest, ApplyIntoAMissingNamespaceIsNotFound) {
  json cm = ConfigMap("cfg", {{"a", "1"}});
  cm["metadata"]["namespace"] = "nowhere";
  auto r = objects_.Apply(cm, "m");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("namespaces \"nowhere\" not found"), std::string::npos);
  cm["metadata"]["namespace"] = "";
  EXPECT_EQ(objects_.Apply(cm, "m").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(KubeObjectsTest, ListSelectsWithSetBasedOperatorsAndPaginates) {
  for (int i = 0; i < 7; ++i) {
    json labels = {{"tier", i % 2 ? "web" : "db"}};
    if (i < 3) labels["canary"] = "yes";
    ASSERT_TRUE(objects_.Apply(ConfigMap("cm-" + std::to_string(i), {{"i", "x"}}, labels), "m"));
  }
  auto count = [&](const std::string& selector) {
    auto list = objects_.List("v1", "ConfigMap", "default", selector);
    EXPECT_TRUE(list) << list.error().ToString();
    return list ? list->size() : size_t{999};
  };
  EXPECT_EQ(count(""), 7u);
  EXPECT_EQ(count("tier=web"), 3u);
  EXPECT_EQ(count("tier in (web, db)"), 7u);
  EXPECT_EQ(count("tier notin (web)"), 4u);
  EXPECT_EQ(count("canary"), 3u);
  EXPECT_EQ(count("!canary"), 4u);
  EXPECT_EQ(count("!canary,tier=db"), 2u);
  EXPECT_EQ(count("tier!=db,canary"), 1u);

  // Pages: the raw API answers `limit` items and a continue token.
  auto page = client_.Send("GET", "/api/v1/namespaces/default/configmaps?limit=3");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->body["items"].size(), 3u);
  const std::string token = page->body["metadata"]["continue"];
  auto rest =
      client_.Send("GET", "/api/v1/namespaces/default/configmaps?limit=5&continue=" + token);
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->body["items"].size(), 4u);
  EXPECT_FALSE(rest->body["metadata"].contains("continue"));
  auto bad = client_.Send("GET", "/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(KubeObjectsTest, UpdateWithAStaleResourceVersionIsAConflict) {
  auto created = objects_.Apply(ConfigMap("cfg", {{"a", "1"}}), "m");
  ASSERT_TRUE(created);
  json stale = *created;
  ASSERT_TRUE(objects_.Apply(ConfigMap("cfg", {{"a", "2"}}), "m"));
  stale["data"]["a"] = "3";
  auto put = client_.Send("PUT", "/api/v1/namespaces/default/configmaps/cfg", &stale);
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 409);
  EXPECT_EQ(ApiError(*put, "put").code, ErrorCode::kConflict);
  auto current = objects_.Get({"v1", "ConfigMap", "default", "cfg"});
  ASSERT_TRUE(current && *current);
  (**current)["data"]["a"] = "4";
  auto fresh = client_.Send("PUT", "/api/v1/namespaces/default/configmaps/cfg", &**current);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, 200);
  EXPECT_EQ(fresh->body["data"]["a"], "4");
}

TEST_F(KubeObjectsTest, ForegroundDeletionWaitsForDependentsAndFinalizers) {
  auto owner = objects_.Apply(ConfigMap("owner", {{"a", "1"}}), "m");
  ASSERT_TRUE(owner);
  json dependent = ConfigMap("dependent", {{"b", "1"}});
  dependent["metadata"]["ownerReferences"] = {{{"apiVersion", "v1"},
                                               {"kind", "ConfigMap"},
                                               {"name", "owner"},
                                               {"uid", (*owner)["metadata"]["uid"]}}};
  dependent["metadata"]["finalizers"] = {"example.com/hold"};
  ASSERT_TRUE(objects_.Apply(dependent, "m"));

  auto deleted = objects_.Delete({"v1", "ConfigMap", "default", "owner"}, Propagation::kForeground);
  ASSERT_TRUE(deleted && *deleted);
  // The owner waits for its dependent, which waits for its finalizer.
  for (const char* name : {"owner", "dependent"}) {
    auto got = objects_.Get({"v1", "ConfigMap", "default", name});
    ASSERT_TRUE(got && *got) << name;
    EXPECT_TRUE((**got)["metadata"].contains("deletionTimestamp")) << name;
  }
  ASSERT_TRUE(fake_.objects().RemoveFinalizers("v1", "ConfigMap", "default", "dependent"));
  for (const char* name : {"owner", "dependent"}) {
    auto got = objects_.Get({"v1", "ConfigMap", "default", name});
    ASSERT_TRUE(got);
    EXPECT_FALSE(*got) << name;
  }
  auto again = objects_.Delete({"v1", "ConfigMap", "default", "owner"}, Propagation::kForeground);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

TEST_F(KubeObjectsTest, BackgroundDeletionCollectsDependentsAfterwards) {
  auto owner = objects_.Apply(ConfigMap("owner", {{"a", "1"}}), "m");
  ASSERT_TRUE(owner);
  json dependent = ConfigMap("dependent", {{"b", "1"}});
  dependent["metadata"]["ownerReferences"] = {{{"apiVersion", "v1"},
                                               {"kind", "ConfigMap"},
                                               {"name", "owner"},
                                               {"uid", (*owner)["metadata"]["uid"]}}};
  ASSERT_TRUE(objects_.Apply(dependent, "m"));
  fake_.objects().PauseGarbageCollector(true);
  ASSERT_TRUE(objects_.Delete({"v1", "ConfigMap", "default", "owner"}, Propagation::kBackground));
  EXPECT_FALSE(*objects_.Get({"v1", "ConfigMap", "default", "owner"}));
  EXPECT_TRUE(*objects_.Get({"v1", "ConfigMap", "default", "dependent"}));  // not yet collected
  fake_.objects().PauseGarbageCollector(false);
  EXPECT_FALSE(*objects_.Get({"v1", "ConfigMap", "default", "dependent"}));
}

TEST_F(KubeObjectsTest, ANamespaceTerminatesUntilItsObjectsAreGone) {
  const json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "team"}}}};
  auto created = objects_.Apply(ns, "m");
  ASSERT_TRUE(created) << created.error().ToString();
  EXPECT_EQ((*created)["status"]["phase"], "Active");
  json cm = ConfigMap("held", {{"a", "1"}});
  cm["metadata"]["namespace"] = "team";
  cm["metadata"]["finalizers"] = {"example.com/hold"};
  ASSERT_TRUE(objects_.Apply(cm, "m"));

  ASSERT_TRUE(objects_.Delete({"v1", "Namespace", "", "team"}, Propagation::kBackground));
  auto terminating = objects_.Get({"v1", "Namespace", "", "team"});
  ASSERT_TRUE(terminating && *terminating);
  EXPECT_EQ((**terminating)["status"]["phase"], "Terminating");
  cm["metadata"]["name"] = "new";
  auto refused = objects_.Apply(cm, "m");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("being terminated"), std::string::npos);

  ASSERT_TRUE(fake_.objects().RemoveFinalizers("v1", "ConfigMap", "team", "held"));
  EXPECT_FALSE(*objects_.Get({"v1", "Namespace", "", "team"}));
}

TEST_F(KubeObjectsTest, TheRawApiAnswersAsTheRealOneDoes) {
  auto groups = client_.Send("GET", "/apis");
  ASSERT_TRUE(groups);
  EXPECT_EQ(groups->body["kind"], "APIGroupList");
  EXPECT_EQ(groups->body["groups"][0]["name"], "apps");
  auto merge = client_.Send("PATCH", "/api/v1/namespaces/default/configmaps/x", nullptr,
                            "application/merge-patch+json");
  ASSERT_TRUE(merge);
  EXPECT_EQ(merge->status, 415);
  json no_manager = ConfigMap("x", {{"a", "1"}});
  auto apply = client_.Send("PATCH", "/api/v1/namespaces/default/configmaps/x", &no_manager,
                            "application/apply-patch+yaml");
  ASSERT_TRUE(apply);
  EXPECT_EQ(apply->status, 400) << "fieldManager is required";
  ASSERT_TRUE(objects_.Apply(no_manager, "m"));
  json without_rv = ConfigMap("x", {{"a", "2"}});
  auto put = client_.Send("PUT", "/api/v1/namespaces/default/configmaps/x", &without_rv);
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 422) << "an update needs metadata.resourceVersion";
  auto bad_name = objects_.Apply(ConfigMap("Not_Valid", {}), "m");
  ASSERT_FALSE(bad_name);
  EXPECT_EQ(bad_name.error().code, ErrorCode::kUnprocessable);
}

TEST_F(KubeObjectsTest, OrphanDeletionKeepsTheDependents) {
  auto owner = objects_.Apply(ConfigMap("owner", {{"a", "1"}}), "m");
  ASSERT_TRUE(owner);
  json dependent = ConfigMap("dependent", {{"b", "1"}});
  dependent["metadata"]["ownerReferences"] = {{{"apiVersion", "v1"},
                                               {"kind", "ConfigMap"},
                                               {"name", "owner"},
                                               {"uid", (*owner)["metadata"]["uid"]}}};
  ASSERT_TRUE(objects_.Apply(dependent, "m"));
  const json options = {{"propagationPolicy", "Orphan"}};
  auto deleted = client_.Send("DELETE", "/api/v1/namespaces/default/configmaps/owner", &options);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 200);
  auto kept = objects_.Get({"v1", "ConfigMap", "default", "dependent"});
  ASSERT_TRUE(kept && *kept);
  EXPECT_FALSE((**kept)["metadata"].contains("ownerReferences"));
}

}  // namespace
}  // namespace hf::jobs::kube
