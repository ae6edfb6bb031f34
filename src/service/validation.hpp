#pragma once

#include <map>
#include <string>

#include "common/result.hpp"
#include "service/kinds.hpp"

namespace hf::service {

// Name rules of the kind: length bounds and ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$.
Result<void> ValidateName(const KindDescriptor& kind, const std::string& name);

// Kubernetes-style label keys (optional DNS-subdomain prefix + "/" + name) and values.
// All failures are reported together as `label validation failed` with one violation each.
Result<void> ValidateLabels(const std::map<std::string, std::string>& labels);

}  // namespace hf::service
