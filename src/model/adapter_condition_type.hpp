#pragma once

#include <string>
#include <string_view>

namespace hf::model {

// The aggregated condition a required adapter's reports become on its resource: the adapter name
// split on '-', each part with its first letter upper-cased, plus "Successful": "validation" →
// "ValidationSuccessful", "dns" → "DnsSuccessful", "pull-secret" → "PullSecretSuccessful".
[[nodiscard]] std::string AdapterConditionType(std::string_view adapter);

}  // namespace hf::model
