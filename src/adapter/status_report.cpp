#include "adapter/status_report.hpp"

namespace hf::adapter {
namespace {

const ReportCondition kHealthy = {"Health", "True", "Healthy",
                                  "adapter execution completed successfully"};

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
  ReportCondition applied{"Applied", "True", r.launched, "job " + job.name + " launched"};
  ReportCondition available;
  switch (job.phase) {
    case jobs::JobPhase::kPending:
    case jobs::JobPhase::kRunning:
      available = {"Available", "False", r.running, "job " + job.name + " is running"};
      break;
    case jobs::JobPhase::kSucceeded:
      available = {"Available", "True", r.succeeded,
                   job.message.empty() ? "job " + job.name + " succeeded" : job.message};
      break;
    case jobs::JobPhase::kFailed:
      available = {"Available", "False", r.failed,
                   "job " + job.name + " failed: " + job.reason +
                       (job.message.empty() ? "" : ": " + job.message)};
      break;
  }
  return {applied, available, kHealthy};
}

std::vector<ReportCondition> PreconditionsNotMetConditions(const std::string& unmet,
                                                           const StatusReasons& r) {
  return {{"Applied", "False", r.preconditions_not_met, "preconditions not met: " + unmet},
          {"Available", "False", r.preconditions_not_met, "waiting for preconditions"},
          kHealthy};
}

std::vector<ReportCondition> FinalizedConditions(size_t jobs_deleted, const StatusReasons& r) {
  const std::string message = "cluster deleting: " + std::to_string(jobs_deleted) +
                              " job(s) deleted, nothing left to clean up";
  return {{"Applied", "False", r.finalized, message},
          {"Available", "False", r.finalized, message},
          kHealthy,
          {"Finalized", "True", r.finalized, message}};
}

std::vector<ReportCondition> ExecutionFailedConditions(const std::string& phase,
                                                       const std::string& message) {
  const std::string reason = "ExecutionFailed:" + phase;
  const std::string text = "adapter failed at phase " + phase + ": " + message;
  return {{"Applied", "False", reason, text},
          {"Available", "False", reason, text},
          {"Health", "False", reason, text}};
}

}  // namespace hf::adapter
