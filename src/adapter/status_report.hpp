#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapter/adapter_config.hpp"
#include "common/time.hpp"
#include "jobs/job_runner.hpp"

namespace hf::adapter {

// One condition of a status report (the API requires Applied, Available and Health).
struct ReportCondition {
  std::string type;
  std::string status;  // True|False
  std::string reason;
  std::string message;
};

// The body of PUT /clusters/{id}/statuses. `metadata` and `data` are omitted when null.
nlohmann::json BuildReport(const std::string& adapter, int64_t generation, Time observed_time,
                           const std::vector<ReportCondition>& conditions,
                           const nlohmann::json& metadata = nullptr,
                           const nlohmann::json& data = nullptr);

// The job exists: Applied=True (launched); Available False while it runs or when it failed
// (message carries the job's reason and message), True when it succeeded; Health=True. A pending
// job with a reason (its pod cannot start: Unschedulable, ImagePullBackOff, …) gives Available
// and Health False with that reason.
std::vector<ReportCondition> JobConditions(const jobs::JobState& job, const StatusReasons& r);
// Applied=False PreconditionsNotMet (with what was not met), Available=False, Health=True.
std::vector<ReportCondition> PreconditionsNotMetConditions(const std::string& unmet,
                                                           const StatusReasons& r);
// The resources (no job) were applied and looked for (`discovered`: {name: object or null}):
// Applied=True; Available=True when every one was found, else False naming the missing ones;
// Health=True.
std::vector<ReportCondition> ResourceConditions(const nlohmann::json& discovered,
                                                const StatusReasons& r);
// The cluster is being deleted and its jobs (`jobs_deleted` of them were deleted now; nullopt
// for an adapter without a job) and, with `resources`, its Kubernetes objects are gone:
// Finalized=True, Applied=False, Available=False, Health=True.
std::vector<ReportCondition> FinalizedConditions(std::optional<size_t> jobs_deleted,
                                                 const StatusReasons& r, bool resources = false);
// The cluster is being deleted and some of its Kubernetes objects still exist (`remaining`
// describes them): Finalized=False (r.cleanup), Applied=False, Available=False, Health=True.
std::vector<ReportCondition> CleanupConditions(const std::vector<std::string>& remaining,
                                               const StatusReasons& r);
// The adapter itself failed: Health=False "ExecutionFailed:<phase>", Applied/Available False.
std::vector<ReportCondition> ExecutionFailedConditions(const std::string& phase,
                                                       const std::string& message);

}  // namespace hf::adapter
