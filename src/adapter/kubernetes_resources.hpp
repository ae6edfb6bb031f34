#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapter/adapter_config.hpp"
#include "adapter/decision.hpp"
#include "common/result.hpp"
#include "jobs/kubernetes/kube_client.hpp"
#include "jobs/kubernetes/kube_objects.hpp"

namespace hf::adapter {

// The Kubernetes objects of one adapter (config.resources) on its API server: applies them with
// server-side apply as field manager hyperfleet-<adapter>, finds them again, and deletes them
// when their cluster goes. Thread-safe.
class KubernetesResources {
 public:
  // Connects as config.kubernetes says. Errors: kInvalidArgument (no usable Kubernetes config).
  static Result<std::unique_ptr<KubernetesResources>> Open(const AdapterConfig& config);

  // Applies `resources` in order and stops at the first failure: an error
  // "resources.<name>: <the API server's message>" with the API error's code (transient ones
  // are worth retrying). A namespaced object without metadata.namespace goes to the default
  // namespace.
  Result<void> Apply(const std::vector<RenderedResource>& resources);

  // Finds each resource as its discovery says: {name: the object (status included), or null
  // when there is none}. Errors: the API's (transient or not), naming the resource.
  Result<nlohmann::json> Discover(const std::vector<RenderedResource>& resources);

  // Deletes every object this adapter applied for `resource_id` (found by its labels, each kind
  // of config.resources in reverse order, foreground propagation) and returns the objects that
  // still existed when looked for ("Namespace v1 cluster-abc (deleting)"): empty when every one
  // is gone. Errors: the API's.
  Result<std::vector<std::string>> Delete(const std::string& resource_id);

  const std::string& field_manager() const { return field_manager_; }

 private:
  KubernetesResources(const AdapterConfig& config, jobs::kube::KubeConnection connection);
  // `ns`, or the default namespace for a namespaced kind when empty; "" for cluster-scoped.
  Result<std::string> NamespaceFor(const std::string& api_version, const std::string& kind,
                                   const std::string& ns);

  const std::string adapter_;
  const std::string field_manager_;
  std::vector<std::pair<std::string, std::string>> kinds_;  // (apiVersion, kind) in config order
  std::string default_namespace_;
  jobs::kube::KubeClient client_;
  jobs::kube::KubeObjects objects_;
};

}  // namespace hf::adapter
