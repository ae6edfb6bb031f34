#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/adapter_status.hpp"
#include "model/outbox_event.hpp"
#include "model/resource.hpp"
#include "service/pipeline_stats.hpp"

namespace hf::api {

// Wire JSON of the API (snake_case, RFC 3339 times, labels omitted when empty). A resource, the
// hot path of reads and lists, is written as JSON text directly (common/json_writer.hpp).
std::string PresentResource(const model::Resource& r);
void PresentResource(const model::Resource& r, std::string& out);  // appended to `out`
nlohmann::json PresentAdapterStatus(const model::AdapterStatus& s);
nlohmann::json PresentOutboxEvent(const model::OutboxEvent& e);
// GET /pipeline: {outbox: {pending, oldest_pending_age_seconds, last_id}, window_seconds,
// events_sampled, events_by_reason, published, last_requested_time, adapters: [{name, reports,
// failing}], unreconciled: {kind: n}}.
nlohmann::json PresentPipelineStats(const service::PipelineStats& s);

// A list body {items, page, size (items returned), total}, its items capped in bytes: Add
// refuses the item that would take the items past `max_bytes` as JSON (never the first one),
// and the body then also says "truncated": true, so a client continues at the next item
// (offset (page-1)*requested size + size). Without truncation the field is absent. Each item is
// appended to the body as it is added, so a page holds one copy of its items.
class ListPage {
 public:
  // `expected_items`: how many items are likely to be added (the body is sized for them once
  // the first is in, instead of growing by doubling).
  explicit ListPage(size_t max_bytes, size_t expected_items = 1)
      : max_bytes_(max_bytes), expected_items_(expected_items) {}

  // Whether the item was added; once one is refused, every later one is too.
  bool Add(const nlohmann::json& item);
  bool AddText(std::string_view item_json);  // `item_json`: one JSON value, as text
  // The item `write(std::string& out)` appends to `out` as one JSON value, written in place.
  template <typename Write>
  bool AddWritten(Write write) {
    if (truncated_) return false;
    const size_t start = body_.size();
    body_ += count_ == 0 ? "{\"items\":[" : ",";
    const size_t item_start = body_.size();
    write(body_);
    return Added(start, body_.size() - item_start);
  }
  // The body as JSON text; `null_if_empty`: an empty page says "items": null (a ?fields= list,
  // as the reference answers).
  std::string Body(int64_t page, int64_t total, bool null_if_empty = false) &&;

 private:
  // Keeps or (past max_bytes_) takes back the item just written at `start`, of `size` bytes.
  bool Added(size_t start, size_t size);

  size_t max_bytes_;
  size_t expected_items_;
  size_t bytes_ = 0;  // of the items, with a comma each
  size_t count_ = 0;
  bool truncated_ = false;
  std::string body_;  // "{"items":[" and the items so far
};

}  // namespace hf::api
