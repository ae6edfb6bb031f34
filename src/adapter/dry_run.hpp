#pragma once

#include <nlohmann/json.hpp>

#include "adapter/adapter_config.hpp"
#include "common/result.hpp"

namespace hf::adapter {

// What `hyperfleet adapter --dry-run` is given.
struct DryRunInput {
  // The event: a CloudEvent as the broker delivers it, or just its data ({id, kind, …}).
  nlohmann::json event;
  // Canned API answers by request path, e.g. {"/clusters/abc": {...}}; a path may carry the
  // base path (/api/hyperfleet/v1) or not. A path not in the map answers 404. The resource
  // itself is read from here too.
  nlohmann::json api_responses = nlohmann::json::object();
  // The job as the runner would show it ({phase, reason, message, exit_code, data}; phase
  // pending|running|succeeded|failed); null: the job was just created (pending).
  nlohmann::json job = nullptr;
  // The resources as discovery would find them on the cluster, by resource name ({"deployment":
  // {...}}; null: not found). A resource not in the map is found as it would be applied (the
  // rendered manifest, no status). No cluster is contacted.
  nlohmann::json kube_objects = nlohmann::json::object();
};

// What the adapter would do for the event, without touching the API, a broker or a job runner:
// {adapter, resource {kind, id, generation}, action, params, preconditions [{name, met, value,
// message}], resources [{name, manifest (as it would be applied; a namespaced object without
// metadata.namespace goes to kubernetes.namespace), field_manager, discovery}], job (the spec it
// would find or create; for runner: kubernetes, the Job manifest), report (the PUT …/statuses
// body it would send), error {phase, message} when it would fail}. action is one of create_job,
// apply_resources (resources and no job), preconditions_not_met, finalize, forget (the resource
// is gone), failed. Errors (kInvalidArgument): the input is unusable (no event id, a malformed
// job).
Result<nlohmann::json> DryRun(const AdapterConfig& config, const DryRunInput& input);

}  // namespace hf::adapter
