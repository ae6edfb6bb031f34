#include "adapter/kubernetes_resources.hpp"

#include <algorithm>
#include <set>

#include "jobs/kubernetes/job_object.hpp"

namespace hf::adapter {
namespace {

using nlohmann::json;
namespace kube = jobs::kube;

// `error` with "resources.<name>: " in front of its message.
Error Named(const std::string& name, Error error) {
  error.message = "resources." + name + ": " + error.message;
  return error;
}

}  // namespace

Result<std::unique_ptr<KubernetesResources>> KubernetesResources::Open(
    const AdapterConfig& config) {
  auto connection = kube::ResolveConnection(config.kubernetes.kubeconfig);
  if (!connection) {
    return Fail(ErrorCode::kInvalidArgument,
                "kubernetes (for resources): " + connection.error().message);
  }
  return std::unique_ptr<KubernetesResources>(
      new KubernetesResources(config, std::move(*connection)));
}

KubernetesResources::KubernetesResources(const AdapterConfig& config,
                                         kube::KubeConnection connection)
    : adapter_(config.name),
      field_manager_("hyperfleet-" + config.name),
      default_namespace_(!config.kubernetes.namespace_name.empty()
                             ? config.kubernetes.namespace_name
                         : !connection.default_namespace.empty() ? connection.default_namespace
                                                                 : "default"),
      client_(std::move(connection)),
      objects_(client_) {
  for (const auto& r : config.resources) {
    std::pair kind{r.manifest.api_version(), r.manifest.kind()};
    if (std::ranges::find(kinds_, kind) == kinds_.end()) kinds_.push_back(std::move(kind));
  }
}

Result<std::string> KubernetesResources::NamespaceFor(const std::string& api_version,
                                                      const std::string& kind,
                                                      const std::string& ns) {
  const kube::ResourceType type = HF_TRY(objects_.Resolve(api_version, kind));
  if (!type.namespaced) return std::string();
  return ns.empty() ? default_namespace_ : ns;
}

Result<void> KubernetesResources::Apply(const std::vector<RenderedResource>& resources) {
  for (const auto& r : resources) {
    json manifest = r.manifest;
    const kube::ObjectRef ref = kube::RefOf(manifest);
    auto ns = NamespaceFor(ref.api_version, ref.kind, ref.namespace_name);
    if (!ns) return Fail(Named(r.name, ns.error()));
    if (!ns->empty()) manifest["metadata"]["namespace"] = *ns;
    if (auto applied = objects_.Apply(manifest, field_manager_); !applied) {
      return Fail(Named(r.name, applied.error()));
    }
  }
  return {};
}

Result<json> KubernetesResources::Discover(const std::vector<RenderedResource>& resources) {
  json out = json::object();
  for (const auto& r : resources) {
    const kube::ObjectRef ref = kube::RefOf(r.manifest);
    auto ns = NamespaceFor(ref.api_version, ref.kind, r.namespace_name);
    if (!ns) return Fail(Named(r.name, ns.error()));
    if (r.by_selector.empty()) {
      auto found = objects_.Get({ref.api_version, ref.kind, *ns, r.by_name});
      if (!found) return Fail(Named(r.name, found.error()));
      out[r.name] = *found ? std::move(**found) : json();
      continue;
    }
    auto list = objects_.List(ref.api_version, ref.kind, *ns, kube::LabelSelector(r.by_selector));
    if (!list) return Fail(Named(r.name, list.error()));
    std::ranges::sort(*list, {}, [](const json& o) { return o["metadata"].value("name", ""); });
    out[r.name] = list->empty() ? json() : std::move(list->front());
  }
  return out;
}

Result<std::vector<std::string>> KubernetesResources::Delete(const std::string& resource_id) {
  const std::string selector =
      kube::LabelSelector({{std::string(kube::kAdapterLabel), adapter_},
                           {std::string(kube::kOwnerIdLabel), kube::KubeLabelValue(resource_id)}});
  std::vector<std::string> remaining;
  for (auto it = kinds_.rbegin(); it != kinds_.rend(); ++it) {
    const auto& [api_version, kind] = *it;
    auto objects = HF_TRY(objects_.List(api_version, kind, "", selector));
    for (const json& object : objects) {
      const kube::ObjectRef ref = kube::RefOf(object);
      const bool deleting = object["metadata"].contains("deletionTimestamp");
      remaining.push_back(kube::Describe(ref) + (deleting ? " (deleting)" : ""));
      if (!deleting) HF_CHECK(objects_.Delete(ref, kube::Propagation::kForeground));
    }
  }
  return remaining;
}

}  // namespace hf::adapter
