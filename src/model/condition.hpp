#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/time.hpp"

namespace hf::model {

// The condition types the system itself writes or reads. Adapters report Applied, Available and
// Health (Finalized while a resource is deleted); the API aggregates Reconciled,
// LastKnownReconciled and one <Adapter>Successful per required adapter.
namespace condition_type {
inline constexpr std::string_view kApplied = "Applied";
inline constexpr std::string_view kAvailable = "Available";
inline constexpr std::string_view kHealth = "Health";
inline constexpr std::string_view kFinalized = "Finalized";
inline constexpr std::string_view kReconciled = "Reconciled";
inline constexpr std::string_view kLastKnownReconciled = "LastKnownReconciled";
inline constexpr std::string_view kAdapterSuffix = "Successful";  // "<Adapter>Successful"
}  // namespace condition_type

// A condition's status values.
namespace condition_status {
inline constexpr std::string_view kTrue = "True";
inline constexpr std::string_view kFalse = "False";
inline constexpr std::string_view kUnknown = "Unknown";
// True for "True", "False" and "Unknown".
[[nodiscard]] inline bool Valid(std::string_view s) {
  return s == kTrue || s == kFalse || s == kUnknown;
}
}  // namespace condition_status

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
