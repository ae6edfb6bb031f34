#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapter/adapter_config.hpp"
#include "adapter/param.hpp"
#include "adapter/precondition.hpp"
#include "adapter/status_report.hpp"
#include "expr/expr.hpp"
#include "jobs/job_runner.hpp"

namespace hf::adapter {

// One of config.resources rendered for an event: what to apply and how to find it again.
struct RenderedResource {
  std::string name;            // ResourceConfig::name
  nlohmann::json manifest;     // rendered, labelled hyperfleet.io/resource-id and
                               // hyperfleet.io/adapter, annotated hyperfleet.io/generation
  std::string namespace_name;  // discovery's namespace; "" for kubernetes.namespace (or none)
  std::string by_name;         // discovery by name, or ...
  std::map<std::string, std::string> by_selector;  // ... by these labels
};

// What an adapter decides about a live (not deleting) resource, before it touches the job
// runner or Kubernetes: the params, the preconditions and, when they are met, the resources to
// apply and the job to find or create. The pure part of handling one event, shared by
// AdapterRuntime and the dry-run.
struct Decision {
  expr::Activation vars;  // every variable the adapter's expressions see (adapter_config.hpp)
  PreconditionOutcome preconditions;
  std::vector<RenderedResource> resources;  // when the preconditions are met
  std::optional<jobs::JobSpec> job;         // when they are met and the adapter has a job
};

// A failure while deciding or reporting, with the phase it happened in ("params",
// "preconditions", "resources", "job", "status"): reported as Health=False ExecutionFailed:<phase>.
// A transient error (error.Transient()) is retried instead.
struct PhaseError {
  std::string phase;
  Error error;
};

// `resource` as fetched (with id and generation), `event` the event's data ({id, kind} for a
// re-evaluation without one); `get` serves the api params.
std::expected<Decision, PhaseError> Decide(const AdapterConfig& config,
                                           const nlohmann::json& resource,
                                           const nlohmann::json& event, const ApiGet& get);

// A status report before it is sent.
struct ReportContent {
  std::vector<ReportCondition> conditions;
  nlohmann::json metadata;  // null: none
  nlohmann::json data;      // null: none
};

// The report: for preconditions not met; else for the decision's job as `state` shows it
// (JobConditions, job metadata and data); else (no job) for the resources as `discovered` shows
// them ({name: object or null}, ResourceConditions). config.status is applied over it with
// `job`, `resources` (the objects of `discovered` that were found, by name: one not found or not
// applied is absent) and `preconditions` among the variables. Errors are of phase "status".
std::expected<ReportContent, PhaseError> BuildStatus(const AdapterConfig& config,
                                                     const Decision& decision,
                                                     const jobs::JobState* state,
                                                     const nlohmann::json& discovered = nullptr);

// The `job` variable of the status expressions: {name, phase, reason, message, exit_code, data}.
nlohmann::json JobVariable(const jobs::JobState& state);

}  // namespace hf::adapter
