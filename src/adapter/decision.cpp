#include "adapter/decision.hpp"

#include "adapter/status_template.hpp"
#include "model/kinds.hpp"

namespace hf::adapter {
namespace {

using nlohmann::json;

std::unexpected<PhaseError> Failed(std::string phase, Error error) {
  return std::unexpected(PhaseError{std::move(phase), std::move(error)});
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

  jobs::JobSpec spec;
  auto name = config.job.name_template.Render(d.vars);
  if (!name) {
    return Failed("job", Error{name.error().code, "job.name_template: " + name.error().message,
                               {}, {}});
  }
  spec.name = std::move(*name);
  for (const auto& [key, value] : config.job.env) {
    auto text = value.Render(d.vars);
    if (!text) {
      return Failed("job", Error{text.error().code,
                                 "job.env." + key + ": " + text.error().message, {}, {}});
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
  spec.argv = config.job.argv;
  spec.workdir = config.job.workdir;
  spec.timeout = config.job.timeout;
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
                                                     const jobs::JobState* state) {
  ReportContent report;
  if (state == nullptr) {
    report.conditions =
        PreconditionsNotMetConditions(decision.preconditions.message, config.reasons);
  } else {
    report.conditions = JobConditions(*state, config.reasons);
    report.metadata = {{"job_name", state->name},
                       {"job_phase", jobs::ToString(state->phase)},
                       {"runner", config.job.runner.backend}};
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
  if (auto applied = ApplyStatus(config.status, std::move(vars), report.conditions, report.data);
      !applied) {
    return std::unexpected(PhaseError{"status", applied.error()});
  }
  return report;
}

}  // namespace hf::adapter
