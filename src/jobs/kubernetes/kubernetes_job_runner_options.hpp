#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/backoff.hpp"
#include "common/time.hpp"
#include "jobs/kubernetes/job_object.hpp"
#include "jobs/kubernetes/kube_config.hpp"

namespace hf::jobs {

// How the Kubernetes runner (kubernetes/kubernetes_job_runner.hpp) reaches the API server and
// what its Jobs look like.
struct KubernetesJobRunnerOptions {
  std::string adapter;         // the hyperfleet.io/adapter label of its jobs; required
  std::string namespace_name;  // empty: the connection's namespace, else "default"
  kube::PodSettings pod;       // image (required), command, args, service account, ...
  std::string kubeconfig;      // empty: see kube::ResolveConnection
  kube::InClusterPaths in_cluster;
  // Use this connection instead of resolving one (tests).
  std::optional<kube::KubeConnection> connection;
  Duration request_timeout = std::chrono::seconds(10);
  int64_t page_size = 500;  // items per list request (limit/continue)
  // How long one watch request stays open before it is renewed (timeoutSeconds).
  Duration watch_timeout = std::chrono::minutes(5);
  // Reconnect spacing after a failed watch or list (default: 200 ms doubling to 30 s, ±20 %).
  BackoffPolicy backoff;
};

}  // namespace hf::jobs
