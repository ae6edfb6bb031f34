#pragma once

// Where the Kubernetes API server is and how to authenticate to it: in-cluster service-account
// config or a kubeconfig file (its current context).

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace hf::jobs::kube {

// Everything needed to talk to one API server. PEM material is held either as a file path or as
// the bytes themselves (kubeconfig *-data fields, base64-decoded).
struct KubeConnection {
  std::string server;             // "https://host:port", no trailing slash
  std::string default_namespace;  // from the namespace file or the context; may be empty
  std::string token;              // a static bearer token
  std::string token_file;         // bearer token re-read when the file changes (wins over token)
  std::string ca_file;            // PEM bundle to verify the server with
  std::string ca_data;            // PEM bytes (instead of ca_file)
  std::string client_cert_file;   // client certificate (PEM) ...
  std::string client_cert_data;
  std::string client_key_file;  // ... and its key (PEM)
  std::string client_key_data;
  bool insecure_skip_tls_verify = false;
  std::string source;  // "in-cluster" or "<kubeconfig path> (context <name>)", for messages
};

// The service-account files of a pod. Overridable for tests.
struct InClusterPaths {
  std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::string namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
};

// In-cluster config from $KUBERNETES_SERVICE_HOST / $KUBERNETES_SERVICE_PORT and the
// service-account files (the token file must exist; CA and namespace files are optional).
// Errors: kInvalidArgument naming what is missing.
Result<KubeConnection> LoadInCluster(const InClusterPaths& paths = {});

// The current context of a kubeconfig document. Relative file paths resolve against `base_dir`.
// Supports token, tokenFile, client-certificate(-data), client-key(-data),
// certificate-authority(-data), insecure-skip-tls-verify; exec/auth-provider plugins are
// rejected. Errors: kInvalidArgument "<source>: <what>".
Result<KubeConnection> ParseKubeconfig(std::string_view yaml, const std::string& base_dir,
                                       const std::string& source);
Result<KubeConnection> LoadKubeconfig(const std::string& path);

// Picks the connection the way kubectl does: `kubeconfig` when given; else in-cluster when
// $KUBERNETES_SERVICE_HOST is set; else the first file of $KUBECONFIG; else ~/.kube/config.
Result<KubeConnection> ResolveConnection(const std::string& kubeconfig,
                                         const InClusterPaths& paths = {});

}  // namespace hf::jobs::kube
