#include "adapter/dry_run.hpp"

#include "adapter/decision.hpp"
#include "client/api_client.hpp"
#include "jobs/kubernetes/job_object.hpp"
#include "model/cloud_event.hpp"
#include "model/kinds.hpp"

namespace hf::adapter {
namespace {

using nlohmann::json;

Result<jobs::JobState> JobFromInput(const json& in, const jobs::JobSpec& spec) {
  jobs::JobState state;
  state.name = spec.name;
  state.resource_id = spec.resource_id;
  state.generation = spec.generation;
  if (in.is_null()) return state;
  if (!in.is_object()) return Fail(ErrorCode::kInvalidArgument, "job: must be an object");
  const std::string phase = in.value("phase", "pending");
  bool known = false;
  for (auto p : {jobs::JobPhase::kPending, jobs::JobPhase::kRunning, jobs::JobPhase::kSucceeded,
                 jobs::JobPhase::kFailed}) {
    if (jobs::ToString(p) == phase) {
      state.phase = p;
      known = true;
    }
  }
  if (!known) {
    return Fail(ErrorCode::kInvalidArgument,
                "job.phase: '" + phase + "' is not one of pending, running, succeeded, failed");
  }
  state.reason = in.value("reason", "");
  state.message = in.value("message", "");
  if (in.contains("data")) state.data = in["data"];
  if (in.contains("exit_code") && in["exit_code"].is_number_integer()) {
    state.exit_code = in["exit_code"].get<int>();
  }
  return state;
}

json DescribeJob(const AdapterConfig& config, const jobs::JobSpec& spec) {
  if (config.job->runner.backend == jobs::kKubernetesBackend) {
    const auto& k = config.job->runner.kubernetes;
    return jobs::kube::BuildJobManifest(
        spec, config.name, k.namespace_name.empty() ? "default" : k.namespace_name, k.pod);
  }
  return {
      {"runner", config.job->runner.backend},
      {"name", spec.name},
      {"argv", spec.argv},
      {"env", spec.env},
      {"workdir", spec.workdir},
      {"timeout_seconds", std::chrono::duration_cast<std::chrono::seconds>(spec.timeout).count()}};
}

json DescribeResource(const AdapterConfig& config, const RenderedResource& r) {
  json discovery = {{"namespace", r.namespace_name}};
  if (r.by_selector.empty()) {
    discovery["by_name"] = r.by_name;
  } else {
    discovery["by_selector"] = r.by_selector;
  }
  return {{"name", r.name},
          {"manifest", r.manifest},
          {"field_manager", "hyperfleet-" + config.name},
          {"discovery", discovery}};
}

}  // namespace

Result<json> DryRun(const AdapterConfig& config, const DryRunInput& input) {
  json data = input.event;
  if (input.event.is_object() && input.event.contains("specversion")) {
    auto event = model::CloudEvent::FromJson(input.event);
    if (!event) return Fail(ErrorCode::kInvalidArgument, "event: " + event.error().message);
    data = event->data;
  }
  if (!data.is_object() || !data.contains("id") || !data["id"].is_string()) {
    return Fail(ErrorCode::kInvalidArgument, "event: its data has no string 'id'");
  }
  const std::string id = data["id"].get<std::string>();
  const ApiGet get = [&](const std::string& path) -> Result<json> {
    for (const std::string& key : {path, std::string(model::kApiBasePath) + path}) {
      if (input.api_responses.contains(key)) return input.api_responses[key];
    }
    return Fail(ErrorCode::kNotFound, "no canned answer for GET " + path + " (--api-responses)");
  };

  json out = {{"adapter", config.name},
              {"resource", {{"kind", config.kind->name}, {"id", id}}},
              {"params", json::object()},
              {"preconditions", json::array()}};
  auto fail = [&](const PhaseError& e, int64_t generation) {
    out["action"] = "failed";
    out["error"] = {{"phase", e.phase}, {"message", e.error.message}};
    out["report"] = BuildReport(config.name, generation, Now(),
                                ExecutionFailedConditions(e.phase, e.error.message));
    return out;
  };
  auto resource = get(client::ApiClient::CollectionPath(*config.kind) + "/" + id);
  if (!resource) {
    out["action"] = "forget";
    out["note"] = resource.error().message + ": the adapter would delete the resource's " +
                  (config.resources.empty() ? "jobs" : "jobs and Kubernetes objects");
    return out;
  }
  const int64_t generation = resource->value("generation", int64_t{0});
  out["resource"]["generation"] = generation;
  if (resource->contains("deleted_time") && !(*resource)["deleted_time"].is_null()) {
    out["action"] = "finalize";
    out["report"] =
        BuildReport(config.name, generation, Now(),
                    FinalizedConditions(config.job ? std::optional<size_t>(0) : std::nullopt,
                                        config.reasons, !config.resources.empty()));
    if (!config.resources.empty()) {
      out["note"] =
          "the adapter would delete its objects (labelled hyperfleet.io/adapter=" + config.name +
          ") and report Finalized=True once they are gone";
    }
    return out;
  }
  auto decision = Decide(config, *resource, data, get);
  if (!decision) return fail(decision.error(), generation);
  for (const auto& p : config.params) {
    auto value = expr::ToJson(decision->vars.at(p.name));
    out["params"][p.name] = value ? *value : json(value.error().message);
  }
  for (const auto& c : decision->preconditions.checks) {
    json check = {{"name", c.name}, {"met", c.met}, {"value", c.value}};
    if (!c.met) check["message"] = c.message;
    out["preconditions"].push_back(std::move(check));
  }
  json discovered;
  if (!decision->resources.empty()) {
    out["resources"] = json::array();
    discovered = json::object();
    for (const auto& r : decision->resources) {
      out["resources"].push_back(DescribeResource(config, r));
      discovered[r.name] =
          input.kube_objects.contains(r.name) ? input.kube_objects[r.name] : r.manifest;
    }
  }
  std::optional<jobs::JobState> state;
  if (decision->job) {
    state = HF_TRY(JobFromInput(input.job, *decision->job));
    out["job"] = DescribeJob(config, *decision->job);
  }
  auto report = BuildStatus(config, *decision, state ? &*state : nullptr, discovered);
  if (!report) return fail(report.error(), generation);
  out["action"] = decision->job                  ? "create_job"
                  : !decision->preconditions.met ? "preconditions_not_met"
                                                 : "apply_resources";
  out["report"] = BuildReport(config.name, generation, Now(), report->conditions, report->metadata,
                              report->data);
  return out;
}

}  // namespace hf::adapter
