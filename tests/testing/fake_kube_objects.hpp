#pragma once

// The generic-object half of the fake Kubernetes API server (FakeKubeApi serves batch/v1 Jobs and
// Pods itself and hands every other path to this): objects of a registered set of kinds at their
// real paths, core (/api/v1) and named groups (/apis/{group}/{version}), namespaced and
// cluster-scoped. It follows the real API server where an adapter managing objects depends on it:
//   - discovery: GET /api, /apis, /api/v1, /apis/{group}/{version} (APIResourceList: name,
//     singularName, kind, namespaced, verbs); an unknown group/version or resource is a 404;
//   - GET an object; LIST a collection (one namespace, or all namespaces for a namespaced kind at
//     its cluster path) sorted by namespace/name, with labelSelector (k=v, k==v, k!=v, k, !k,
//     k in (a,b), k notin (a,b); a malformed one is a 400) and limit/continue;
//   - POST (create, 409 AlreadyExists), PUT (update; metadata.resourceVersion is required and a
//     stale one is a 409 Conflict), names checked (422 Invalid);
//   - server-side apply: PATCH with Content-Type application/apply-patch+yaml (the body YAML or
//     JSON), ?fieldManager= (required) and ?force=: creates the object when absent; the manager
//     owns every field it applies (metadata.managedFields, one Apply entry per manager, FieldsV1);
//     a field another manager owns with a different value is a 409 Conflict naming the manager
//     and the field, unless force=true (the field moves to this manager); fields this manager
//     applied before and no longer applies are removed unless another manager owns them;
//   - metadata.resourceVersion (one counter for all objects) bumped on every write; uid,
//     creationTimestamp, and generation (1, then +1 when anything but metadata and status
//     changes);
//   - namespaced objects need their Namespace (404 without it, 403 Forbidden while it is
//     terminating); "default", "kube-system" and "kube-public" exist from the start;
//   - DELETE with DeleteOptions (body) or ?propagationPolicy=: Background (the default: the
//     object goes now, its dependents — objects whose ownerReferences name its uid — are
//     collected later), Foreground (deletionTimestamp and the foregroundDeletion finalizer until
//     its dependents are gone), Orphan (its dependents lose the owner reference); an object with
//     metadata.finalizers stays, with deletionTimestamp, until they are removed (a test hook, or
//     an update that drops them); a Namespace goes Terminating (status.phase, spec.finalizers
//     [kubernetes]) until every object in it is gone;
//   - garbage collection is asynchronous: it runs before each request is handled (so a DELETE's
//     answer still shows what it will remove) unless paused by a test hook.
// It does not model: watches of these kinds, the status subresource over HTTP (status changes
// only through SetStatus; apply and PUT ignore `status`), merge keys of lists (every list is
// atomic: owned and replaced whole), JSON/merge/strategic patches (415), Update entries for
// non-apply writes beyond "the writer owns what it changed", dry-run, field validation, defaulting,
// admission, RBAC, resourceVersion on GET/LIST (always the latest), and expiry of continue tokens.

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace hf::testing {

class FakeKubeObjects {
 public:
  // One kind the server knows (what discovery lists).
  struct Kind {
    std::string group;  // "" for core
    std::string version;
    std::string kind;
    std::string plural;
    bool namespaced = true;
    bool handled = true;  // false: listed in discovery, served elsewhere (Jobs, Pods)
  };
  struct Reply {
    int status = 200;
    nlohmann::json body;
  };

  // Registers Namespace, ConfigMap, Secret, ServiceAccount, Service, apps/v1 Deployment (and
  // batch/v1 Job and v1 Pod for discovery only) and creates the default namespaces.
  FakeKubeObjects();

  // Serves one request (`path` without the query, `query` decoded). Thread-safe.
  Reply Handle(const std::string& method, const std::string& path,
               const std::map<std::string, std::string>& query, const std::string& content_type,
               const std::string& body);

  // Test hooks. `api_version` is "v1" or "group/version"; `ns` is "" for cluster-scoped kinds.
  // Each returns false when there is no such object.
  void AddKind(const Kind& kind);
  std::optional<nlohmann::json> Get(const std::string& api_version, const std::string& kind,
                                    const std::string& ns, const std::string& name) const;
  // Replaces the object's status (e.g. a Deployment's readyReplicas), as its controller would.
  bool SetStatus(const std::string& api_version, const std::string& kind, const std::string& ns,
                 const std::string& name, const nlohmann::json& status);
  // Removes metadata.finalizers (as their controller would); a deleting object then goes.
  bool RemoveFinalizers(const std::string& api_version, const std::string& kind,
                        const std::string& ns, const std::string& name);
  // While paused, deletions wait for garbage collection (dependents stay, a Terminating
  // namespace keeps its objects, foreground owners keep their finalizer).
  void PauseGarbageCollector(bool paused);
  size_t Count() const;  // objects stored, the default namespaces included

 private:
  struct Stored {
    nlohmann::json object;
    // Per field manager: the JSON pointers of the leaf fields it owns.
    std::map<std::string, std::set<std::string>> owned;
  };
  using Key = std::tuple<std::string, std::string, std::string>;  // (group/plural, ns, name)

  const Kind* FindKind(const std::string& group, const std::string& version,
                       const std::string& plural) const;
  const Kind* FindKindByName(const std::string& api_version, const std::string& kind) const;
  Reply Discovery(const std::vector<std::string>& parts) const;
  Reply List(const Kind& kind, const std::string& ns,
             const std::map<std::string, std::string>& query) const;
  Reply Create(const Kind& kind, const std::string& ns, const nlohmann::json& object);
  Reply Update(const Kind& kind, const std::string& ns, const std::string& name,
               const nlohmann::json& object);
  Reply Apply(const Kind& kind, const std::string& ns, const std::string& name,
              const nlohmann::json& config, const std::string& manager, bool force);
  Reply Delete(const Kind& kind, const std::string& ns, const std::string& name,
               std::string policy);
  // A namespaced object's namespace must exist and not be terminating; nullopt when fine.
  std::optional<Reply> CheckNamespace(const Kind& kind, const std::string& ns) const;
  // Deletes `key` (Background or Foreground) as DELETE does; mu_ held.
  void DeleteObject(const Key& key, const std::string& policy);
  // After a write: a deleting object without finalizers goes. mu_ held.
  void Settle(const Key& key);
  void CollectGarbage();                      // mu_ held
  std::string Stamp(nlohmann::json& object);  // a new resourceVersion on `object`; mu_ held
  static Key KeyOf(const Kind& kind, const std::string& ns, const std::string& name);

  mutable std::mutex mu_;  // guards everything below
  std::vector<Kind> kinds_;
  std::map<Key, Stored> objects_;
  int64_t rv_ = 1;
  int64_t uid_ = 0;
  bool gc_paused_ = false;
};

}  // namespace hf::testing
