#include "api/presenters.hpp"

#include "common/json_writer.hpp"
#include "common/time.hpp"

namespace hf::api {

std::string PresentResource(const model::Resource& r) {
  std::string out;
  out.reserve(512 + 256 * r.conditions.size());
  PresentResource(r, out);
  return out;
}

void PresentResource(const model::Resource& r, std::string& out) {
  // Keys in sorted order, as nlohmann::json writes them (json_writer.hpp).
  JsonWriter w(out);
  TimeText time;
  w.BeginObject();
  w.Member("created_by", r.created_by);
  w.Member("created_time", FormatTime(r.created_time, time));
  if (r.deleted_by) w.Member("deleted_by", *r.deleted_by);
  if (r.deleted_time) w.Member("deleted_time", FormatTime(*r.deleted_time, time));
  w.Member("event_sequence", r.event_sequence);
  w.Member("generation", r.generation);
  w.Member("href", r.href);
  w.Member("id", r.id);
  w.Member("kind", r.kind);
  if (!r.labels.empty()) {
    w.Key("labels");
    w.BeginObject();
    for (const auto& [key, value] : r.labels) w.Member(key, value);
    w.EndObject();
  }
  w.Member("name", r.name);
  if (r.owner) {
    w.Key("owner_references");
    w.BeginObject();
    w.Member("href", r.owner->href);
    w.Member("id", r.owner->id);
    w.Member("kind", r.owner->kind);
    w.EndObject();
  }
  w.Key("spec");
  w.Value(r.spec);
  w.Key("status");
  w.BeginObject();
  w.Key("conditions");
  w.BeginArray();
  for (const auto& c : r.conditions) {
    w.BeginObject();
    w.Member("created_time", FormatTime(c.created_time, time));
    w.Member("last_transition_time", FormatTime(c.last_transition_time, time));
    w.Member("last_updated_time", FormatTime(c.last_updated_time, time));
    if (!c.message.empty()) w.Member("message", c.message);
    w.Member("observed_generation", c.observed_generation);
    if (!c.reason.empty()) w.Member("reason", c.reason);
    w.Member("status", c.status);
    w.Member("type", c.type);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.Member("updated_by", r.updated_by);
  w.Member("updated_time", FormatTime(r.updated_time, time));
  w.EndObject();
}

nlohmann::json PresentAdapterStatus(const model::AdapterStatus& s) {
  nlohmann::json conditions = nlohmann::json::array();
  for (const auto& c : s.conditions) {
    if (!model::condition_status::Valid(c.status)) continue;
    nlohmann::json j = {{"type", c.type},
                        {"status", c.status},
                        {"last_transition_time", FormatTime(c.last_transition_time)}};
    if (!c.reason.empty()) j["reason"] = c.reason;
    if (!c.message.empty()) j["message"] = c.message;
    conditions.push_back(std::move(j));
  }
  nlohmann::json j = {{"adapter", s.adapter},
                      {"observed_generation", s.observed_generation},
                      {"conditions", std::move(conditions)},
                      {"data", s.data.is_null() ? nlohmann::json::object() : s.data},
                      {"created_time", FormatTime(s.created_time)},
                      {"last_report_time", FormatTime(s.last_report_time)}};
  if (s.metadata) j["metadata"] = *s.metadata;
  return j;
}

nlohmann::json PresentOutboxEvent(const model::OutboxEvent& e) {
  return {{"id", e.id},
          {"event_id", e.event_id},
          {"aggregate_type", e.aggregate_type},
          {"aggregate_id", e.aggregate_id},
          {"aggregate_generation", e.aggregate_generation},
          {"aggregate_sequence",
           e.aggregate_sequence ? nlohmann::json(*e.aggregate_sequence) : nlohmann::json()},
          {"event_type", e.event_type},
          {"reason", e.reason},
          {"created_time", FormatTime(e.created_time)},
          {"published_time",
           e.published_time ? nlohmann::json(FormatTime(*e.published_time)) : nlohmann::json()},
          {"attempts", e.attempts},
          {"last_error", e.last_error}};
}

bool ListPage::Add(const nlohmann::json& item) {
  if (truncated_) return false;
  return AddText(item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

bool ListPage::AddText(std::string_view item_json) {
  return AddWritten([&](std::string& out) { out += item_json; });
}

bool ListPage::Added(size_t start, size_t size) {
  if (count_ > 0 && bytes_ + size + 1 > max_bytes_) {
    body_.resize(start);
    truncated_ = true;
    return false;
  }
  if (count_ == 0) {
    body_.reserve(std::min(max_bytes_, (size + 1) * expected_items_) + 64);
  }
  bytes_ += size + 1;
  ++count_;
  return true;
}

std::string ListPage::Body(int64_t page, int64_t total, bool null_if_empty) && {
  if (count_ == 0) {
    body_ = null_if_empty ? "{\"items\":null" : "{\"items\":[]";
  } else {
    body_ += ']';
  }
  body_ += ",\"page\":" + std::to_string(page) + ",\"size\":" + std::to_string(count_) +
           ",\"total\":" + std::to_string(total);
  if (truncated_) body_ += ",\"truncated\":true";
  body_ += '}';
  return std::move(body_);
}

nlohmann::json PresentPipelineStats(const service::PipelineStats& s) {
  using Seconds = std::chrono::duration<double>;
  nlohmann::json outbox = {{"pending", s.outbox.pending}, {"last_id", s.outbox.last_id}};
  outbox["oldest_pending_age_seconds"] =
      s.outbox.oldest_pending_created
          ? nlohmann::json(Seconds(Now() - *s.outbox.oldest_pending_created).count())
          : nlohmann::json(nullptr);
  nlohmann::json adapters = nlohmann::json::array();
  for (const auto& [name, a] : s.adapters) {
    adapters.push_back({{"name", name}, {"reports", a.reports}, {"failing", a.failing}});
  }
  nlohmann::json broker = nlohmann::json::array();
  for (const auto& [topic, t] : s.broker) {
    broker.push_back({{"topic", topic},
                      {"published", t.published},
                      {"consumed", t.consumed},
                      {"errors", t.errors}});
  }
  return {{"outbox", outbox},
          {"broker", broker},
          {"window_seconds", Seconds(s.window).count()},
          {"events_sampled", s.events_sampled},
          {"events_by_reason", s.events_by_reason},
          {"published", s.published},
          {"last_requested_time",
           s.last_requested ? nlohmann::json(FormatTime(*s.last_requested)) : nullptr},
          {"adapters", adapters},
          {"unreconciled", s.unreconciled}};
}

}  // namespace hf::api
