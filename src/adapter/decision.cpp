#include "adapter/decision.hpp"

#include "adapter/status_template.hpp"
#include "jobs/kubernetes/job_object.hpp"
#include "jobs/kubernetes/kube_objects.hpp"
#include "model/kinds.hpp"

namespace hf::adapter {
namespace {

using nlohmann::json;

std::unexpected<PhaseError> Failed(std::string phase, Error error) {
  return std::unexpected(PhaseError{std::move(phase), std::move(error)});
}

// A text template's value for resources.<name>.<what>.
Result<std::string> RenderText(const TextTemplate& t, const expr::Activation& vars,
                               const std::string& what) {
  auto text = t.Render(vars);
  if (!text) return Fail(ErrorCode::kInvalidArgument, what + ": " + text.error().message);
  return text;
}

Result<RenderedResource> Render(const ResourceConfig& r, const expr::Activation& vars,
                                const std::string& adapter, const std::string& id,
                                int64_t generation) {
  const std::string at = "resources." + r.name;
  RenderedResource out;
  out.name = r.name;
  auto manifest = r.manifest.Render(vars);
  if (!manifest) {
    return Fail(ErrorCode::kInvalidArgument, at + ".manifest: " + manifest.error().message);
  }
  out.manifest = std::move(*manifest);
  json& metadata = out.manifest["metadata"];
  if (!metadata.is_object() || !metadata.contains("name") || !metadata["name"].is_string() ||
      metadata["name"].get<std::string>().empty()) {
    return Fail(ErrorCode::kInvalidArgument, at + ".manifest: metadata.name: is required");
  }
  metadata["labels"][std::string(jobs::kube::kOwnerIdLabel)] = jobs::kube::KubeLabelValue(id);
  metadata["labels"][std::string(jobs::kube::kAdapterLabel)] = adapter;
  metadata["annotations"][std::string(jobs::kube::kGenerationAnnotation)] =
      std::to_string(generation);
  out.namespace_name = metadata.value("namespace", "");
  if (r.namespace_name) {
    out.namespace_name = HF_TRY(RenderText(*r.namespace_name, vars, at + ".discovery.namespace"));
  }
  for (const auto& [label, value] : r.by_selector) {
    out.by_selector[label] =
        HF_TRY(RenderText(value, vars, at + ".discovery.by_selector." + label));
  }
  if (out.by_selector.empty()) {
    out.by_name = r.by_name ? HF_TRY(RenderText(*r.by_name, vars, at + ".discovery.by_name"))
                            : metadata["name"].get<std::string>();
  }
  return out;
}

}  // namespace

std::expected<Decision, PhaseError> Decide(const AdapterConfig& config, const json& resource,
                                           const json& event, const ApiGet& get) {
  Decision d;
  const model::ResourceKind& kind = *config.kind;
  const std::string id = resource.value("id", "");
  const int64_t generation = resource.value("generation", int64_t{0});
  d.vars = {{"adapter", expr::FromJson(config.name)},
            {"resource", expr::FromJson(resource)},
            {"event", expr::FromJson(event)},
            {"generation", expr::FromJson(generation)},
            {std::string(kind.id_variable), expr::FromJson(id)}};
  std::string parent_id;
  if (kind.HasParent()) {
    const auto owner = resource.find("owner_references");
    if (owner != resource.end() && owner->is_object()) parent_id = owner->value("id", "");
    d.vars.insert_or_assign(std::string(model::FindKind(kind.parent)->id_variable),
                            expr::FromJson(parent_id));
  }

  if (auto resolved = ResolveParams(config.params, {resource, event, get}, d.vars); !resolved) {
    return Failed("params", resolved.error());
  }
  auto checked = Evaluate(config.preconditions, resource, d.vars);
  if (!checked) return Failed("preconditions", checked.error());
  d.preconditions = std::move(*checked);
  if (!d.preconditions.met) return d;

  for (const auto& r : config.resources) {
    auto rendered = Render(r, d.vars, config.name, id, generation);
    if (!rendered) return Failed("resources", rendered.error());
    d.resources.push_back(std::move(*rendered));
  }
  if (!config.job) return d;
  jobs::JobSpec spec;
  auto name = config.job->name_template.Render(d.vars);
  if (!name) {
    return Failed("job",
                  Error{name.error().code, "job.name_template: " + name.error().message, {}, {}});
  }
  spec.name = std::move(*name);
  for (const auto& [key, value] : config.job->env) {
    auto text = value.Render(d.vars);
    if (!text) {
      return Failed(
          "job", Error{text.error().code, "job.env." + key + ": " + text.error().message, {}, {}});
    }
    spec.env[key] = std::move(*text);
  }
  if (kind.HasParent()) {
    spec.env["NODEPOOL_ID"] = id;
    spec.env["NODEPOOL_CLUSTER_ID"] = parent_id;
  }
  spec.resource_id = id;  // the key the runner lists this resource's jobs by
  spec.generation = generation;
  spec.resource_json = resource.dump();
  spec.argv = config.job->argv;
  spec.workdir = config.job->workdir;
  spec.timeout = config.job->timeout;
  d.job = std::move(spec);
  return d;
}

json JobVariable(const jobs::JobState& state) {
  json job = {{"name", state.name},
              {"phase", jobs::ToString(state.phase)},
              {"reason", state.reason},
              {"message", state.message},
              {"data", state.data}};
  job["exit_code"] = state.exit_code ? json(*state.exit_code) : json();
  return job;
}

std::expected<ReportContent, PhaseError> BuildStatus(const AdapterConfig& config,
                                                     const Decision& decision,
                                                     const jobs::JobState* state,
                                                     const json& discovered) {
  ReportContent report;
  if (!decision.preconditions.met) {
    report.conditions =
        PreconditionsNotMetConditions(decision.preconditions.message, config.reasons);
  } else if (state == nullptr) {
    report.conditions = ResourceConditions(discovered, config.reasons);
  } else {
    report.conditions = JobConditions(*state, config.reasons);
    report.metadata = {{"job_name", state->name},
                       {"job_phase", jobs::ToString(state->phase)},
                       {"runner", config.job->runner.backend}};
    if (jobs::Finished(state->phase)) {
      report.data = {{"job",
                      {{"phase", jobs::ToString(state->phase)},
                       {"reason", state->reason},
                       {"message", state->message}}}};
      if (state->exit_code) report.data["job"]["exit_code"] = *state->exit_code;
      if (!state->data.is_null()) report.data["job"]["data"] = state->data;
    }
  }
  if (config.status.empty()) return report;
  expr::Activation vars = decision.vars;
  json results = json::object();
  for (const auto& check : decision.preconditions.checks) results[check.name] = check.value;
  vars.insert_or_assign("preconditions",
                        expr::FromJson({{"met", decision.preconditions.met},
                                        {"message", decision.preconditions.message},
                                        {"results", results}}));
  vars.insert_or_assign("job", expr::FromJson(state ? JobVariable(*state) : json()));
  // Objects not found (or not applied) are absent: resources.?x.?status... reads them all alike.
  json found = json::object();
  for (const auto& [name, object] : discovered.items()) {
    if (!object.is_null()) found[name] = object;
  }
  vars.insert_or_assign("resources", expr::FromJson(found));
  if (auto applied = ApplyStatus(config.status, std::move(vars), report.conditions, report.data);
      !applied) {
    return std::unexpected(PhaseError{"status", applied.error()});
  }
  return report;
}

}  // namespace hf::adapter
