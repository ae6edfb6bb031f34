#include "jobs/kubernetes/kube_config.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "common/base64.hpp"
#include "common/file.hpp"

namespace hf::jobs::kube {
namespace {

namespace fs = std::filesystem;

std::unexpected<Error> Bad(const std::string& source, const std::string& why) {
  return Fail(ErrorCode::kInvalidArgument, source + ": " + why);
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

std::string Scalar(const YAML::Node& map, const char* key) {
  if (!map || !map.IsMap()) return {};
  const YAML::Node n = map[key];
  return n && n.IsScalar() ? n.Scalar() : std::string();
}

// The entry of a kubeconfig list (clusters, users, contexts) named `name`: its inner `field`
// mapping, or an undefined node.
YAML::Node Named(const YAML::Node& root, const char* list, const char* field,
                 const std::string& name) {
  const YAML::Node items = root[list];
  if (!items || !items.IsSequence()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& item : items) {
    if (item.IsMap() && Scalar(item, "name") == name) {
      const YAML::Node inner = item[field];
      return inner ? inner : YAML::Node(YAML::NodeType::Map);
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

// Reads `<key>-data` (base64) or `<key>` (a path) into data / file.
Result<void> PemField(const YAML::Node& map, const std::string& key, const std::string& base_dir,
                      const std::string& where, std::string* data, std::string* file) {
  const std::string encoded = Scalar(map, (key + "-data").c_str());
  if (!encoded.empty()) {
    auto decoded = Base64Decode(encoded);
    if (!decoded || decoded->empty()) return Bad(where, key + "-data is not valid base64");
    *data = std::move(*decoded);
    return {};
  }
  const std::string path = Scalar(map, key.c_str());
  if (!path.empty()) {
    *file = Resolve(base_dir, path);
    if (!fs::exists(*file)) return Bad(where, key + " '" + *file + "' does not exist");
  }
  return {};
}

Result<KubeConnection> Parse(const YAML::Node& root, const std::string& base_dir,
                             const std::string& source) {
  if (!root.IsMap()) return Bad(source, "not a kubeconfig (expected a mapping)");
  const std::string context_name = Scalar(root, "current-context");
  if (context_name.empty()) return Bad(source, "current-context is not set");
  const YAML::Node context = Named(root, "contexts", "context", context_name);
  if (!context) return Bad(source, "context '" + context_name + "' is not in contexts");
  const std::string cluster_name = Scalar(context, "cluster");
  const std::string user_name = Scalar(context, "user");
  const YAML::Node cluster = Named(root, "clusters", "cluster", cluster_name);
  if (!cluster) {
    return Bad(source, "cluster '" + cluster_name + "' of context '" + context_name +
                           "' is not in clusters");
  }
  KubeConnection c;
  c.source = source + " (context " + context_name + ")";
  c.default_namespace = Scalar(context, "namespace");
  c.server = Scalar(cluster, "server");
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  if (c.server.rfind("https://", 0) != 0 && c.server.rfind("http://", 0) != 0) {
    return Bad(source, "cluster '" + cluster_name + "' has no http(s) server URL");
  }
  c.insecure_skip_tls_verify = Scalar(cluster, "insecure-skip-tls-verify") == "true";
  const std::string cluster_where = source + ": cluster '" + cluster_name + "'";
  HF_CHECK(
      PemField(cluster, "certificate-authority", base_dir, cluster_where, &c.ca_data, &c.ca_file));
  if (!user_name.empty()) {
    const YAML::Node user = Named(root, "users", "user", user_name);
    if (!user) {
      return Bad(source,
                 "user '" + user_name + "' of context '" + context_name + "' is not in users");
    }
    const std::string user_where = "user '" + user_name + "'";
    if (user["exec"] || user["auth-provider"]) {
      return Bad(source, user_where +
                             ": exec and auth-provider credential plugins are not supported "
                             "(use a token, a tokenFile or a client certificate)");
    }
    c.token = Scalar(user, "token");
    if (std::string f = Scalar(user, "tokenFile"); !f.empty()) c.token_file = Resolve(base_dir, f);
    const std::string where = source + ": " + user_where;
    HF_CHECK(PemField(user, "client-certificate", base_dir, where, &c.client_cert_data,
                      &c.client_cert_file));
    HF_CHECK(PemField(user, "client-key", base_dir, where, &c.client_key_data, &c.client_key_file));
    const bool has_cert = !c.client_cert_data.empty() || !c.client_cert_file.empty();
    const bool has_key = !c.client_key_data.empty() || !c.client_key_file.empty();
    if (has_cert != has_key) {
      return Bad(source, user_where + ": client-certificate and client-key go together");
    }
  }
  return c;
}

}  // namespace

Result<KubeConnection> LoadInCluster(const InClusterPaths& paths) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0') {
    return Fail(ErrorCode::kInvalidArgument,
                "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be "
                "set");
  }
  if (!fs::exists(paths.token_file)) {
    return Fail(ErrorCode::kInvalidArgument, "in-cluster config: service-account token file '" +
                                                 paths.token_file + "' does not exist");
  }
  KubeConnection c;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  c.server = "https://" + h + ":" + port;
  c.token_file = paths.token_file;
  if (fs::exists(paths.ca_file)) c.ca_file = paths.ca_file;
  if (auto ns = ReadFile(paths.namespace_file)) c.default_namespace = Trim(*ns);
  c.source = "in-cluster";
  return c;
}

Result<KubeConnection> ParseKubeconfig(std::string_view yaml, const std::string& base_dir,
                                       const std::string& source) {
  try {
    return Parse(YAML::Load(std::string(yaml)), base_dir, source);
  } catch (const YAML::Exception& e) {
    return Bad(source, "invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

Result<KubeConnection> LoadKubeconfig(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) return Fail(ErrorCode::kInvalidArgument, "cannot read kubeconfig '" + path + "'");
  return ParseKubeconfig(*text, fs::absolute(path).parent_path().string(), path);
}

Result<KubeConnection> ResolveConnection(const std::string& kubeconfig,
                                         const InClusterPaths& paths) {
  if (!kubeconfig.empty()) return LoadKubeconfig(kubeconfig);
  if (const char* host = std::getenv("KUBERNETES_SERVICE_HOST"); host && *host) {
    return LoadInCluster(paths);
  }
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::string first(env);
    first = first.substr(0, first.find(':'));
    if (!first.empty()) return LoadKubeconfig(first);
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    return Fail(ErrorCode::kInvalidArgument,
                "no Kubernetes config: not in a cluster, $KUBECONFIG and $HOME are unset");
  }
  return LoadKubeconfig(std::string(home) + "/.kube/config");
}

}  // namespace hf::jobs::kube
