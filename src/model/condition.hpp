#pragma once

#include <cstdint>
#include <string>

#include "common/time.hpp"

namespace hf::model {

// An aggregated condition in a resource's status.conditions (Reconciled, LastKnownReconciled,
// <Adapter>Successful). status is "True" or "False".
struct Condition {
  std::string type;
  std::string status;
  std::string reason;
  std::string message;
  int64_t observed_generation = 0;
  Time created_time{};
  Time last_updated_time{};
  Time last_transition_time{};

  bool operator==(const Condition&) const = default;
};

}  // namespace hf::model
