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

// A list body {items, page, size (items returned), total}, its items capped in bytes: Add
// refuses the item that would take the items past `max_bytes` as JSON (never the first one),
// and the body then also says "truncated": true, so a client continues at the next item
// (offset (page-1)*requested size + size). Without truncation the field is absent.
class ListPage {
 public:
  explicit ListPage(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Whether `item` was added; once one is refused, every later one is too.
  bool Add(nlohmann::json item);
  nlohmann::json Present(int64_t page, int64_t total) &&;

 private:
  size_t max_bytes_;
  size_t bytes_ = 0;
  bool truncated_ = false;
  nlohmann::json items_ = nlohmann::json::array();
};

}  // namespace hf::api
