#pragma once

#include <memory>

#include "broker/broker.hpp"
#include "broker/broker_config.hpp"
#include "common/result.hpp"

namespace hf::broker {

// Opens the backend named by config.type. Cheap: connections are made lazily by publishers and
// subscribers, so an unreachable broker is reported by Publish/Subscribe, not here. Errors:
// kInvalidArgument for an unknown type or missing settings (project, url).
Result<std::shared_ptr<Broker>> OpenBroker(const BrokerConfig& config);

}  // namespace hf::broker
