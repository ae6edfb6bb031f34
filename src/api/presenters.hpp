#pragma once

#include <nlohmann/json.hpp>

#include "model/adapter_status.hpp"
#include "model/outbox_event.hpp"
#include "model/resource.hpp"

namespace hf::api {

// Wire JSON of the API (snake_case, RFC 3339 times, labels omitted when empty).
nlohmann::json PresentResource(const model::Resource& r);
nlohmann::json PresentAdapterStatus(const model::AdapterStatus& s);
nlohmann::json PresentOutboxEvent(const model::OutboxEvent& e);
// {items, page, size (items returned), total}.
nlohmann::json PresentList(nlohmann::json items, int64_t page, int64_t total);

}  // namespace hf::api
