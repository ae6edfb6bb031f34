#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.hpp"
#include "service/kinds.hpp"
#include "service/limits.hpp"
#include "service/status_service.hpp"

namespace hf::service {

// Name rules of the kind: length bounds and ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$.
Result<void> ValidateName(const KindDescriptor& kind, const std::string& name);

// Kubernetes-style label keys (optional DNS-subdomain prefix + "/" + name) and values, at most
// limits.labels_max_count of them. All failures are reported together as `label validation
// failed` with one violation each.
Result<void> ValidateLabels(const std::map<std::string, std::string>& labels, const Limits& limits);

// A spec of at most limits.spec_max_bytes as compact JSON; otherwise InvalidArgument naming the
// setting, with one violation (field "spec", constraint "max_length").
Result<void> ValidateSpecSize(const nlohmann::json& spec, const Limits& limits);

// A status report within the limits on its conditions (count, reason and message length) and
// its data size; all failures together as `status report exceeds limits`, one violation each
// naming the setting.
Result<void> ValidateReportSize(const StatusReport& report, const Limits& limits);

}  // namespace hf::service
