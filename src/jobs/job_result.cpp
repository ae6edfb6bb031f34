#include "jobs/job_result.hpp"

#include "common/json_depth.hpp"

namespace hf::jobs {

std::optional<JobResult> ParseJobResult(std::string_view text) {
  if (JsonNestedDeeperThan(text)) return std::nullopt;
  const nlohmann::json r = nlohmann::json::parse(text, nullptr, false);
  if (!r.is_object()) return std::nullopt;
  auto text_field = [&](const char* key) {
    return r.contains(key) && r[key].is_string() ? r[key].get<std::string>() : std::string();
  };
  const std::string status = text_field("status");
  if (status != "success" && status != "failure") return std::nullopt;
  JobResult result;
  result.phase = status == "success" ? JobPhase::kSucceeded : JobPhase::kFailed;
  result.reason = text_field("reason");
  if (result.reason.empty()) {
    result.reason = result.phase == JobPhase::kSucceeded ? "Completed" : "Failed";
  }
  result.message = text_field("message");
  if (r.contains("data")) result.data = r["data"];
  return result;
}

}  // namespace hf::jobs
