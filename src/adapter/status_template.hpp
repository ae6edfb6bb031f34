#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "expr/expr.hpp"

namespace hf::adapter {

struct ReportCondition;  // status_report.hpp

// How one reported condition is computed (YAML status.conditions[]): each of status, reason and
// message is a CEL expression; one left out keeps the default report's value. A type the default
// report has not (a custom condition) needs all three.
struct ConditionTemplate {
  std::string type;
  std::optional<expr::Program> status;   // a bool, or "True" / "False" / "Unknown"
  std::optional<expr::Program> reason;   // a string
  std::optional<expr::Program> message;  // a string
};

// The adapter's own status: condition templates and `data`, applied to the reports after a job
// is found or created and when preconditions are not met. Finalize and failure reports keep
// their fixed form.
struct StatusTemplate {
  std::vector<ConditionTemplate> conditions;
  std::optional<expr::Program> data;  // a map, merged over the default data (its keys win)
  bool empty() const { return conditions.empty() && !data; }
};

// Applies `status` to a default report. `vars` are the adapter's variables (resource, event,
// adapter, params, job, preconditions); `defaults` (the default conditions by type, each
// {status, reason, message}) is added here. Errors: kInvalidArgument "status.conditions[<type>]
// .<field>: <problem>" or "status.data: <problem>".
Result<void> ApplyStatus(const StatusTemplate& status, expr::Activation vars,
                         std::vector<ReportCondition>& conditions, nlohmann::json& data);

}  // namespace hf::adapter
