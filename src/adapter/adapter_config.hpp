#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/manifest_template.hpp"
#include "adapter/param.hpp"
#include "adapter/precondition.hpp"
#include "adapter/status_template.hpp"
#include "adapter/text_template.hpp"
#include "client/token_source.hpp"
#include "common/backoff.hpp"
#include "common/result.hpp"
#include "common/time.hpp"
#include "jobs/job_runner_config.hpp"
#include "model/kinds.hpp"

namespace hf::adapter {

// How API calls are retried: on transport errors, timeouts, 408, 429 and 5xx.
struct RetryConfig {
  int attempts = 3;  // total tries, >= 1
  // Wait before try n+1: backoff.Delay(n) (200ms doubling to 5s, ±20 %).
  BackoffPolicy backoff{std::chrono::milliseconds(200), std::chrono::seconds(5), 0.2};
};

struct ApiConfig {
  std::string base_url;                         // empty: the command's --api-url
  Duration timeout = std::chrono::seconds(10);  // per request
  RetryConfig retry;
  std::string token_file;  // bearer token, re-read on change; empty: the command's --token-file
  std::string ca_file;     // trust for an https base_url; empty: the command's --ca-file
  // Set by `dev --auth` (tokens it mints); when set it wins over token_file. Not a YAML key.
  client::TokenSource token{};
};

struct BrokerSection {
  std::string type;            // memory|googlepubsub|rabbitmq; empty: the command's --broker
  std::string topic;           // empty in the file: hyperfleet.<resource>.changed.v1
  std::string subscription;    // empty: the adapter name (+ "-nodepools" for nodepools)
  int parallelism = 4;         // events handled at once
  std::string pubsub_project;  // empty: the command's --pubsub-project
  std::string rabbitmq_url;    // empty: the command's --rabbitmq-url
  // The adapters whose status changes re-evaluate this one. Unset: every other adapter's (when
  // the preconditions or params read status; otherwise none).
  std::optional<std::vector<std::string>> status_changes_from;
};

struct JobConfig {
  // Which runner and its options: job.runner is runner.backend; runner: local reads
  // job.state_dir into runner.local.state_dir (default, empty: <data dir>/jobs/<name>), runner:
  // kubernetes reads job.kubernetes into runner.kubernetes (`adapter` is left empty, the runtime
  // sets it).
  jobs::JobRunnerConfig runner;
  // The job's name; must use the resource's id variable and generation (e.g.
  // "dns-{{cluster_id}}-{{generation}}"). It and the env values may use any variable (below).
  TextTemplate name_template;
  std::map<std::string, TextTemplate> env;
  Duration timeout = std::chrono::minutes(10);  // kubernetes: activeDeadlineSeconds
  // runner: local
  std::vector<std::string> argv;  // command then args; a relative command path is resolved
                                  // against the config file's directory
  std::string workdir;            // default: the config file's directory
};

// The Kubernetes API server an adapter's resources live in (YAML `kubernetes`; a job's runner
// has its own connection, job.kubernetes.kubeconfig).
struct KubernetesSection {
  // Empty: as kubectl picks (in-cluster, else $KUBECONFIG, else ~/.kube/config); a relative path
  // resolves against the config file's directory.
  std::string kubeconfig;
  // Where namespaced objects without metadata.namespace go; empty: the connection's namespace,
  // else "default".
  std::string namespace_name;
};

// One Kubernetes object an adapter manages (YAML resources[]). Applied with server-side apply
// (field manager hyperfleet-<adapter>), labelled hyperfleet.io/resource-id (the cluster's or
// nodepool's id) and hyperfleet.io/adapter, annotated hyperfleet.io/generation; then found again
// (discovery) and shown to the status expressions as resources.<name>.
struct ResourceConfig {
  std::string name;           // a CEL identifier, unique among the adapter's resources
  ManifestTemplate manifest;  // YAML manifest (inline) or manifest_file (relative to the config)
  // YAML discovery: by_name (default: the rendered manifest's metadata.name) or by_selector
  // (labels that must all match; the first object by name is taken), in `namespace` (default:
  // the manifest's, else kubernetes.namespace). All may use the manifest's variables.
  std::optional<TextTemplate> by_name;
  std::map<std::string, TextTemplate> by_selector;
  std::optional<TextTemplate> namespace_name;
};

// The condition reasons the adapter reports.
struct StatusReasons {
  std::string launched = "JobLaunched";                       // Applied=True once the job exists
  std::string running = "JobRunning";                         // Available=False while it runs
  std::string succeeded = "JobSucceeded";                     // Available=True
  std::string failed = "JobFailed";                           // Available=False
  std::string preconditions_not_met = "PreconditionsNotMet";  // Applied=False
  std::string finalized = "JobsDeleted";  // Finalized=True (ResourcesDeleted without a job)
  // Adapters with resources and no job:
  std::string applied = "ResourcesApplied";      // Applied=True once all are applied
  std::string available = "ResourcesAvailable";  // Available=True when all are found again
  std::string not_found = "ResourcesNotFound";   // Available=False when one is not
  std::string cleanup = "CleanupInProgress";     // Finalized=False while objects remain
};

// One adapter's configuration file (see the README for the annotated format). Its expressions
// (CEL, in params, preconditions, job templates and status) see the variables `adapter` (the
// name), `resource` (the fetched resource), `event` (the event's data), `generation`,
// `cluster_id` (a nodepool's: its cluster's), `nodepool_id` (nodepool adapters), every param
// defined before them, and in status also `job`, `resources`, `preconditions` and `defaults`
// (adapter_runtime.hpp says what they hold). A name an expression uses that is none of these is
// an error at load.
struct AdapterConfig {
  std::string name;  // [a-z0-9-]+, as the API knows the adapter
  // What it reconciles (YAML `resource`: a kind's plural, "clusters" or "nodepools"). A nodepool
  // adapter reads GET /nodepools/{id}, reports to /nodepools/{id}/statuses, and its jobs are
  // keyed by the nodepool id.
  const model::ResourceKind* kind = &model::kCluster;
  ApiConfig api;
  BrokerSection broker;
  std::vector<Param> params;
  std::vector<Precondition> preconditions;
  // At least one of job and resources. Each event applies the resources (in order) first, then
  // finds or creates the job.
  std::optional<JobConfig> job;
  KubernetesSection kubernetes;  // for resources
  std::vector<ResourceConfig> resources;
  StatusReasons reasons;
  StatusTemplate status;
};

// Parses and validates an adapter config. The format is closed: an unknown key is an error
// naming its path (e.g. "job.comand"). Relative paths resolve against `base_dir`. Errors are
// kInvalidArgument "<source>: <key path>: <problem>", an expression's with the column in it
// ("dns.yaml: preconditions[0].expression: column 9: unexpected ')'").
Result<AdapterConfig> ParseAdapterConfig(std::string_view yaml, const std::string& base_dir,
                                         const std::string& source);
// Reads `path` and parses it with its directory as base_dir.
Result<AdapterConfig> LoadAdapterConfig(const std::string& path);

}  // namespace hf::adapter
