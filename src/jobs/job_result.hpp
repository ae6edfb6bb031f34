#pragma once

// The result a job reports about itself, the same for every backend: the job writes one JSON
// object to $RESULT_FILE (the local runner reads that file after the process exits; in a
// Kubernetes Job it is the container's termination log, read back from the pod's status):
//
//   {"status": "success" | "failure", "reason": "ClusterValid", "message": "...", "data": {...}}
//
// `status` is required; `reason` and `message` are strings (other types are ignored), `data` is
// any JSON value handed on as JobState::data. A job that writes no result is judged by how it
// ended (its exit code, or the Job's condition).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "jobs/job_runner.hpp"

namespace hf::jobs {

// The format in words, for messages about a result that does not decode.
inline constexpr std::string_view kJobResultFormat =
    R"({"status": "success"|"failure", "reason": ..., "message": ..., "data": ...})";

struct JobResult {
  JobPhase phase = JobPhase::kFailed;  // kSucceeded or kFailed
  std::string reason;                  // never empty: "Completed" / "Failed" when not given
  std::string message;
  nlohmann::json data;  // null when absent
};

// Decodes a result. nullopt when `text` is not a JSON object with status "success" or
// "failure" (including JSON nested deeper than kMaxJsonDepth).
std::optional<JobResult> ParseJobResult(std::string_view text);

}  // namespace hf::jobs
