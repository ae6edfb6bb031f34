#include "api/presenters.hpp"

namespace hf::api {

nlohmann::json PresentResource(const model::Resource& r) {
  nlohmann::json conditions = nlohmann::json::array();
  for (const auto& c : r.conditions) {
    nlohmann::json j = {{"type", c.type},
                        {"status", c.status},
                        {"observed_generation", c.observed_generation},
                        {"created_time", FormatTime(c.created_time)},
                        {"last_updated_time", FormatTime(c.last_updated_time)},
                        {"last_transition_time", FormatTime(c.last_transition_time)}};
    if (!c.reason.empty()) j["reason"] = c.reason;
    if (!c.message.empty()) j["message"] = c.message;
    conditions.push_back(std::move(j));
  }
  nlohmann::json j = {{"id", r.id},
                      {"kind", r.kind},
                      {"name", r.name},
                      {"href", r.href},
                      {"spec", r.spec},
                      {"generation", r.generation},
                      {"status", {{"conditions", std::move(conditions)}}},
                      {"created_time", FormatTime(r.created_time)},
                      {"updated_time", FormatTime(r.updated_time)},
                      {"created_by", r.created_by},
                      {"updated_by", r.updated_by}};
  if (!r.labels.empty()) j["labels"] = r.labels;
  if (r.owner) {
    j["owner_references"] = {{"id", r.owner->id}, {"kind", r.owner->kind}, {"href", r.owner->href}};
  }
  if (r.deleted_time) j["deleted_time"] = FormatTime(*r.deleted_time);
  if (r.deleted_by) j["deleted_by"] = *r.deleted_by;
  return j;
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
  std::string text = item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (!items_.empty() && bytes_ + text.size() + 1 > max_bytes_) {
    truncated_ = true;
    return false;
  }
  bytes_ += text.size() + 1;
  items_.push_back(std::move(text));
  return true;
}

std::string ListPage::Body(int64_t page, int64_t total, bool null_if_empty) && {
  std::string body;
  body.reserve(bytes_ + 96);
  if (items_.empty() && null_if_empty) {
    body += "{\"items\":null";
  } else {
    body += "{\"items\":[";
    for (size_t i = 0; i < items_.size(); ++i) {
      if (i > 0) body += ',';
      body += items_[i];
      items_[i] = {};  // freed as it is copied: the page's peak is about one copy, not two
    }
    body += ']';
  }
  body += ",\"page\":" + std::to_string(page) + ",\"size\":" + std::to_string(items_.size()) +
          ",\"total\":" + std::to_string(total);
  if (truncated_) body += ",\"truncated\":true";
  body += '}';
  return body;
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
  return {{"outbox", outbox},
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
