#include "adapter/status_report.hpp"

#include "model/condition.hpp"

namespace hf::adapter {
namespace {

using model::condition_status::kFalse;
using model::condition_status::kTrue;
using model::condition_type::kApplied;
using model::condition_type::kAvailable;
using model::condition_type::kFinalized;
using model::condition_type::kHealth;

ReportCondition Condition(std::string_view type, std::string_view status, std::string reason,
                          std::string message) {
  return {std::string(type), std::string(status), std::move(reason), std::move(message)};
}

const ReportCondition kHealthy =
    Condition(kHealth, kTrue, "Healthy", "adapter execution completed successfully");

}  // namespace

nlohmann::json BuildReport(const std::string& adapter, int64_t generation, Time observed_time,
                           const std::vector<ReportCondition>& conditions,
                           const nlohmann::json& metadata, const nlohmann::json& data) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& c : conditions) {
    list.push_back(
        {{"type", c.type}, {"status", c.status}, {"reason", c.reason}, {"message", c.message}});
  }
  nlohmann::json report = {{"adapter", adapter},
                           {"observed_generation", generation},
                           {"observed_time", FormatTime(observed_time)},
                           {"conditions", list}};
  if (!metadata.is_null()) report["metadata"] = metadata;
  if (!data.is_null()) report["data"] = data;
  return report;
}

std::vector<ReportCondition> JobConditions(const jobs::JobState& job, const StatusReasons& r) {
  const ReportCondition applied =
      Condition(kApplied, kTrue, r.launched, "job " + job.name + " launched");
  ReportCondition available;
  switch (job.phase) {
    case jobs::JobPhase::kPending:
      if (!job.reason.empty()) {
        // Its pod cannot start (Unschedulable, ImagePullBackOff, CreateContainerConfigError…):
        // say why, and that the adapter is not healthy until it can.
        const std::string why = "job " + job.name + " cannot start: " + job.reason +
                                (job.message.empty() ? "" : ": " + job.message);
        return {applied, Condition(kAvailable, kFalse, job.reason, why),
                Condition(kHealth, kFalse, job.reason, why)};
      }
      [[fallthrough]];
    case jobs::JobPhase::kRunning:
      available = Condition(kAvailable, kFalse, r.running, "job " + job.name + " is running");
      break;
    case jobs::JobPhase::kSucceeded:
      available = Condition(kAvailable, kTrue, r.succeeded,
                            job.message.empty() ? "job " + job.name + " succeeded" : job.message);
      break;
    case jobs::JobPhase::kFailed:
      available = Condition(kAvailable, kFalse, r.failed,
                            "job " + job.name + " failed: " + job.reason +
                                (job.message.empty() ? "" : ": " + job.message));
      break;
  }
  return {applied, available, kHealthy};
}

std::vector<ReportCondition> PreconditionsNotMetConditions(const std::string& unmet,
                                                           const StatusReasons& r) {
  return {Condition(kApplied, kFalse, r.preconditions_not_met, "preconditions not met: " + unmet),
          Condition(kAvailable, kFalse, r.preconditions_not_met, "waiting for preconditions"),
          kHealthy};
}

std::vector<ReportCondition> ResourceConditions(const nlohmann::json& discovered,
                                                const StatusReasons& r) {
  std::string missing;
  for (const auto& [name, object] : discovered.items()) {
    if (object.is_null()) missing += (missing.empty() ? "" : ", ") + name;
  }
  const std::string count = std::to_string(discovered.size()) + " resource(s)";
  return {Condition(kApplied, kTrue, r.applied, count + " applied"),
          missing.empty() ? Condition(kAvailable, kTrue, r.available, count + " found")
                          : Condition(kAvailable, kFalse, r.not_found, "not found: " + missing),
          kHealthy};
}

std::vector<ReportCondition> FinalizedConditions(std::optional<size_t> jobs_deleted,
                                                 const StatusReasons& r, bool resources) {
  const std::string message =
      "cluster deleting: " +
      (jobs_deleted ? std::to_string(*jobs_deleted) + " job(s) deleted, " : std::string()) +
      (resources ? "its Kubernetes objects are gone, " : "") + "nothing left to clean up";
  return {Condition(kApplied, kFalse, r.finalized, message),
          Condition(kAvailable, kFalse, r.finalized, message), kHealthy,
          Condition(kFinalized, kTrue, r.finalized, message)};
}

std::vector<ReportCondition> CleanupConditions(const std::vector<std::string>& remaining,
                                               const StatusReasons& r) {
  std::string list;
  for (const auto& object : remaining) list += (list.empty() ? "" : ", ") + object;
  const std::string message = "cluster deleting: waiting for " + std::to_string(remaining.size()) +
                              " object(s) to go: " + list;
  return {Condition(kApplied, kFalse, r.cleanup, message),
          Condition(kAvailable, kFalse, r.cleanup, message), kHealthy,
          Condition(kFinalized, kFalse, r.cleanup, message)};
}

std::vector<ReportCondition> ExecutionFailedConditions(const std::string& phase,
                                                       const std::string& message) {
  const std::string reason = "ExecutionFailed:" + phase;
  const std::string text = "adapter failed at phase " + phase + ": " + message;
  return {Condition(kApplied, kFalse, reason, text), Condition(kAvailable, kFalse, reason, text),
          Condition(kHealth, kFalse, reason, text)};
}

}  // namespace hf::adapter
