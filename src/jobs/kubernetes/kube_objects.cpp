#include "jobs/kubernetes/kube_objects.hpp"

#include <algorithm>

#include "common/http_message.hpp"

namespace hf::jobs::kube {
namespace {

using nlohmann::json;

std::string Field(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

ObjectRef RefOf(const json& object) {
  if (!object.is_object()) return {};
  const json metadata = object.value("metadata", json::object());
  return {Field(object, "apiVersion"), Field(object, "kind"),
          metadata.is_object() ? Field(metadata, "namespace") : "",
          metadata.is_object() ? Field(metadata, "name") : ""};
}

std::string Describe(const ObjectRef& ref) {
  return ref.kind + " " + ref.api_version + " " +
         (ref.namespace_name.empty() ? "" : ref.namespace_name + "/") + ref.name;
}

std::string LabelSelector(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [key, value] : labels) out += (out.empty() ? "" : ",") + key + "=" + value;
  return out;
}

KubeObjects::KubeObjects(KubeClient& client) : client_(client) {}

Result<ResourceType> KubeObjects::Resolve(const std::string& api_version, const std::string& kind) {
  if (api_version.empty() || kind.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "an object needs apiVersion and kind");
  }
  for (int pass = 0; pass < 2; ++pass) {
    {
      std::lock_guard lock(mu_);
      auto cached = discovered_.find(api_version);
      if (cached != discovered_.end()) {
        auto it = std::ranges::find(cached->second, kind, &ResourceType::kind);
        if (it != cached->second.end()) return *it;
        if (pass == 0) discovered_.erase(cached);  // maybe stale: look again
      }
    }
    if (pass == 1) break;
    const std::string path =
        api_version.find('/') == std::string::npos ? "/api/" + api_version : "/apis/" + api_version;
    auto r = HF_TRY(client_.Send("GET", path));
    if (r.status == 404) {
      return Fail(ErrorCode::kInvalidArgument,
                  "the Kubernetes API server does not serve apiVersion " + api_version);
    }
    if (r.status != 200) return Fail(ApiError(r, "discover " + api_version));
    std::vector<ResourceType> types;
    for (const json& resource : r.body.value("resources", json::array())) {
      const std::string name = Field(resource, "name");
      if (name.empty() || name.find('/') != std::string::npos) continue;  // subresources
      types.push_back(
          {api_version, Field(resource, "kind"), name, resource.value("namespaced", true)});
    }
    std::lock_guard lock(mu_);
    discovered_[api_version] = std::move(types);
  }
  return Fail(ErrorCode::kInvalidArgument,
              "the Kubernetes API server has no kind " + kind + " in apiVersion " + api_version);
}

std::string KubeObjects::CollectionPath(const ResourceType& type,
                                        const std::string& namespace_name) {
  std::string path = type.api_version.find('/') == std::string::npos ? "/api/" + type.api_version
                                                                     : "/apis/" + type.api_version;
  if (type.namespaced && !namespace_name.empty()) path += "/namespaces/" + namespace_name;
  return path + "/" + type.plural;
}

Result<std::string> KubeObjects::ObjectPath(const ObjectRef& ref) {
  const ResourceType type = HF_TRY(Resolve(ref.api_version, ref.kind));
  if (ref.name.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "a " + ref.kind + " needs metadata.name");
  }
  if (type.namespaced && ref.namespace_name.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "a " + ref.kind + " is namespaced: it needs metadata.namespace");
  }
  return CollectionPath(type, ref.namespace_name) + "/" + http::UrlEncode(ref.name);
}

Result<json> KubeObjects::Apply(const json& object, const std::string& field_manager, bool force) {
  const ObjectRef ref = RefOf(object);
  json body = object;
  const ResourceType type = HF_TRY(Resolve(ref.api_version, ref.kind));
  if (!type.namespaced) body["metadata"].erase("namespace");
  const std::string path = HF_TRY(ObjectPath(ref)) +
                           "?fieldManager=" + http::UrlEncode(field_manager) +
                           "&force=" + (force ? "true" : "false");
  auto r = HF_TRY(client_.Send("PATCH", path, &body, "application/apply-patch+yaml"));
  if (r.status != 200 && r.status != 201) return Fail(ApiError(r, "apply " + Describe(ref)));
  return std::move(r.body);
}

Result<std::optional<json>> KubeObjects::Get(const ObjectRef& ref) {
  auto r = HF_TRY(client_.Send("GET", HF_TRY(ObjectPath(ref))));
  if (r.status == 404) return std::optional<json>();
  if (r.status != 200) return Fail(ApiError(r, "get " + Describe(ref)));
  return std::optional<json>(std::move(r.body));
}

Result<std::vector<json>> KubeObjects::List(const std::string& api_version, const std::string& kind,
                                            const std::string& namespace_name,
                                            const std::string& selector) {
  const ResourceType type = HF_TRY(Resolve(api_version, kind));
  auto list = HF_TRY(client_.List(CollectionPath(type, namespace_name), selector,
                                  "list " + kind + " " + api_version));
  return std::move(list.items);
}

Result<bool> KubeObjects::Delete(const ObjectRef& ref, Propagation propagation) {
  const json options = {
      {"kind", "DeleteOptions"},
      {"apiVersion", "v1"},
      {"propagationPolicy", propagation == Propagation::kForeground ? "Foreground" : "Background"}};
  auto r = HF_TRY(client_.Send("DELETE", HF_TRY(ObjectPath(ref)), &options));
  if (r.status == 404) return false;
  if (r.status != 200 && r.status != 202) return Fail(ApiError(r, "delete " + Describe(ref)));
  return true;
}

}  // namespace hf::jobs::kube
