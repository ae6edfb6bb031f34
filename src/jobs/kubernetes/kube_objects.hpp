#pragma once

// Any Kubernetes object, by apiVersion and kind: discovery (which resource path serves a kind),
// server-side apply, get, list by label selector and delete with propagation, over a KubeClient.

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "jobs/kubernetes/kube_client.hpp"

namespace hf::jobs::kube {

// The HyperFleet resource (a cluster's or nodepool's id, as KubeLabelValue) an adapter's object
// belongs to; with hyperfleet.io/adapter it finds every object of one adapter for one resource.
inline constexpr std::string_view kOwnerIdLabel = "hyperfleet.io/resource-id";

// Where the objects of one kind live, as discovery tells.
struct ResourceType {
  std::string api_version;  // "v1", "apps/v1"
  std::string kind;         // "ConfigMap"
  std::string plural;       // "configmaps"
  bool namespaced = true;
};

// The identity of one object.
struct ObjectRef {
  std::string api_version;
  std::string kind;
  std::string namespace_name;  // ignored for cluster-scoped kinds
  std::string name;
};

// The apiVersion, kind, metadata.namespace and metadata.name of an object ("" when absent).
ObjectRef RefOf(const nlohmann::json& object);
// "Deployment apps/v1 ns/name" (or "Namespace v1 name"), for messages.
std::string Describe(const ObjectRef& ref);

// What happens to an object's dependents (those whose ownerReferences name it) when it is
// deleted (DeleteOptions.propagationPolicy).
enum class Propagation {
  kBackground,  // the object goes now, its dependents later
  kForeground,  // the object stays (deletionTimestamp set) until its dependents are gone
};

// A label selector from exact matches: {"a": "x", "b": "y"} → "a=x,b=y".
std::string LabelSelector(const std::map<std::string, std::string>& labels);

// Thread-safe. Errors are KubeClient's (transport: kUnavailable/kDeadlineExceeded) or ApiError's
// (the API server's answer and message), plus kInvalidArgument for a kind the server does not
// serve or an object without the identity its kind needs.
class KubeObjects {
 public:
  explicit KubeObjects(KubeClient& client);  // borrows `client`, which must outlive this

  // The resource serving `kind` in `api_version`, from GET /api/v1 or /apis/{group}/{version}
  // (cached; a kind missing from the cached list is looked up once more, as a CRD may have just
  // been installed).
  Result<ResourceType> Resolve(const std::string& api_version, const std::string& kind);

  // Server-side apply (PATCH application/apply-patch+yaml ?fieldManager=&force=): creates or
  // updates `object` (apiVersion, kind, metadata.name, and metadata.namespace when namespaced),
  // the manager owning the fields it sets. Returns the object as stored. A field another
  // manager owns with another value is kConflict (unless `force`).
  Result<nlohmann::json> Apply(const nlohmann::json& object, const std::string& field_manager,
                               bool force = false);
  // The object, or nullopt when it does not exist.
  Result<std::optional<nlohmann::json>> Get(const ObjectRef& ref);
  // The objects of a kind in `namespace_name` ("" for cluster-scoped kinds, or every namespace)
  // matching `selector` (label-selector text), all pages of them.
  Result<std::vector<nlohmann::json>> List(const std::string& api_version, const std::string& kind,
                                           const std::string& namespace_name,
                                           const std::string& selector);
  // Deletes the object; false when it was already gone.
  Result<bool> Delete(const ObjectRef& ref, Propagation propagation);

 private:
  // The collection path of `type` in `namespace_name` ("" for cluster-scoped or all).
  static std::string CollectionPath(const ResourceType& type, const std::string& namespace_name);
  Result<std::string> ObjectPath(const ObjectRef& ref);

  KubeClient& client_;
  std::mutex mu_;                                                // guards discovered_
  std::map<std::string, std::vector<ResourceType>> discovered_;  // by apiVersion
};

}  // namespace hf::jobs::kube
